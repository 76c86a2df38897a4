"""Use cases for hubs, memberships and invitations."""

from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from producers.models import Producer, ProducerMembership

from .models import Hub, HubMembership, Invitation, Relay

User = get_user_model()


class InvitationError(Exception):
    """An invitation that cannot be sent or accepted; the message is for the user."""


def _normalise(email: str) -> str:
    return email.strip().lower()


def _point_memberships():
    # pickup_points sits above this app: named, never imported (see DESIGN.md).
    return apps.get_model("pickup_points", "PickupPointMembership").objects


def _is_member(
    *, email: str, hub=None, producer=None, pickup_point=None, relay: bool = False
) -> bool:
    if hub is not None and relay:
        return Relay.objects.filter(hub=hub, user__email__iexact=email).exists()
    if hub is not None:
        return HubMembership.objects.filter(hub=hub, user__email__iexact=email).exists()
    if producer is not None:
        return ProducerMembership.objects.filter(
            producer=producer, user__email__iexact=email
        ).exists()
    return (
        _point_memberships().filter(pickup_point=pickup_point, user__email__iexact=email).exists()
    )


def invite(
    *,
    email: str,
    invited_by,
    hub: Hub | None = None,
    producer: Producer | None = None,
    pickup_point=None,
    coordinator: bool = False,
    relay: bool = False,
) -> Invitation:
    """Invite someone by e-mail to manage ``hub`` (or to be one of its ``relay``s), to join
    ``producer``, or to join the team of ``pickup_point`` (as a volunteer, or a
    ``coordinator``).

    1. Refuse when that address is already a member.
    2. Reuse a pending invitation for the same address and target (a new token and a new
       expiry), so re-sending never leaves two valid links around.
    3. Send the e-mail once the transaction has committed.
    """
    targets = [target for target in (hub, producer, pickup_point) if target is not None]
    if len(targets) != 1:
        raise ValueError("Invite to exactly one hub, producer or pickup point.")
    email = _normalise(email)
    target = targets[0]
    place = {"hub": hub, "producer": producer, "pickup_point": pickup_point}
    if _is_member(email=email, relay=relay, **place):
        raise InvitationError(
            _("%(email)s is already a member of %(target)s.") % {"email": email, "target": target}
        )
    if hub is not None:
        kind = Invitation.Kind.HUB_RELAY if relay else Invitation.Kind.HUB_MANAGER
    elif producer is not None:
        kind = Invitation.Kind.PRODUCER_MEMBER
    elif coordinator:
        kind = Invitation.Kind.PICKUP_COORDINATOR
    else:
        kind = Invitation.Kind.PICKUP_VOLUNTEER
    with transaction.atomic():
        # A pending invitation to the same place is replaced (whatever role it offered).
        Invitation.objects.filter(email=email, accepted_at__isnull=True, **place).update(
            expires_at=timezone.now()
        )
        invitation = Invitation.objects.create(
            kind=kind, email=email, invited_by=invited_by, **place
        )
        language = translation.get_language()
        transaction.on_commit(lambda: send_invitation_email(invitation, language=language))
    return invitation


def send_invitation_email(invitation: Invitation, *, language: str | None = None) -> None:
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {
            "invitation": invitation,
            "url": settings.SITE_URL + invitation.get_absolute_url(),
            "inviter": invitation.invited_by,
            "target": invitation.target,
            "site_name": settings.SITE_NAME,
        }
        subject = _("You are invited to join %(target)s on %(site)s") % {
            "target": invitation.target,
            "site": settings.SITE_NAME,
        }
        body = render_to_string("hubs/email/invitation.txt", context)
    send_mail(subject, body, None, [invitation.email])


def check_invitation(invitation: Invitation) -> None:
    if invitation.is_accepted:
        raise InvitationError(_("This invitation has already been used."))
    if invitation.is_expired:
        raise InvitationError(
            _("This invitation has expired. Ask the person who invited you to send a new one.")
        )


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user) -> None:
    """Give ``user`` the membership the invitation promises; a link works once only."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    check_invitation(invitation)
    if _normalise(user.email) != invitation.email:
        raise InvitationError(
            _(
                "This invitation was sent to %(invited)s, but you are logged in as %(current)s. "
                "Log out, then open the link again."
            )
            % {"invited": invitation.email, "current": user.email}
        )
    if invitation.kind == Invitation.Kind.HUB_RELAY:
        Relay.objects.get_or_create(hub_id=invitation.hub_id, user=user)
    elif invitation.hub_id:
        HubMembership.objects.get_or_create(hub_id=invitation.hub_id, user=user)
    elif invitation.producer_id:
        ProducerMembership.objects.get_or_create(producer_id=invitation.producer_id, user=user)
    else:
        role = (
            "coordinator" if invitation.kind == Invitation.Kind.PICKUP_COORDINATOR else "volunteer"
        )
        membership, created = _point_memberships().get_or_create(
            pickup_point_id=invitation.pickup_point_id, user=user, defaults={"role": role}
        )
        if not created and role == "coordinator" and membership.role != role:
            membership.role = role  # a volunteer made coordinator
            membership.save(update_fields=["role"])
    # Receiving the link proves the address belongs to this person.
    EmailAddress.objects.update_or_create(
        user=user,
        email__iexact=invitation.email,
        defaults={"verified": True, "email": invitation.email},
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])


@transaction.atomic
def create_account_from_invitation(*, invitation: Invitation, full_name: str, password: str | None):
    """Create the invited person's account (e-mail verified by the link) and accept."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    check_invitation(invitation)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationError(_("An account already exists for this address: please log in."))
    user = User.objects.create_user(
        email=invitation.email, password=password or None, full_name=full_name.strip()
    )
    if not password:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    EmailAddress.objects.create(user=user, email=invitation.email, verified=True, primary=True)
    accept_invitation(invitation=invitation, user=user)
    return user


@transaction.atomic
def add_producer_to_hub(
    *, hub: Hub, name: str, slug: str, email: str = "", city: str = ""
) -> Producer:
    producer = Producer.objects.create(name=name.strip(), slug=slug, email=email, city=city)
    hub.producers.add(producer)
    return producer
