"""The outbox: an e-mail owed twice is owed once, and never leaves twice."""

from datetime import timedelta

import pytest
import time_machine
from django.core.mail import EmailMessage
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
