"""Twilio's Programmable Messaging, over its HTTP API (no SDK: one POST per SMS).

Settings (environment): ``TWILIO_ACCOUNT_SID`` and ``TWILIO_AUTH_TOKEN`` (the account's
keys), and the sender, ``TWILIO_FROM`` (a Twilio number in E.164, or an alphanumeric
sender ID where the country allows it) or ``TWILIO_MESSAGING_SERVICE_SID``.

Sending: ``POST https://api.twilio.com/2010-04-01/Accounts/<sid>/Messages.json`` with
``To``, ``Body`` and ``From`` (or ``MessagingServiceSid``), HTTP basic auth with the account
SID and auth token; Twilio answers 201 with the message's ``sid``, or 4xx/5xx with a JSON
``code`` and ``message`` (raised here: the outbox retries the SMS later).

Replies: Twilio POSTs each SMS a household sends back to the messaging webhook configured
on the number (``/sms/twilio/``, ``orders.sms.views.twilio_inbound``), signed in the
``X-Twilio-Signature`` header: base64 of HMAC-SHA1, keyed with the auth token, of the full
URL followed by every POST parameter sorted by name, name and value glued together.
"""

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import BaseSmsBackend

API_URL = "https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json"
SIGNATURE_HEADER = "X-Twilio-Signature"


class SmsNotSent(Exception):
    """Twilio refused the SMS or could not be reached."""


class SmsBackend(BaseSmsBackend):
    def __init__(self, *args, account_sid=None, auth_token=None, sender=None,
                 messaging_service_sid=None, timeout=None, **kwargs):  # fmt: skip
        super().__init__(*args, **kwargs)
        self.account_sid = account_sid or settings.TWILIO_ACCOUNT_SID
        self.auth_token = auth_token or settings.TWILIO_AUTH_TOKEN
        self.sender = sender or settings.TWILIO_FROM
        self.service = messaging_service_sid or settings.TWILIO_MESSAGING_SERVICE_SID
        self.timeout = timeout or settings.SMS_TIMEOUT

    def open(self) -> None:
        if not (self.account_sid and self.auth_token and (self.sender or self.service)):
            raise ImproperlyConfigured(
                "Twilio SMS need TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM "
                "(or TWILIO_MESSAGING_SERVICE_SID)."
            )

    def send_messages(self, messages) -> int:
        self.open()
        sent = 0
        for message in messages:
            for number in message.recipients():
                try:
                    self.post(number, message.body)
                except SmsNotSent:
                    if not self.fail_silently:
                        raise
                    continue
            sent += 1
        return sent

    def post(self, number: str, body: str) -> str:
        """Send one SMS; Twilio's id of the message."""
        fields = {"To": number, "Body": body}
        if self.service:
            fields["MessagingServiceSid"] = self.service
        else:
            fields["From"] = self.sender
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 - Twilio's https address, fixed
            API_URL.format(sid=urllib.parse.quote(self.account_sid, safe="")),
            data=urllib.parse.urlencode(fields).encode(),
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            # The address is Twilio's https API, fixed above (not a user's input).
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise SmsNotSent(f"Twilio answered {error.code}: {_detail(error)}") from error
        except (OSError, ValueError) as error:  # unreachable, timed out, not JSON
            raise SmsNotSent(f"Twilio could not be reached: {error}") from error
        return str(answer.get("sid", ""))


def _detail(error: urllib.error.HTTPError) -> str:
    try:
        answer = json.loads(error.read() or b"{}")
    except (OSError, ValueError):
        return ""
    return f"{answer.get('code', '')} {answer.get('message', '')}".strip()


def signature(url: str, params: list[tuple[str, str]], auth_token: str) -> str:
    """What Twilio puts in ``X-Twilio-Signature`` for a POST of ``params`` to ``url``."""
    signed = url + "".join(f"{name}{value}" for name, value in sorted(params, key=lambda p: p[0]))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def is_signed(url: str, params: list[tuple[str, str]], given: str, auth_token: str) -> bool:
    """Whether ``given`` is Twilio's signature of this request (constant-time)."""
    if not (auth_token and given):
        return False
    return hmac.compare_digest(signature(url, params, auth_token).encode(), given.encode())
