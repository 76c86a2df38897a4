"""Proving again who one is before something that cannot be undone (deleting the account).

People with a password type it. People who log in by e-mail code have none: they get a
short-lived code by e-mail, as when they log in. allauth 65 re-authenticates only by
password (or a second factor), so the code is kept here, in the session: only its keyed
hash, with its expiry and the attempts left.
"""

import secrets
import time

from allauth.account.adapter import get_adapter
from django.utils.crypto import constant_time_compare, salted_hmac

SESSION_KEY = "reauthentication_code"
CODE_SECONDS = 10 * 60  # how long a code is valid
RESEND_SECONDS = 60  # a new code no sooner than this: the form cannot flood a mailbox
ATTEMPTS = 5  # wrong codes before the code is dropped


class CodeNotSent(Exception):
    """A code left less than RESEND_SECONDS ago: it is still the one to use."""


def _digest(user, code: str) -> str:
    return salted_hmac("foodhub.accounts.reauth", f"{user.pk}:{code}").hexdigest()


def send_code(request) -> None:
    """E-mail a six-digit code to the logged-in person's address, for CODE_SECONDS."""
    user = request.user
    pending = request.session.get(SESSION_KEY)
    now = time.time()
    if pending and pending["user"] == user.pk and now - pending["sent"] < RESEND_SECONDS:
        raise CodeNotSent
    code = f"{secrets.randbelow(10**6):06d}"
    request.session[SESSION_KEY] = {
        "user": user.pk,
        "digest": _digest(user, code),
        "sent": now,
        "attempts": ATTEMPTS,
    }
    get_adapter(request).send_mail(
        "account/email/reauthentication_code",
        user.email,
        {"user": user, "code": code, "minutes": CODE_SECONDS // 60},
    )


def has_pending_code(request) -> bool:
    pending = request.session.get(SESSION_KEY)
    return bool(
        pending
        and pending["user"] == request.user.pk
        and time.time() - pending["sent"] < CODE_SECONDS
    )


def check_code(request, code: str) -> bool:
    """Whether ``code`` is the one sent to this person, still valid. A right code is used
    up; too many wrong ones drop it (a new one must be asked for)."""
    if not has_pending_code(request):
        request.session.pop(SESSION_KEY, None)
        return False
    pending = dict(request.session[SESSION_KEY])
    typed = "".join(code.split())
    if typed.isascii() and constant_time_compare(_digest(request.user, typed), pending["digest"]):
        del request.session[SESSION_KEY]
        return True
    pending["attempts"] -= 1
    if pending["attempts"] <= 0:
        del request.session[SESSION_KEY]
    else:
        request.session[SESSION_KEY] = pending
    return False
