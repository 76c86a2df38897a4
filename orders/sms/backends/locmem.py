"""Tests: SMS are kept in ``outbox`` (this module's list), like Django's ``mail.outbox``."""

from . import BaseSmsBackend

outbox: list = []


class SmsBackend(BaseSmsBackend):
    def send_messages(self, messages) -> int:
        for message in messages:
            message.recipients()  # refused as a real provider would
            outbox.append(message)
        return len(messages)
