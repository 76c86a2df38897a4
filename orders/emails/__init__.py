"""Every e-mail ``orders`` sends, built in one place when it leaves the outbox (each
builder registered with ``orders.outbox.builder``): about an order (``orders``), at the
close of a cycle (``close_emails``), the shop's opening and pickup reminders
(``notifications``), weekly baskets (``weekly``). What owes them only names their kind,
through the outbox. One exception: the managers' "cycle not published" e-mail stays with
the schedules (``orders.planning.schedules``), whose check it reports.

May import the base, ``checkout``, ``money``, ``households``, ``printouts`` and
``weekly_baskets``.
"""
