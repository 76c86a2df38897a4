"""Money received by card: every Stripe call (``stripe_api``), card payments, refunds and
Stripe's webhook (``payments``: the use cases, and ``register`` for another part's kind of
event), and their views (the pay page and the webhook).

May import the base (``orders.models``, ``clock``, ``pricing``, ``stock``, ``outbox``,
``order_emails``); nothing else of ``orders``: checkout, weekly baskets and the worker
build on it.
"""
