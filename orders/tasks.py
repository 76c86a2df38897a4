"""What Huey's consumer (``manage.py run_huey``) loads to know every task of the app.

It looks for a ``tasks`` module in each app. Each task is defined next to the function it
runs (``outbox.send_emails``, ``money.payments.settle_card_payments``,
``printouts.documents.build_cycle_document``, ``worker.scheduler.tick``); the tick sits at
the top of the import graph, so importing it registers them all. Nothing imports this
module.
"""

# The refunds of credit (``billing.refunds.refund_owed_back``) are queued by services,
# not by the tick.
from orders.allocations import services as allocations  # noqa: F401
from orders.billing import refunds  # noqa: F401
from orders.worker import scheduler  # noqa: F401
