"""Weekly baskets: what a household takes every week, the weeks it skips, the card it
saved, and each week's run that turns baskets into orders (``weekly``); its forms, views
and urls; its Stripe event (``setup_intent.succeeded``). Its e-mails are built in
``orders.emails.weekly``.

May import the base, ``checkout`` and ``money``.
"""
