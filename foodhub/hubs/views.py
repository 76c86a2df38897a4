from django.apps import apps
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from foodhub.collation import french
from foodhub.shortcuts import outcome_message, render_form
from producers.models import Producer
from producers.selectors import get_producer_for, producers_of

from . import services
from .forms import AcceptInvitationForm, AddProducerForm, HubForm, InviteForm
from .models import HubMembership, Invitation, Relay
from .selectors import get_managed_hub, hubs_managed_by, public_hubs


@login_required
def spaces(request):
    """After log-in: send each person to what they manage, households to the shops."""
    producers = producers_of(request.user).order_by(french("name"))
    hubs = hubs_managed_by(request.user).order_by(french("name"))
    return render(
        request,
        "hubs/spaces.html",
        {
            "producers": producers,
            "managed_hubs": hubs,
            # pickup_points sits above this app: named, not imported (see DESIGN.md).
            "pickup_points": apps.get_model("pickup_points", "PickupPoint").objects.filter(
                memberships__user=request.user
            ),
            "shops": public_hubs(),
            # orders sits above this app: named, not imported (see DESIGN.md).
            "helps": Relay.objects.filter(user=request.user).exists()
            or apps.get_model("orders", "OrderingRight")
            .objects.filter(user=request.user, withdrawn_at__isnull=True)
            .exists(),
        },
    )


@login_required
def hub_dashboard(request, hub_slug):
    hub = get_managed_hub(request.user, hub_slug)
    producers = hub.producers.annotate(product_count=Count("products", distinct=True)).order_by(
        french("name")
    )
    memberships = HubMembership.objects.filter(hub=hub).select_related("user")
    relays = Relay.objects.filter(hub=hub).select_related("user").order_by("user__full_name")
    invitations = Invitation.objects.filter(hub=hub, accepted_at__isnull=True).order_by(
        "-created_at"
    )
    return render(
        request,
        "hubs/dashboard.html",
        {
            "hub": hub,
            "producers": producers,
            "memberships": memberships,
            "relays": relays,
            "invitations": invitations,
            "invite_form": InviteForm(),
            "producer_form": AddProducerForm(),
        },
    )


@login_required
def hub_settings(request, hub_slug):
    hub = get_managed_hub(request.user, hub_slug)
    if request.method == "POST":
        form = HubForm(request.POST, request.FILES, instance=hub)
        if form.is_valid():
            form.save()
            messages.success(request, _("The hub's details are saved."))
            return redirect("hubs:dashboard", hub_slug=hub.slug)
    else:
        form = HubForm(instance=hub)
    return render_form(request, "hubs/settings.html", {"hub": hub, "form": form})


def _invite(request, hub_slug, *, relay: bool):
    hub = get_managed_hub(request.user, hub_slug)
    form = InviteForm(request.POST)
    if form.is_valid():
        email = form.cleaned_data["email"]
        done = _("Invitation sent to %(email)s.") % {"email": email}
        with outcome_message(request, done, services.InvitationError):
            services.invite(email=email, hub=hub, invited_by=request.user, relay=relay)
    else:
        messages.error(request, _("Enter a valid e-mail address."))
    return redirect("hubs:dashboard", hub_slug=hub.slug)


@login_required
@require_POST
def invite_hub_manager(request, hub_slug):
    return _invite(request, hub_slug, relay=False)


@login_required
@require_POST
def invite_relay(request, hub_slug):
    """Invite a relay: someone who will order for households of the hub that cannot."""
    return _invite(request, hub_slug, relay=True)


@login_required
@require_POST
def remove_relay(request, hub_slug, relay_id):
    """A relay who stops: it no longer sees the households it helped (their orders stay)."""
    hub = get_managed_hub(request.user, hub_slug)
    relay = get_object_or_404(Relay.objects.select_related("user"), pk=relay_id, hub=hub)
    relay.delete()
    messages.success(
        request,
        _("%(name)s is no longer a relay of this hub.")
        % {"name": relay.user.full_name or relay.user.email},
    )
    return redirect("hubs:dashboard", hub_slug=hub.slug)


@login_required
def add_producer(request, hub_slug):
    """A manager adds a new producer to the hub and, optionally, invites its first member."""
    hub = get_managed_hub(request.user, hub_slug)
    form = AddProducerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        producer = services.add_producer_to_hub(hub=hub, **form.cleaned_data)
        if producer.email:
            services.invite(email=producer.email, producer=producer, invited_by=request.user)
            messages.success(
                request,
                _("%(name)s added; an invitation was sent to %(email)s.")
                % {"name": producer.name, "email": producer.email},
            )
        else:
            messages.success(request, _("%(name)s added.") % {"name": producer.name})
        return redirect("hubs:dashboard", hub_slug=hub.slug)
    return render(request, "hubs/add_producer.html", {"hub": hub, "form": form})


@login_required
def producer_team(request, producer_slug):
    """A producer's members, and inviting a colleague (by a member or a manager of its hubs)."""
    producer = _producer_for_team(request.user, producer_slug)
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invite(
                email=form.cleaned_data["email"], producer=producer, invited_by=request.user
            )
        except services.InvitationError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]},
            )
            return redirect("producer_team", producer_slug=producer.slug)
    members = producer.memberships.select_related("user").order_by(french("user__full_name"))
    invitations = producer.invitations.filter(accepted_at__isnull=True)
    return render(
        request,
        "hubs/producer_team.html",
        {"producer": producer, "members": members, "invitations": invitations, "form": form},
    )


def _producer_for_team(user, slug) -> Producer:
    """Members of the producer, and managers of a hub it sells through, may invite."""
    managed = Producer.objects.filter(hubs__in=hubs_managed_by(user), slug=slug).first()
    return managed or get_producer_for(user, slug)


def accept_invitation(request, token):
    invitation = get_object_or_404(
        Invitation.objects.select_related("hub", "producer", "invited_by"), token=token
    )
    try:
        services.check_invitation(invitation)
    except services.InvitationError as error:
        return render(request, "hubs/invitation_invalid.html", {"message": str(error)}, status=410)

    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                services.accept_invitation(invitation=invitation, user=request.user)
            except services.InvitationError as error:
                messages.error(request, str(error))
                return redirect("invitation", token=token)
            messages.success(request, _("Welcome to %(target)s!") % {"target": invitation.target})
            return redirect(_space_url(invitation))
        return render(request, "hubs/invitation_accept.html", {"invitation": invitation})

    if services.User.objects.filter(email__iexact=invitation.email).exists():
        messages.info(
            request,
            _("You already have an account: log in to accept the invitation."),
        )
        return redirect_to_login(request.get_full_path())

    form = AcceptInvitationForm(
        request.POST if request.method == "POST" else None, email=invitation.email
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.create_account_from_invitation(
                invitation=invitation,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password"],
            )
        except services.InvitationError as error:
            messages.error(request, str(error))
            return redirect("invitation", token=token)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to %(target)s!") % {"target": invitation.target})
        return redirect(_space_url(invitation))
    return render(request, "hubs/invitation_signup.html", {"invitation": invitation, "form": form})


def _space_url(invitation: Invitation) -> str:
    if invitation.hub_id:
        return reverse("hubs:dashboard", kwargs={"hub_slug": invitation.hub.slug})
    if invitation.producer_id:
        return invitation.producer.get_absolute_url()
    return reverse("pickup_points:team", kwargs={"point_slug": invitation.pickup_point.slug})
