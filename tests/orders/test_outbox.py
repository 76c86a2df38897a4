"""The outbox: an e-mail owed twice is owed once, and never leaves twice."""

from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.utils import timezone

from orders import outbox
from orders.models import OutgoingEmail

SENT_TO = []


@pytest.fixture(autouse=True)
def _kinds(monkeypatch):
    kinds = dict(outbox.BUILDERS)
    SENT_TO.clear()

    @outbox.builder("test_hello")
    def hello(params):
        if params.get("skip"):
            raise outbox.Skip
        if params.get("broken"):
            raise ValueError("no such order")
        return EmailMessage(f"Bonjour {params['name']}", "…")

    def load(batch):
        SENT_TO.append(len(batch))
        return {p["name"]: p["name"].upper() for p in batch}

    @outbox.builder("test_batch", batch=load)
    def batch(params, loaded):
        return EmailMessage(loaded[params["name"]], "…")

    yield
    outbox.BUILDERS.clear()
    outbox.BUILDERS.update(kinds)


def owed(key, name="Alex", kind="test_hello", **params):
    return outbox.Owed(key, kind, f"{name.lower()}@example.org", {"name": name, **params})


def test_an_e_mail_owed_twice_is_owed_once(db, mailoutbox):
    outbox.owe([owed("k1"), owed("k2", "Sam")])
    outbox.owe([owed("k1"), owed("k2", "Sam")])  # the step, repeated
    assert OutgoingEmail.objects.count() == 2
    assert outbox.send_due() == 2
    assert outbox.send_due() == 0
    assert sorted(m.subject for m in mailoutbox) == ["Bonjour Alex", "Bonjour Sam"]
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {"sent"}


def test_a_claimed_e_mail_is_not_sent_by_another_worker(db, mailoutbox):
    outbox.owe([owed("k1"), owed("k2", "Sam")])
    OutgoingEmail.objects.filter(key="k1").update(status="sending", claim="other-worker")
    outbox.send_due()
    assert [m.to for m in mailoutbox] == [["sam@example.org"]]


def test_a_failed_e_mail_is_retried_later_then_given_up(db, mailoutbox):
    outbox.owe([owed("bad", broken=True), owed("good", "Sam")])
    outbox.send_due()
    assert [m.to for m in mailoutbox] == [["sam@example.org"]]  # the others still leave
    bad = OutgoingEmail.objects.get(key="bad")
    assert bad.status == "pending" and "no such order" in bad.error
    assert bad.not_before > timezone.now()

    outbox.send_due()
    assert OutgoingEmail.objects.get(key="bad").attempts == 1  # not before its time
    for day in range(1, outbox.MAX_ATTEMPTS + 1):
        with time_machine.travel(timezone.now() + timedelta(days=day), tick=False):
            outbox.send_due()
    bad = OutgoingEmail.objects.get(key="bad")
    assert bad.status == "failed" and bad.attempts == outbox.MAX_ATTEMPTS
    assert len(mailoutbox) == 1


def test_a_smtp_failure_is_retried(db, mailoutbox, monkeypatch):
    outbox.owe([owed("k1")])

    def refuse(self, *args, **kwargs):
        raise OSError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(EmailMessage, "send", refuse)
        assert outbox.send_due() == 0
    row = OutgoingEmail.objects.get()
    assert row.status == "pending" and "connection refused" in row.error
    with time_machine.travel(row.not_before + timedelta(seconds=1), tick=False):
        assert outbox.send_due() == 1
    assert len(mailoutbox) == 1


def test_an_e_mail_no_longer_wanted_is_skipped(db, mailoutbox):
    outbox.owe([owed("k1", skip=True)])
    assert outbox.send_due() == 0
    row = OutgoingEmail.objects.get()
    assert row.status == "sent" and row.error == "skipped" and row.sent_at is None
    assert mailoutbox == []


def test_batch_loaders_run_once_per_batch(db, mailoutbox):
    outbox.owe([owed(f"b{n}", f"N{n}", kind="test_batch") for n in range(5)])
    outbox.send_due()
    assert SENT_TO == [5]
    assert sorted(m.subject for m in mailoutbox) == [f"N{n}" for n in range(5)]


def test_e_mails_are_built_in_their_language(db, mailoutbox):
    @outbox.builder("test_language")
    def language(params):
        from django.utils.translation import get_language

        return EmailMessage(get_language(), "…")

    outbox.owe([outbox.Owed("fr", "test_language", "a@example.org", {})])
    outbox.owe([outbox.Owed("en", "test_language", "b@example.org", {}, language="en")])
    outbox.send_due()
    assert sorted(m.subject for m in mailoutbox) == ["en", "fr"]


def test_an_address_less_e_mail_is_not_owed(db):
    assert outbox.owe([outbox.Owed("k", "test_hello", "", {"name": "x"})]) == 0
    assert not OutgoingEmail.objects.exists()


def test_a_mail_server_that_cannot_be_reached_leaves_the_e_mails_waiting(
    db, mailoutbox, monkeypatch
):
    outbox.owe([owed("k1"), owed("k2", "Sam")])

    class Down:
        def open(self):
            raise OSError("connection refused")

        def close(self):
            pass

    with monkeypatch.context() as patched:
        patched.setattr(outbox, "get_connection", lambda: Down())
        assert outbox.send_due() == 0
    rows = list(OutgoingEmail.objects.order_by("pk"))
    assert [(row.status, row.attempts) for row in rows] == [("pending", 0), ("pending", 0)]
    with time_machine.travel(rows[0].not_before + timedelta(seconds=1), tick=False):
        assert outbox.send_due() == 2
    assert len(mailoutbox) == 2


