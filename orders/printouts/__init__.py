"""Documents of a cycle: packing sheets, pick lists, crate labels, distribution lists
and receipts as PDF (``documents``; big ones built by the worker, in chunks), the managers'
CSV reports (``reports``), and the views that serve them.

May import the base and ``checkout``.
"""
