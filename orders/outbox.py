"""E-mails the scheduler owes people, sent once and only once.

A tick step that owes e-mails (the shop is open, the cycle closed, a reminder...) calls
``owe`` in the same transaction as the change that owes them. Each e-mail has a unique key
("close:12:producer:5"): a step repeated after a crash, or run by two workers at once, owes
it once. The tick then calls ``send_due``, which claims a batch (a conditional UPDATE:
pending → building, with this worker's token), builds each message with the function
registered for its kind, then sends them one at a time, each marked "sending" just before
it leaves and "sent" just after. An e-mail is marked before it leaves, so it never leaves
twice: if the worker dies while sending, the one message in flight stays "sending" (shown
to managers as "may not have left") rather than going out again, and the rest of the
batch, which never left, is taken again once the dead worker's lease is over.

A kind's builder takes the row's ``params`` and returns the ``EmailMessage`` (subject, body,
attachments, cc; ``to`` is set from the row). It runs in the row's language. Raising
``Skip`` drops an e-mail that no longer makes sense (an order cancelled since). A kind sent
by the thousand may register a ``batch`` loader too: it gets the params of a whole batch
and returns what their builds share (the orders with their lines, in a few queries), which
the builder then receives as a second argument.

SMS go the same way: an owed row of channel "sms" is sent to an E.164 number by the SMS
backend (``orders.sms``, which registers its channel with ``channel``), under the same
claims, marks and retries; its builder returns an ``SmsMessage``.
"""

import functools
import logging
import operator
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection
from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.utils import timezone, translation
from huey.contrib.djhuey import db_task

from .models import OutgoingEmail

logger = logging.getLogger(__name__)

BATCH = 500
# A batch being built is held this long; a worker that dies while building lets it go.
BUILD_LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 4
RETRY_AFTER = timedelta(minutes=5)

Builder = Callable[..., EmailMessage]
BUILDERS: dict[str, tuple[Builder, Callable[[list[dict]], object] | None]] = {}
# How each channel's messages leave: a function giving a connection (open, close; each
# message's ``send`` uses it). E-mails through Django's mail backend; "sms" is added by
# ``orders.sms`` when the app is ready.
CHANNELS: dict[str, Callable[[], object]] = {
    OutgoingEmail.Channel.EMAIL: lambda: get_connection(),  # looked up when used (tests)
}


class Skip(Exception):
    """Raised by a builder: this e-mail is no longer wanted (it is marked sent, unsent)."""


def builder(kind: str, *, batch: Callable[[list[dict]], object] | None = None):
    """Register the function that builds the e-mails of ``kind`` (and its batch loader)."""

    def register(function: Builder) -> Builder:
        BUILDERS[kind] = (function, batch)
        return function

    return register


def channel(name: str, connect: Callable[[], object]) -> None:
    """Register how the messages of channel ``name`` leave (``connect()`` gives a
    connection)."""
    CHANNELS[name] = connect


@dataclass(slots=True)
class Owed:
    """An e-mail (or SMS) a step owes: its unique key, kind, address, the builder's params;
    an SMS names the hub it is sent for."""

    key: str
    kind: str
    to: str
    params: dict
    language: str = ""
    channel: str = OutgoingEmail.Channel.EMAIL
    hub_id: int | None = None


def one_per_order(orders, *, kind: str, key: Callable[[int], str]) -> list[Owed]:
    """One e-mail of ``kind`` per order of ``orders`` (a queryset), to its household in the
    order's language, built from the order's id and keyed ``key(order_id)``."""
    rows = orders.order_by("pk").values_list("pk", "email", "language")
    return [
        Owed(key=key(pk), kind=kind, to=email, params={"order_id": pk}, language=language)
        for pk, email, language in rows
    ]


# How managers see an e-mail's state ("unknown": a worker died while sending it).
SHOWN_STATES = {
    OutgoingEmail.Status.SENT: "sent",
    OutgoingEmail.Status.PENDING: "waiting",
    OutgoingEmail.Status.BUILDING: "waiting",
    OutgoingEmail.Status.FAILED: "failed",
    OutgoingEmail.Status.SENDING: "unknown",
}


def counts(key_prefix: str) -> dict[str, int]:
    """How many e-mails whose key starts with ``key_prefix`` are sent, waiting, failed, or
    not known to have left."""
    return counts_by_prefix(key_prefix)[key_prefix]


