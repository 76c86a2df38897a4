"""E-mails the scheduler owes people, sent once and only once.

A tick step that owes e-mails (the shop is open, the cycle closed, a reminder...) calls
``owe`` in the same transaction as the change that owes them. Each e-mail has a unique key
("close:12:producer:5"): a step repeated after a crash, or run by two workers at once, owes
it once. The tick then calls ``send_due``, which claims a batch (a conditional UPDATE:
pending → building, with this worker's token), builds each message with the function
registered for its kind, marks the batch "sending", sends it, and marks each sent. An
e-mail is marked before it leaves, so it never leaves twice: if the worker dies while
sending, it stays "sending" (shown to managers as "may not have left") rather than going
out again; if it dies while building, nothing has left and the batch is taken again.

A kind's builder takes the row's ``params`` and returns the ``EmailMessage`` (subject, body,
attachments, cc; ``to`` is set from the row). It runs in the row's language. Raising
``Skip`` drops an e-mail that no longer makes sense (an order cancelled since). A kind sent
by the thousand may register a ``batch`` loader too: it gets the params of a whole batch
and returns what their builds share (the orders with their lines, in a few queries), which
the builder then receives as a second argument.
"""

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q
from django.utils import timezone, translation

from .models import OutgoingEmail

logger = logging.getLogger(__name__)

BATCH = 500
# A batch being built is held this long; a worker that dies while building lets it go.
BUILD_LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 4
RETRY_AFTER = timedelta(minutes=5)

Builder = Callable[..., EmailMessage]
BUILDERS: dict[str, tuple[Builder, Callable[[list[dict]], object] | None]] = {}


class Skip(Exception):
    """Raised by a builder: this e-mail is no longer wanted (it is marked sent, unsent)."""


def builder(kind: str, *, batch: Callable[[list[dict]], object] | None = None):
    """Register the function that builds the e-mails of ``kind`` (and its batch loader)."""

    def register(function: Builder) -> Builder:
        BUILDERS[kind] = (function, batch)
        return function

    return register


@dataclass(slots=True)
class Owed:
    """An e-mail a step owes: its unique key, kind, address, the builder's params."""

    key: str
    kind: str
    to: str
    params: dict
    language: str = ""


def owe(emails: Iterable[Owed], *, now: datetime | None = None) -> int:
    """Record e-mails owed (call inside the step's transaction). Keys already owed are
    ignored. Returns how many rows were offered."""
    now = now or timezone.now()
    rows = [
        OutgoingEmail(
            key=email.key[:200],
            kind=email.kind,
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

    1. Claim a batch ("building", with this worker's token) and build its messages.
    2. Just before sending, mark the built ones "sending": from then on a worker that dies
       leaves them "sending" (maybe sent, never sent twice) instead of "building" (taken
       again later, since nothing left).
    3. Mark each sent, skipped or failed (failed ones are retried later, a few times). If
       the mail server cannot be reached, what was not tried goes back to waiting.
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
    sent, skipped, failed = [], [], []
    messages = []
    shared = _load_batches(rows)
    for row in rows:
        try:
            messages.append((row, _build(row, shared)))
        except Skip:
            skipped.append(row.pk)
        except Exception as exc:  # a bad row must not hold up the others
            logger.exception("Could not build e-mail %s", row.key)
            failed.append((row, f"{type(exc).__name__}: {exc}"))
    tried = set()
    connection = get_connection()
    try:
        OutgoingEmail.objects.filter(pk__in=[row.pk for row, _m in messages], claim=token).update(
            status=OutgoingEmail.Status.SENDING
        )
        connection.open()
        for row, message in messages:
            tried.add(row.pk)
            message.connection = connection
            try:
                message.send()
                sent.append(row.pk)
            except Exception as exc:
                logger.exception("Could not send e-mail %s", row.key)
                failed.append((row, f"{type(exc).__name__}: {exc}"))
    except Exception:
        logger.exception("Could not reach the mail server; the e-mails wait")
    finally:
        connection.close()
        done_at = timezone.now()
        OutgoingEmail.objects.filter(pk__in=sent, claim=token).update(
            status=OutgoingEmail.Status.SENT, sent_at=done_at, claim=""
        )
        OutgoingEmail.objects.filter(pk__in=skipped, claim=token).update(
            status=OutgoingEmail.Status.SENT, error="skipped", claim=""
        )
        for row, error in failed:
            again = row.attempts < MAX_ATTEMPTS
            OutgoingEmail.objects.filter(pk=row.pk, claim=token).update(
                status=OutgoingEmail.Status.PENDING if again else OutgoingEmail.Status.FAILED,
                not_before=done_at + RETRY_AFTER * row.attempts,
                error=error[:2000],
                claim="",
            )
        # Never tried (the server could not be reached): back to waiting, this attempt
        # not counted against them.
        untried = [row.pk for row, _m in messages if row.pk not in tried]
        OutgoingEmail.objects.filter(pk__in=untried, claim=token).update(
            status=OutgoingEmail.Status.PENDING,
            not_before=done_at + RETRY_AFTER,
            attempts=F("attempts") - 1,
            claim="",
        )
    return len(sent)
