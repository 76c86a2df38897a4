"""E-mails the scheduler owes people, sent once and only once.

A tick step that owes e-mails (the shop is open, the cycle closed, a reminder...) calls
``owe`` in the same transaction as the change that owes them. Each e-mail has a unique key
("close:12:producer:5"): a step repeated after a crash, or run by two workers at once, owes
it once. ``send_due`` then claims a batch (a conditional UPDATE: pending → sending, with this
worker's claim token), builds each message with the function registered for its kind, sends
the batch, and marks it sent. An e-mail is claimed before it leaves, so it never leaves twice:
if the worker dies between sending and marking, it stays "sending" (shown to managers as
"may not have left") rather than going out again.

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
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation

from .models import OutgoingEmail

logger = logging.getLogger(__name__)

BATCH = 500
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


class Owed:
    __slots__ = ("key", "kind", "to", "params", "language")

    def __init__(self, key: str, kind: str, to: str, params: dict, language: str = ""):
        self.key, self.kind, self.to, self.params = key, kind, to, params
        self.language = language or settings.LANGUAGE_CODE


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
            language=email.language,
            not_before=now,
            created_at=now,
        )
        for email in emails
        if email.to
    ]
    for start in range(0, len(rows), 1000):
        OutgoingEmail.objects.bulk_create(rows[start : start + 1000], ignore_conflicts=True)
    if rows:
        transaction.on_commit(_kick, robust=True)
    return len(rows)


def _kick():
    """Have the worker send soon rather than at the next tick."""
    from . import tasks

    tasks.send_owed_emails()


def _claim(now: datetime, limit: int) -> list[OutgoingEmail]:
    token = secrets.token_hex(16)
    due = list(
        OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING, not_before__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not due:
        return []
    # Only rows still pending are taken: a row another worker claimed meanwhile is not.
    OutgoingEmail.objects.filter(pk__in=due, status=OutgoingEmail.Status.PENDING).update(
        status=OutgoingEmail.Status.SENDING, claim=token, attempts=F("attempts") + 1
    )
    return list(OutgoingEmail.objects.filter(claim=token).order_by("pk"))


def _build(row: OutgoingEmail, shared: dict) -> EmailMessage:
    build, batch = BUILDERS[row.kind]
    with translation.override(row.language or settings.LANGUAGE_CODE):
        if batch is None:
            message = build(row.params)
        elif isinstance(shared[row.kind], Exception):
            raise shared[row.kind]
        else:
            message = build(row.params, shared[row.kind])
    message.to = [row.to]
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
    """Send the e-mails owed, batch after batch. Returns how many left."""
    sent_total = 0
    connection = get_connection()
    while limit is None or sent_total < limit:
        now_ = now or timezone.now()
        rows = _claim(now_, BATCH if limit is None else min(BATCH, limit - sent_total))
        if not rows:
            break
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
        try:
            connection.open()
            for row, message in messages:
                message.connection = connection
                try:
                    message.send()
                    sent.append(row.pk)
                except Exception as exc:
                    logger.exception("Could not send e-mail %s", row.key)
                    failed.append((row, f"{type(exc).__name__}: {exc}"))
        finally:
            connection.close()
        done_at = timezone.now()
        OutgoingEmail.objects.filter(pk__in=sent).update(
            status=OutgoingEmail.Status.SENT, sent_at=done_at, claim=""
        )
        OutgoingEmail.objects.filter(pk__in=skipped).update(
            status=OutgoingEmail.Status.SENT, error="skipped", claim=""
        )
        for row, error in failed:
            again = row.attempts < MAX_ATTEMPTS
            OutgoingEmail.objects.filter(pk=row.pk).update(
                status=OutgoingEmail.Status.PENDING if again else OutgoingEmail.Status.FAILED,
                not_before=done_at + RETRY_AFTER * row.attempts,
                error=error[:2000],
                claim="",
            )
        sent_total += len(sent)
    return sent_total