def counts_by_prefix(*key_prefixes: str) -> dict[str, dict[str, int]]:
    """``counts`` of each prefix (none the start of another), in one query."""
    found = {
        prefix: dict.fromkeys(("sent", "waiting", "failed", "unknown"), 0)
        for prefix in key_prefixes
    }
    which = Case(
        *[When(key__startswith=prefix, then=Value(prefix)) for prefix in key_prefixes],
        output_field=CharField(),
    )
    rows = (
        OutgoingEmail.objects.filter(
            functools.reduce(operator.or_, [Q(key__startswith=p) for p in key_prefixes])
        )
        .values(prefix=which, state=F("status"))
        .annotate(n=Count("pk"))
    )
    for row in rows:
        found[row["prefix"]][SHOWN_STATES[row["state"]]] += row["n"]
    return found


def owe(emails: Iterable[Owed], *, now: datetime | None = None) -> int:
    """Record e-mails owed (call inside the step's transaction). Keys already owed are
    ignored. Returns how many rows were offered."""
    now = now or timezone.now()
    rows = [
        OutgoingEmail(
            key=email.key[:200],
            kind=email.kind,
            channel=email.channel,
            hub_id=email.hub_id,
            to=email.to,
            params=email.params,
            language=email.language or settings.LANGUAGE_CODE,
            not_before=now,
            created_at=now,
        )
        for email in emails
        if email.to
    ]
    for start in range(0, len(rows), 1000):
        OutgoingEmail.objects.bulk_create(rows[start : start + 1000], ignore_conflicts=True)
    return len(rows)


