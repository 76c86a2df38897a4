"""Billing: what happens to money after the close.

- ``ledger``: each customer's balance with its hub, kept as entries that are added, never
  changed (weights, shortages, change kept as credit, refunds, top-ups, credit used,
  managers' corrections); the balance moves with its entries, in one transaction.

May import the base (``orders.models``, ``customers``, ``pricing``, ``stock``, ``outbox``)
and ``checkout``, ``money``; nothing imports it but the pages and the worker above it.
"""
