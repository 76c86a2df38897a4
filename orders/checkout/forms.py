from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from foodhub import inputs
from orders.models import Customer, Order, PriceTier
from orders.solidarity import services as solidarity
from orders.solidarity.forms import tier_choices
from producers.templatetags.money import clock, day

from .selectors import pickups_with_slots

GROUPINGS = [("producer", gettext_lazy("by producer")), ("category", gettext_lazy("by category"))]


class ShopFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    producer = forms.ChoiceField(label=gettext_lazy("Producer"), required=False)
    group = forms.ChoiceField(
        label=gettext_lazy("Show"), required=False, choices=GROUPINGS, initial="producer"
    )

    def __init__(self, *args, categories, producers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": _("carrots, honey…")}
        )
        self.fields["category"].choices = [("", _("All"))] + [(c.slug, c.name) for c in categories]
        self.fields["producer"].choices = [("", _("All"))] + [(p.slug, p.name) for p in producers]


def slot_label(cycle_pickup, slot) -> str:
    return _("%(point)s — %(day)s, %(start)s–%(end)s") % {
        "point": cycle_pickup.pickup_point.name,
        "day": day(cycle_pickup.pickup_date),
        "start": clock(slot.starts_at),
        "end": clock(slot.ends_at),
    }


class CheckoutForm(forms.Form):
    """The household's details, pickup slot and payment method. Never a price."""

    email = inputs.EmailField(label=gettext_lazy("E-mail address"))
    full_name = forms.CharField(label=gettext_lazy("Name"), max_length=150)
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        max_length=30,
        required=False,
        help_text=gettext_lazy("Optional: in case the pickup point needs to reach you."),
    )
    slot = forms.TypedChoiceField(
        label=gettext_lazy("Pickup point and time"), coerce=int, widget=forms.RadioSelect
    )
    payment_method = forms.ChoiceField(label=gettext_lazy("Payment"), widget=forms.RadioSelect)
    note = forms.CharField(
        label=gettext_lazy("Note for the hub"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, cycle, user, order=None, for_household=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        choices = []
        for cycle_pickup in pickups_with_slots(cycle):
            for slot in cycle_pickup.slots.all():
                # Full slots are not offered (the order's own slot always is).
                if slot.has_room_for(order):
                    choices.append((slot.pk, slot_label(cycle_pickup, slot)))
        self.fields["slot"].choices = choices
        methods = [Order.PaymentMethod.AT_PICKUP]
        if cycle.hub.card_payments_available:
            methods.insert(0, Order.PaymentMethod.CARD)
        self.fields["payment_method"].choices = [
            (m.value, m.label) for m in Order.PaymentMethod if m in methods
        ]
        if len(methods) == 1:
            self.fields["payment_method"].initial = methods[0]
        if user.is_authenticated or order is not None:
            # The account's (or the order's) address is used; it is not typed again.
            del self.fields["email"]
            self.fields["full_name"].initial = order.full_name if order else user.full_name
            self.fields["phone"].initial = order.phone if order else user.phone
        if for_household is not None:
            # Its record holds who it is; it pays at pickup (or with its credit).
            for name in ("email", "full_name", "phone", "payment_method"):
                self.fields.pop(name, None)
        if order is not None:
            self.fields.pop("payment_method", None)
            self.fields["slot"].initial = order.slot_id
            self.fields["note"].initial = order.note
        for name in ("full_name", "phone"):
            if name in self.fields:
                self.fields[name].widget.attrs["autocomplete"] = {
                    "full_name": "name",
                    "phone": "tel",
                }[name]
        if "email" in self.fields:
            self.fields["email"].widget.attrs["autocomplete"] = "email"
        self._add_price_tier(cycle, user, order, for_household)

    def _add_price_tier(self, cycle, user, order, for_household=None) -> None:
        """With the hub's solidarity prices, the household chooses its price (private);
        its last choice is the default."""
        self.cycle, self.tiers = cycle, solidarity.settings_of(cycle.hub)
        self.lower_closed = self.tiers is not None and solidarity.lower_tier_closed(cycle)
        if self.tiers is None:
            return
        if order is not None:
            initial = order.price_tier
        elif for_household is not None:  # its own choice, not the relay's
            initial = for_household.price_tier
        elif user.is_authenticated:
            customers = Customer.objects.filter(hub=cycle.hub, user=user)
            initial = customers.values_list("price_tier", flat=True).first()
        else:
            initial = None
        self.fields["price_tier"] = forms.ChoiceField(
            label=_("Its price") if for_household is not None else _("Your price"),
            widget=forms.RadioSelect,
            choices=tier_choices(self.tiers),
            initial=initial or PriceTier.MIDDLE,
        )

    def clean_price_tier(self):
        tier = self.cleaned_data["price_tier"]
        kept = self.order is not None and self.order.price_tier == PriceTier.LOWER
        if tier == PriceTier.LOWER and self.lower_closed and not kept:
            raise forms.ValidationError(solidarity.closed_message())
        return tier

    @property
    def percent(self) -> int:
        """The percentage of the price the chosen tier pays (100 without a choice)."""
        return solidarity.percent_of(self.tiers, self.cleaned_data.get("price_tier", ""))
