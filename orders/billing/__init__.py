"""Billing: what happens to money after the close.

- ``dues`` and ``counter``: what a household owes at the pickup point today, and money
  received there (the change kept as credit, a debt paid, credit used).
- ``weighing``: the real weight of lines sold by weight.

Every balance moves through ``orders.ledger`` (a base module: checkout uses credit too).
May import the base (``orders.models``, ``customers``, ``ledger``, ``pricing``, ``stock``,
``outbox``) and ``checkout``, ``money``; nothing imports it but the pages and the worker
above it.
"""
