"""Development: each SMS is printed in the terminal running the worker."""

import sys
import threading

from . import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def __init__(self, *args, stream=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()

    def send_messages(self, messages) -> int:
        with self._lock:
            for message in messages:
                for number in message.recipients():
                    self.stream.write(f"SMS to {number}:\n{message.body}\n{'-' * 79}\n")
            self.stream.flush()
        return len(messages)
