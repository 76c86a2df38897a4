"""Checkout: the shop at /<hub-slug>/, the basket, placing, changing and cancelling an
order, and the households' order pages.

- ``services``: the use cases (place, update, cancel an order; record a payment at the
  pickup point), each in one transaction; ``basket``: the basket kept between visits;
  ``selectors``: the shop's reads, in a bounded number of queries; ``ownership``: who has
  proved an order is theirs.
- Views: ``shop_views`` (+ ``shop_urls``), ``views`` (an order's own pages).

May import the base (``orders.models``, ``clock``, ``pricing``, ``stock``, ``outbox``,
``order_emails``) and ``orders.money``; nothing else of ``orders``.
"""
