"""The SMS backends: chosen by SMS_BACKEND, E.164 numbers only; Twilio's HTTP API faked
(the tests never reach the network)."""

import base64
import importlib
import io
import json
import urllib.error
import urllib.parse

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from foodhub import settings as project_settings
from orders.sms import backends
from orders.sms.backends import SmsMessage, console, locmem, twilio

MOBILE = "+33612345678"
SETTINGS = {"TWILIO_ACCOUNT_SID": "AC0123", "TWILIO_AUTH_TOKEN": "secret",
            "TWILIO_FROM": "+33700000000", "TWILIO_MESSAGING_SERVICE_SID": ""}  # fmt: skip


class FakeTwilio:
    """Stands in for ``urllib.request.urlopen``: records each request, answers as Twilio."""

    def __init__(self, status=201, answer=None):
        self.status, self.requests = status, []
        self.answer = answer or {"sid": "SM0001", "status": "queued"}

    def __call__(self, request, timeout=None):
        self.requests.append((request, timeout))
        body = json.dumps(self.answer).encode()
        if self.status >= 400:
            raise urllib.error.HTTPError(
                request.full_url, self.status, "error", {}, io.BytesIO(body)
            )
        return io.BytesIO(body)


@pytest.fixture
def fake_twilio(monkeypatch):
    fake = FakeTwilio()
    monkeypatch.setattr(twilio.urllib.request, "urlopen", fake)
    return fake


@pytest.fixture(autouse=True)
def _empty_outbox():
    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


def test_tests_use_the_in_memory_backend():
    assert isinstance(backends.get_connection(), locmem.SmsBackend)
    SmsMessage("Bonjour", [MOBILE]).send()
    assert [m.body for m in locmem.outbox] == ["Bonjour"]


def test_development_prints_in_the_console():
    stream = io.StringIO()
    connection = backends.get_connection("orders.sms.backends.console.SmsBackend", stream=stream)
    assert isinstance(connection, console.SmsBackend)
    SmsMessage("Retrait lundi", [MOBILE], connection=connection).send()
    assert f"SMS to {MOBILE}:\nRetrait lundi" in stream.getvalue()


@pytest.mark.parametrize(
    "number", ["0612345678", "06 12 34 56 78", "+33 6 12 34 56 78", "+0612345678", "", "+33",
               "+3361234567890123", "+33612345678\x00", "+٣٣٦١٢٣٤٥٦٧٨", None, 33612345678],
)  # fmt: skip
def test_a_number_not_in_e164_is_refused(number, fake_twilio):
    with pytest.raises(ValueError, match="E.164"):
        SmsMessage("Bonjour", [number]).send()
    with override_settings(**SETTINGS), pytest.raises(ValueError, match="E.164"):
        SmsMessage("Bonjour", [number], connection=twilio.SmsBackend()).send()
    assert locmem.outbox == [] and fake_twilio.requests == []


@override_settings(**SETTINGS)
def test_twilio_gets_one_post_per_sms(fake_twilio):
    assert SmsMessage("Retrait lundi 17:00 €", [MOBILE], connection=twilio.SmsBackend()).send()
    [(request, timeout)] = fake_twilio.requests
    assert request.full_url == "https://api.twilio.com/2010-04-01/Accounts/AC0123/Messages.json"
    assert request.get_method() == "POST" and timeout == 10
    assert urllib.parse.parse_qs(request.data.decode()) == {
        "To": [MOBILE], "Body": ["Retrait lundi 17:00 €"], "From": ["+33700000000"],
    }  # fmt: skip
    credentials = base64.b64decode(request.get_header("Authorization").split()[1]).decode()
    assert credentials == "AC0123:secret"


@override_settings(**SETTINGS | {"TWILIO_MESSAGING_SERVICE_SID": "MG0123"})
def test_twilio_can_send_through_a_messaging_service(fake_twilio):
    SmsMessage("Bonjour", [MOBILE], connection=twilio.SmsBackend()).send()
    fields = urllib.parse.parse_qs(fake_twilio.requests[0][0].data.decode())
    assert fields["MessagingServiceSid"] == ["MG0123"] and "From" not in fields


@override_settings(**SETTINGS)
def test_a_refusal_of_twilio_is_raised_for_the_outbox_to_retry(fake_twilio):
    fake_twilio.status = 400
    fake_twilio.answer = {"code": 21610, "message": "Attempt to send to unsubscribed recipient"}
    with pytest.raises(twilio.SmsNotSent, match="21610"):
        SmsMessage("Bonjour", [MOBILE], connection=twilio.SmsBackend()).send()


@override_settings(**SETTINGS)
def test_an_unreachable_twilio_is_raised(monkeypatch):
    def down(request, timeout=None):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(twilio.urllib.request, "urlopen", down)
    with pytest.raises(twilio.SmsNotSent, match="could not be reached"):
        SmsMessage("Bonjour", [MOBILE], connection=twilio.SmsBackend()).send()


@override_settings(**SETTINGS | {"TWILIO_FROM": ""})
def test_twilio_without_a_sender_says_what_is_missing(fake_twilio):
    with pytest.raises(ImproperlyConfigured, match="TWILIO_FROM"):
        twilio.SmsBackend().open()
    assert fake_twilio.requests == []


def test_the_settings_choose_twilio_when_its_account_is_set(monkeypatch):
    monkeypatch.delenv("SMS_BACKEND", raising=False)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC0123")
    try:
        assert importlib.reload(project_settings).SMS_BACKEND.endswith("twilio.SmsBackend")
        monkeypatch.delenv("TWILIO_ACCOUNT_SID")
        assert importlib.reload(project_settings).SMS_BACKEND.endswith("console.SmsBackend")
    finally:
        importlib.reload(project_settings)
