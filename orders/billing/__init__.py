"""Billing: what happens to money after the close.

- ``ledger``: each customer's balance with its hub, kept as entries that are added, never
  changed (weights, shortages, change kept as credit, refunds, top-ups, credit used,
  managers' corrections); the balance moves with its entries, in one transaction.
- ``weighing``, ``shortages``, ``corrections``: what changes after the close (a weight, a
  shortage shared out, a line corrected), each an entry per line, in one transaction.

May import the base (``orders.models``, ``customers``, ``pricing``, ``stock``, ``outbox``)
and ``checkout``, ``money``, ``printouts`` (documents built again after a change); nothing
imports it but the pages and the worker above it.
"""