def test_a_batch_left_half_built_by_a_dead_worker_is_taken_again(db, mailoutbox):
    outbox.owe([owed("k1")])
    # A worker claimed it, then died while building (nothing left).
    token, rows = outbox._claim(timezone.now(), 10)
    assert [row.status for row in rows] == ["building"]
    assert outbox.send_due() == 0  # still held by the dead worker
    with time_machine.travel(timezone.now() + outbox.BUILD_LEASE + timedelta(seconds=1)):
        assert outbox.send_due() == 1
    assert len(mailoutbox) == 1 and OutgoingEmail.objects.get().status == "sent"


def test_a_builder_may_address_several_people(db, mailoutbox):
    @outbox.builder("test_team")
    def team(params):
        return EmailMessage("Équipe", "…", to=["a@example.org", "b@example.org"])

    outbox.owe([outbox.Owed("t", "test_team", "a@example.org", {})])
    outbox.send_due()
    assert mailoutbox[0].to == ["a@example.org", "b@example.org"]


# A worker killed while sending


class Killed(BaseException):
    """The worker's process dying (SIGKILL): no ``except Exception`` catches it."""


class DyingBackend(EmailBackend):
    """Sends ``SURVIVES`` messages, then the process dies while sending the next one.

    At that moment it keeps what the database holds, which is what a killed process leaves
    behind (the test then puts it back: nothing the dying code does after counts). It also
    checks that nothing is held in an open transaction, which a killed process would lose.
    """

    SURVIVES = 3
    at_death: list[dict] = []
    seen: list[dict] = []

    def send_messages(self, messages):
        [message] = messages
        assert not connection.in_atomic_block  # each mark is committed before it leaves
        states = dict(OutgoingEmail.objects.values_list("to", "status"))
        DyingBackend.seen.append({"to": message.to[0], "state": states[message.to[0]]})
        if len(mail.outbox) == self.SURVIVES:
            DyingBackend.at_death[:] = list(OutgoingEmail.objects.values())
            raise Killed
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_sending_leaves_one_e_mail_uncertain_and_the_rest_to_send(
    settings, mailoutbox
):
    outbox.owe([owed(f"k{n}", f"N{n}") for n in range(10)])
    settings.EMAIL_BACKEND = "tests.orders.test_outbox.DyingBackend"
    DyingBackend.seen.clear()

    with pytest.raises(Killed):
        outbox.send_due()
    for row in DyingBackend.at_death:  # what the killed process left
        OutgoingEmail.objects.filter(pk=row["id"]).update(**row)

    # Each message was marked "sending" just before it left.
    assert {seen["state"] for seen in DyingBackend.seen} == {"sending"}
    left = [m.to[0] for m in mail.outbox]
    assert len(left) == 3
    rows = list(OutgoingEmail.objects.order_by("pk"))
    assert Counter(row.status for row in rows) == {"sent": 3, "sending": 1, "building": 6}
    assert {row.to for row in rows if row.status == "sent"} == set(left)
    [in_flight] = [row for row in rows if row.status == "sending"]
    assert in_flight.to == DyingBackend.seen[-1]["to"]

    # Another worker, once the dead one's lease is over, sends exactly the rest.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    with time_machine.travel(timezone.now() + outbox.BUILD_LEASE + timedelta(seconds=1)):
        assert outbox.send_due() == 6
        assert outbox.send_due() == 0
    rest = {row.to for row in rows if row.status == "building"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(rest)
    statuses = Counter(OutgoingEmail.objects.values_list("status", flat=True))
    assert statuses == {"sent": 9, "sending": 1}  # shown as "may not have left"


def test_a_message_the_server_refuses_mid_batch_does_not_stop_the_others(db, mailoutbox):
    outbox.owe([owed("k1"), owed("k2", "Sam"), owed("k3", "Lou")])
    send = EmailMessage.send

    def refuse_sam(self, *args, **kwargs):
        if self.to == ["sam@example.org"]:
            raise OSError("mailbox unavailable")
        return send(self, *args, **kwargs)

    EmailMessage.send = refuse_sam
    try:
        assert outbox.send_due() == 2
    finally:
        EmailMessage.send = send
    statuses = dict(OutgoingEmail.objects.values_list("key", "status"))
    assert statuses == {"k1": "sent", "k2": "pending", "k3": "sent"}
    assert OutgoingEmail.objects.filter(status="sent", sent_at__isnull=True).count() == 0


def test_a_message_held_past_the_lease_and_taken_by_another_worker_is_left_to_it(
    db, mailoutbox, monkeypatch
):
    outbox.owe([owed("k1"), owed("k2", "Sam")])
    build = outbox._build

    def slow_build(row, shared):
        message = build(row, shared)
        if row.key == "k2":  # meanwhile, our lease ran out and another worker took k1
            OutgoingEmail.objects.filter(key="k1").update(claim="other-worker")
        return message

    monkeypatch.setattr(outbox, "_build", slow_build)
    assert outbox.send_due() == 1
    assert [m.to for m in mailoutbox] == [["sam@example.org"]]
    assert OutgoingEmail.objects.get(key="k1").claim == "other-worker"
