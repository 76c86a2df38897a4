"""SMS backends, chosen by ``settings.SMS_BACKEND`` (as Django's ``EMAIL_BACKEND``).

A backend has ``open()``, ``close()`` and ``send_messages(messages) -> int``; it raises when
a message does not leave (the outbox retries it). ``get_connection()`` gives the configured
one, ``SmsMessage`` is what the outbox's SMS builders return.
"""

import re

from django.conf import settings
from django.utils.module_loading import import_string

# E.164: a plus, a country code and at most 15 digits in all.
E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class BaseSmsBackend:
    def __init__(self, fail_silently: bool = False, **kwargs):
        self.fail_silently = fail_silently

    def open(self) -> None:
        """Ready to send (a backend without a session does nothing)."""

    def close(self) -> None:
        """Done sending."""

    def send_messages(self, messages: list["SmsMessage"]) -> int:
        raise NotImplementedError


class SmsMessage:
    """A text to one or more E.164 numbers (the outbox sends each SMS to one)."""

    def __init__(self, body: str, to: list[str] | None = None, connection=None):
        self.body = body
        self.to = list(to or [])
        self.connection = connection

    def recipients(self) -> list[str]:
        """The numbers, each checked: anything else than E.164 is refused, never sent."""
        for number in self.to:
            if not isinstance(number, str) or not E164.fullmatch(number):
                raise ValueError(f"Not an E.164 phone number: {number!r}")
        return self.to

    def send(self, fail_silently: bool = False) -> int:
        if not self.to:
            return 0
        connection = self.connection or get_connection(fail_silently=fail_silently)
        return connection.send_messages([self])


def get_connection(backend: str | None = None, **kwargs) -> BaseSmsBackend:
    """An instance of the configured backend (``settings.SMS_BACKEND``)."""
    return import_string(backend or settings.SMS_BACKEND)(**kwargs)
