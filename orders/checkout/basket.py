"""The household's basket: what it intends to order, before checkout. It holds no stock.

A logged-in household's basket belongs to its account; an anonymous visitor's is found by
a random token kept in the session (the session survives log-in, so the basket is merged
into the account then). A household that already has an order in the cycle edits it
through the basket: the basket is seeded from the order and checkout saves the changes.
"""

import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from foodhub.collation import french
from orders import pricing
from orders.models import Basket, BasketItem, Offer, Order, OrderCycle, OrderLine

from . import acting
from .services import OrderError, check_quantities

SESSION_KEY = "basket_token"


def _token(session, *, create: bool) -> str:
    token = session.get(SESSION_KEY, "")
    if not token and create:
        token = session[SESSION_KEY] = secrets.token_urlsafe(24)
    return token


def get_basket(request, cycle: OrderCycle, *, create: bool = False) -> Basket | None:
    """The visitor's basket for ``cycle``; with ``create``, make it if there is none."""
    user = request.user if request.user.is_authenticated else None
    if user is not None:
        # Ordering for a household one helps: its own basket, beside one's own.
        customer = acting.household(request, cycle.hub)
        basket = Basket.objects.filter(cycle=cycle, user=user, customer=customer).first()
        if basket is None and create:
            basket, _created = Basket.objects.get_or_create(
                cycle=cycle, user=user, customer=customer
            )
        return basket
    token = _token(request.session, create=create)
    if not token:
        return None
    basket = Basket.objects.filter(cycle=cycle, user=None, token=token).first()
    if basket is None and create:
        basket, _created = Basket.objects.get_or_create(cycle=cycle, user=None, token=token)
    return basket


def items_of(basket: Basket | None) -> list[BasketItem]:
    if basket is None:
        return []
    return list(
        basket.items.select_related("offer__variant__product__producer").order_by(
            french("offer__variant__product__producer__name"),
            french("offer__variant__product__name"),
            "pk",
        )
    )


def quantities_of(basket: Basket | None) -> dict[int, int]:
    if basket is None:
        return {}
    return dict(basket.items.values_list("offer_id", "quantity"))


def amounts_of(
    cycle: OrderCycle, items: list[BasketItem], percent: int = 100
) -> pricing.OrderAmounts:
    """The basket priced like an order would be (server-side prices of the cycle), at a
    solidarity tier of ``percent`` %."""
    return pricing.price_order(
        [
            pricing.LineInput(
                unit_price=item.offer.price,
                vat_rate=item.offer.variant.vat_rate_decimal,
                quantity=item.quantity,
                percent=percent,
            )
            for item in items
        ],
        fee_percent=cycle.fee_percent,
        fee_fixed=cycle.fee_fixed,
        fee_vat_rate=cycle.fee_vat_rate_decimal,
    )


def rows_of(items: list[BasketItem], amounts: pricing.OrderAmounts) -> list[pricing.PricedRow]:
    return [
        pricing.PricedRow(
            name=f"{item.offer.variant.product.name} — {item.offer.variant.name}",
            producer=item.offer.variant.product.producer.name,
            amounts=line,
            per_kg=(
                pricing.tier_price(item.offer.price_per_kg, line.percent)
                if item.offer.price_per_kg is not None
                else None
            ),
        )
        for item, line in zip(items, amounts.lines, strict=True)
    ]


@transaction.atomic
def set_quantity(*, basket: Basket, offer_id, quantity) -> BasketItem | None:
    """Put ``quantity`` of an offer in the basket (0 takes it out).

    The quantity is checked like an order's, the offer must be on sale in the basket's
    cycle, and a household cannot put more in its basket than is left (units it already
    holds in the order being changed count as its own).
    """
    ((offer_id, quantity),) = check_quantities({offer_id: quantity}).items()
    offer = (
        Offer.objects.select_related("variant__product")
        .filter(cycle_id=basket.cycle_id, pk=offer_id)
        .first()
    )
    if offer is None:
        raise OrderError(_("This product is not on sale in this cycle."))
    if quantity == 0:
        BasketItem.objects.filter(basket=basket, offer=offer).delete()
        return None
    available = offer.available()
    if available is not None:
        if basket.order_id:
            held = OrderLine.objects.filter(order_id=basket.order_id, offer=offer)
            available += held.values_list("quantity", flat=True).first() or 0
        if quantity > available:
            if available <= 0:
                raise OrderError(_("%(name)s is sold out.") % {"name": offer.variant})
            raise OrderError(
                _("%(name)s: only %(count)d left.") % {"name": offer.variant, "count": available}
            )
    item, _created = BasketItem.objects.update_or_create(
        basket=basket, offer=offer, defaults={"quantity": quantity}
    )
    basket.save(update_fields=["updated_at"])
    return item


@transaction.atomic
def start_editing(*, basket: Basket, order: Order) -> None:
    """Load an order into the basket, to change it with the shop's pages.

    What the basket already held (chosen before logging in, say) is kept on top of the
    order's lines, the larger quantity winning, so nothing the household picked is lost.
    """
    wanted = {line.offer_id: line.quantity for line in order.lines.all()}
    for offer_id, quantity in quantities_of(basket).items():
        wanted[offer_id] = max(quantity, wanted.get(offer_id, 0))
    basket.items.all().delete()
    BasketItem.objects.bulk_create(
        BasketItem(basket=basket, offer_id=offer_id, quantity=quantity)
        for offer_id, quantity in wanted.items()
    )
    basket.order = order
    basket.save(update_fields=["order", "updated_at"])


def empty(basket: Basket) -> None:
    basket.delete()


@transaction.atomic
def merge_anonymous_basket(*, session, user) -> None:
    """At log-in: move the session's baskets into the account's (larger quantity wins)."""
    token = session.get(SESSION_KEY)
    if not token:
        return
    for anonymous in Basket.objects.filter(user=None, token=token).prefetch_related("items"):
        mine, _created = Basket.objects.get_or_create(
            cycle_id=anonymous.cycle_id, user=user, customer=None
        )
        current = quantities_of(mine)
        for item in anonymous.items.all():
            if item.quantity > current.get(item.offer_id, 0):
                BasketItem.objects.update_or_create(
                    basket=mine, offer_id=item.offer_id, defaults={"quantity": item.quantity}
                )
        anonymous.delete()
    session.pop(SESSION_KEY, None)
