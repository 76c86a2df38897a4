"""Who may read a producer's DFC catalogue: anyone when the producer made it public, its
members, and whoever holds one of its read keys that is not revoked."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from .models import DfcReadToken, Producer
from .selectors import producers_of


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@transaction.atomic
def create_read_token(*, producer: Producer, name: str, by) -> tuple[DfcReadToken, str]:
    """A new read key for ``producer``: the row, and the key itself (shown once, never kept)."""
    key = secrets.token_urlsafe(32)
    token = DfcReadToken.objects.create(
        producer=producer, name=name, key_hash=_hash(key), created_by=by
    )
    return token, key


def revoke_read_token(*, token: DfcReadToken) -> bool:
    """Revoke ``token`` now; False if it was already revoked (nothing changes then)."""
    return bool(
        DfcReadToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())
    )


def key_from(request) -> str:
    """The key a request carries: ``Authorization: Bearer <key>`` or ``?key=<key>`` (for the
    platforms that only take a URL)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.GET.get("key", "").strip()


def may_read_catalogue(request, producer: Producer) -> bool:
    if producer.dfc_catalogue_public:
        return True
    if request.user.is_authenticated and producers_of(request.user).filter(pk=producer.pk).exists():
        return True
    key = key_from(request)
    if not key or len(key) > 200:
        return False
    return DfcReadToken.objects.filter(
        producer=producer, key_hash=_hash(key), revoked_at=None
    ).exists()
