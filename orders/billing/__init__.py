"""Billing: what happens to money after the close.

- ``dues`` and ``counter``: what a household owes at the pickup point today, and money
  received there (the change kept as credit, a debt paid, credit used).
- ``weighing``, ``shortages``, ``corrections``: what changes after the close (a weight, a
  shortage shared out, a line corrected), each an entry per line, in one transaction.
- ``reconciliation``: every euro accounted for, per cycle and per period.

Every balance moves through ``orders.ledger`` (a base module: checkout uses credit too).
May import the base (``orders.models``, ``customers``, ``ledger``, ``pricing``, ``stock``,
``outbox``) and ``checkout``, ``money``, ``printouts`` (documents built again after a
change); nothing imports it but the pages and the worker above it.
"""