def _claim(now: datetime, limit: int) -> tuple[str, list[OutgoingEmail]]:
    """Take up to ``limit`` e-mails to build, for BUILD_LEASE. Rows left "building" by a
    worker that died are taken again once their lease is over: nothing of them left."""
    token = secrets.token_hex(16)
    takeable = Q(status=OutgoingEmail.Status.PENDING) | Q(status=OutgoingEmail.Status.BUILDING)
    due = list(
        OutgoingEmail.objects.filter(takeable, not_before__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not due:
        return token, []
    # Only rows still takeable are taken: a row another worker claimed meanwhile is not.
    OutgoingEmail.objects.filter(takeable, pk__in=due, not_before__lte=now).update(
        status=OutgoingEmail.Status.BUILDING,
        claim=token,
        not_before=now + BUILD_LEASE,
        attempts=F("attempts") + 1,
    )
    return token, list(OutgoingEmail.objects.filter(pk__in=due, claim=token).order_by("pk"))


def _build(row: OutgoingEmail, shared: dict) -> EmailMessage:
    build, batch = BUILDERS[row.kind]
    with translation.override(row.language or settings.LANGUAGE_CODE):
        if batch is None:
            message = build(row.params)
        elif isinstance(shared[row.kind], Exception):
            raise shared[row.kind]
        else:
            message = build(row.params, shared[row.kind])
    # A builder may address several people at once (a producer's members); else the row's.
    message.to = message.to or [row.to]
    return message


def _load_batches(rows: list[OutgoingEmail]) -> dict:
    """What the rows of each kind with a batch loader share, loaded once per batch."""
    shared = {}
    for kind in {row.kind for row in rows}:
        _build_function, batch = BUILDERS.get(kind, (None, None))
        if batch is not None:
            try:
                shared[kind] = batch([row.params for row in rows if row.kind == kind])
            except Exception as exc:  # each of its rows fails (and is retried), not the batch
                logger.exception("Could not load the e-mails of kind %s", kind)
                shared[kind] = exc
    return shared


def send_due(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Send the e-mails owed, batch after batch. Returns how many left.

    1. Claim a batch ("building", with this worker's token and a lease) and build its
       messages. Those that will not leave (skipped, failed to build) are marked at once.
    2. Send them one at a time. Each is marked "sending" just before it leaves and "sent"
       just after (one UPDATE marks the last one sent and the next one sending): a worker
       that dies leaves at most one e-mail "sending" (it may have left: never sent again,
       shown to managers as "may not have left"), and the rest of its batch "building",
       taken again once its lease is over, since none of them left.
    3. A message the server refuses is retried later, a few times. If the mail server
       cannot be reached at all, the batch goes back to waiting.

    Call it outside any transaction: each mark must be committed before the message leaves.
    """
    sent_total = 0
    while limit is None or sent_total < limit:
        now_ = now or timezone.now()
        token, rows = _claim(now_, BATCH if limit is None else min(BATCH, limit - sent_total))
        if not rows:
            break
        sent_total += _send_batch(token, rows)
    return sent_total


def _send_batch(token: str, rows: list[OutgoingEmail]) -> int:
    messages, skipped, failed = [], [], []
    shared = _load_batches(rows)
    for row in rows:
        try:
            messages.append((row, _build(row, shared)))
        except Skip:
            skipped.append(row.pk)
        except Exception as exc:  # a bad row must not hold up the others
            logger.exception("Could not build e-mail %s", row.key)
            failed.append((row, f"{type(exc).__name__}: {exc}"))
    OutgoingEmail.objects.filter(pk__in=skipped, claim=token).update(
        status=OutgoingEmail.Status.SENT, error="skipped", claim=""
    )
    _failed(token, failed)
    sent = 0
    for name in sorted({row.channel for row, _message in messages}):
        sent += _send_channel(token, name, [pair for pair in messages if pair[0].channel == name])
    return sent


def _send_channel(token: str, name: str, messages: list[tuple[OutgoingEmail, object]]) -> int:
    """Send the built messages of one channel through one connection."""
    try:
        connection = CHANNELS[name]()
        connection.open()
    except Exception:
        logger.exception("Could not reach the %s server; the messages wait", name)
        # Never tried: back to waiting, this attempt not counted against them.
        OutgoingEmail.objects.filter(pk__in=[row.pk for row, _m in messages], claim=token).update(
            status=OutgoingEmail.Status.PENDING,
            not_before=timezone.now() + RETRY_AFTER,
            attempts=F("attempts") - 1,
            claim="",
        )
        return 0
    sent = 0
    left = None  # the last message that left, not yet marked "sent"
    try:
        for row, message in messages:
            marked = _mark(token, sending=row.pk, sent=left)
            left = None
            if not marked:
                continue  # our lease ran out and another worker took it: it sends it
            message.connection = connection
            try:
                message.send()
            except Exception as exc:
                logger.exception("Could not send %s %s", name, row.key)
                _failed(token, [(row, f"{type(exc).__name__}: {exc}")])
                continue
            left = row.pk
            sent += 1
        _mark(token, sent=left)
    finally:
        try:
            connection.close()
        except Exception:
            logger.exception("Could not close the connection to the %s server", name)
    return sent


def _mark(token: str, *, sending: int | None = None, sent: int | None = None) -> bool:
    """One UPDATE: the message that just left is "sent", the next one "sending". False if
    the next one is no longer ours (held past our lease, another worker took it).

    It runs once per e-mail (10,000 at a big closing): written in SQL once, not built by
    the ORM each time.
    """
    pks = [pk for pk in (sending, sent) if pk is not None]
    if not pks:
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            _MARK_SQL,
            [
                sending,
                OutgoingEmail.Status.SENDING,
                OutgoingEmail.Status.SENT,
                sent,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                sent,
                pks[0],
                pks[-1],
                token,
            ],
        )
        return cursor.rowcount == len(pks)


_MARK_SQL = """
    UPDATE orders_outgoingemail
    SET status = CASE WHEN id = %s THEN %s ELSE %s END,
        sent_at = CASE WHEN id = %s THEN %s ELSE sent_at END,
        claim = CASE WHEN id = %s THEN '' ELSE claim END
    WHERE id IN (%s, %s) AND claim = %s
"""


def _failed(token: str, failed: list[tuple[OutgoingEmail, str]]) -> None:
    """Back to waiting, to be tried again later (a few times), or failed for good."""
    now = timezone.now()
    for row, error in failed:
        again = row.attempts < MAX_ATTEMPTS
        OutgoingEmail.objects.filter(pk=row.pk, claim=token).update(
            status=OutgoingEmail.Status.PENDING if again else OutgoingEmail.Status.FAILED,
            not_before=now + RETRY_AFTER * row.attempts,
            error=error[:2000],
            claim="",
        )


@db_task()
def send_emails():
    """Send what the outbox owes now, rather than at the next tick: queued when a
    household's e-mail about its order is owed. Not retried: what fails waits in the
    outbox, which tries again at the next tick."""
    send_due()
