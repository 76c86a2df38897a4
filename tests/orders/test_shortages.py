"""Shortages and corrections after the close (orders.billing.shortages, .corrections):
"delivered 8 of 12" shared between the households, a line corrected with a reason; each
change an entry of the household's balance, an e-mail, and documents built again."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.files.base import ContentFile
from django.db import connection, connections
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from orders import ledger, outbox
from orders.billing import corrections, shortages, weighing
from orders.billing.shortages import ShortageError
from orders.checkout import services
from orders.models import (
    BalanceEntry,
    Customer,
    CycleDocument,
    Order,
    OrderCycle,
    OrderLine,
    OutgoingEmail,
    Shortage,
)
from orders.printouts import documents
from tests import bad_input, factories

ADJUSTMENTS = ("weight", "shortage", "correction")
BREAD = Decimal("4.80")


def _close(cycle):
    OrderCycle.objects.filter(pk=cycle.pk).update(
        opens_at=timezone.now() - timedelta(days=3), closes_at=timezone.now() - timedelta(hours=1)
    )
    cycle.refresh_from_db()


def _place(cycle, slot, items, n, *, language="fr"):
    user = factories.UserFactory(email=f"foyer{n}@example.org", full_name=f"Foyer {n:02d}")
    order = services.place_order(
        cycle=cycle, items=items, slot=slot, email=user.email, full_name=user.full_name,
        user=user, notify=False,
    )  # fmt: skip
    Order.objects.filter(pk=order.pk).update(language=language)
    return order


@pytest.fixture
def bread(offers):
    return offers["bread"]


def _week(cycle, slot, offer, quantities, *, extra=None):
    """Orders of ``quantities`` of ``offer`` placed one after the other (plus ``extra``
    items each), then the cycle closed."""
    orders = [
        _place(cycle, slot, {offer.pk: quantity, **(extra or {})}, n)
        for n, quantity in enumerate(quantities, start=1)
    ]
    _close(cycle)
    return orders


def _gets(offer) -> list[int]:
    lines = OrderLine.objects.filter(offer=offer).order_by("order__placed_at", "order_id")
    return [line.final_quantity for line in lines]


def assert_invariants(cycle):
    """For every order: its lines' final totals are what was agreed less its adjustments;
    every balance is the sum of its entries; no key twice."""
    for order in Order.objects.filter(cycle=cycle).prefetch_related("lines"):
        adjustments = BalanceEntry.objects.filter(order=order, kind__in=ADJUSTMENTS).aggregate(
            total=Sum("amount")
        )["total"] or Decimal("0")
        finals = sum(line.final_total for line in order.lines.all())
        assert finals + order.fee_total == order.total - Decimal(adjustments).quantize(BREAD)
        if not order.fee_total:
            assert finals == order.total - Decimal(adjustments).quantize(BREAD)
    assert ledger.recount() == []


def _shortage(cycle, offer, delivered, strategy="last_first", quantities=None, by=None):
    shortage = shortages.record_shortage(
        cycle=cycle, offer=offer, delivered=delivered, strategy=strategy, quantities=quantities,
        by=by,
    )  # fmt: skip
    return shortages.apply_shortage(shortage=shortage, by=by)


# Sharing: the last orders placed lose first (the default).


def test_the_last_orders_placed_lose_first(cycle, slot, bread, manager):
    orders = _week(cycle, slot, bread, [2, 3, 1, 4])

    applied = _shortage(cycle, bread, 5, by=manager)

    assert _gets(bread) == [2, 3, 0, 0]
    entries = BalanceEntry.objects.filter(kind="shortage").order_by("order__placed_at")
    assert [(e.order_id, e.amount) for e in entries] == [
        (orders[2].pk, BREAD), (orders[3].pk, 4 * BREAD),
    ]  # fmt: skip
    assert {e.key for e in entries} == {
        f"shortage:{applied.shortage.pk}:{orders[n].lines.get().pk}" for n in (2, 3)
    }
    assert Customer.objects.get(pk=orders[3].customer_id).balance == Decimal("19.20")
    assert [h.order for h in applied.plan.households] == [orders[2], orders[3]]
    assert applied.shortage.applied_at is not None
    assert_invariants(cycle)


def test_a_line_losing_part_of_its_units_keeps_the_rest(cycle, slot, bread, manager):
    _week(cycle, slot, bread, [2, 3, 4])

    _shortage(cycle, bread, 7, by=manager)

    assert _gets(bread) == [2, 3, 2]
    line = OrderLine.objects.get(offer=bread, delivered_quantity=2)
    assert line.quantity == 4 and line.final_total == 2 * BREAD
    assert_invariants(cycle)


# In proportion: largest remainders, whole units, the order placed first wins a tie.


@pytest.mark.parametrize(
    ("ordered", "delivered", "gets"),
    [
        ([5, 3, 2], 7, [4, 2, 1]),  # 3.5, 2.1, 1.4: the half goes to the first
        ([3, 3, 3, 1], 5, [2, 2, 1, 0]),  # four halves: the first two placed win them
        ([1, 1, 1], 2, [1, 1, 0]),  # a tie between equals: placed first
        ([4, 4], 0, [0, 0]),  # nothing came
        ([7, 2, 1], 9, [6, 2, 1]),  # 6.3, 1.8, 0.9: the two largest remainders
    ],
)
def test_a_proportional_share_is_whole_units_by_largest_remainder(
    cycle, slot, bread, manager, ordered, delivered, gets
):
    _week(cycle, slot, bread, ordered)

    _shortage(cycle, bread, delivered, "proportional", by=manager)

    assert _gets(bread) == gets
    assert sum(_gets(bread)) == delivered
    assert_invariants(cycle)


def test_a_proportional_share_is_the_same_whatever_the_order_of_the_lines(bread, cycle):
    """Pure: the lines given in any order share the same way."""
    lines = []
    for n, quantity in enumerate([5, 3, 2, 3]):
        order = Order(pk=n + 1, placed_at=timezone.now() + timedelta(seconds=n))
        lines.append(OrderLine(pk=10 + n, order=order, quantity=quantity))
    first = shortages.share(lines, 9, "proportional")
    assert shortages.share(list(reversed(lines)), 9, "proportional") == first
    assert sum(first.values()) == 9


# By hand.


def test_a_shortage_shared_by_hand_gives_each_household_its_quantity(cycle, slot, bread, manager):
    orders = _week(cycle, slot, bread, [2, 3, 1])
    lines = [order.lines.get() for order in orders]
    quantities = {str(lines[0].pk): 0, str(lines[1].pk): 3, str(lines[2].pk): 1}

    _shortage(cycle, bread, 4, "by_hand", quantities, by=manager)

    assert _gets(bread) == [0, 3, 1]
    assert_invariants(cycle)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ([0, 3], "chaque foyer"),  # a household left out
        ([0, 3, 0], "ajoutées font 3"),  # does not add up to what came
        ([0, 4, 0], "de 0 à 3"),  # more than it ordered
        ([-1, 3, 2], "de 0 à 2"),
        (["x", 3, 1], "de 0 à 2"),
        ([Decimal("NaN"), 3, 1], "de 0 à 2"),
    ],
)
def test_a_share_by_hand_that_does_not_fit_is_refused(cycle, slot, bread, manager, given, message):
    orders = _week(cycle, slot, bread, [2, 3, 1])
    lines = [order.lines.get() for order in orders]
    quantities = {str(line.pk): value for line, value in zip(lines, given, strict=False)}

    with pytest.raises(ShortageError, match=message):
        shortages.record_shortage(
            cycle=cycle, offer=bread, delivered=4, strategy="by_hand", quantities=quantities,
            by=manager,
        )  # fmt: skip
    assert not Shortage.objects.exists()


# Bad input: nothing written.


@pytest.mark.parametrize(
    ("delivered", "message"),
    [
        (11, "plus que ce qui a été commandé"),
        (-1, "0 ou plus"),
        ("8", "nombre entier"),
        (8.0, "nombre entier"),
        (True, "nombre entier"),
        (Decimal("NaN"), "nombre entier"),
        (Decimal("sNaN"), "nombre entier"),
        (Decimal("Infinity"), "nombre entier"),
        (Decimal("2.5"), "nombre entier"),
        (10**30, "plus que ce qui a été commandé"),
        (Decimal("1e30"), "plus que ce qui a été commandé"),
        (None, "nombre entier"),
        (10, "pas de manquant"),
    ],
)
def test_a_bad_quantity_delivered_is_refused_and_nothing_written(
    cycle, slot, bread, manager, delivered, message
):
    _week(cycle, slot, bread, [4, 6])

    with pytest.raises(ShortageError, match=message):
        shortages.record_shortage(cycle=cycle, offer=bread, delivered=delivered, by=manager)
    assert not Shortage.objects.exists()
    assert _gets(bread) == [4, 6]


def test_a_shortage_is_refused_before_the_close(cycle, slot, bread, manager):
    _place(cycle, slot, {bread.pk: 3}, 1)

    with pytest.raises(ShortageError, match="une fois le cycle fermé"):
        shortages.record_shortage(cycle=cycle, offer=bread, delivered=1, by=manager)
    assert not Shortage.objects.exists()


def test_a_shortage_is_refused_once_the_invoices_are_issued(cycle, slot, bread, manager):
    _week(cycle, slot, bread, [3])
    shortage = shortages.record_shortage(cycle=cycle, offer=bread, delivered=1, by=manager)
    OrderCycle.objects.filter(pk=cycle.pk).update(adjustments_final_at=timezone.now())
    cycle.refresh_from_db()

    with pytest.raises(ShortageError, match="avoir"):
        shortages.record_shortage(cycle=cycle, offer=bread, delivered=1, by=manager)
    with pytest.raises(ShortageError, match="avoir"):
        shortages.apply_shortage(shortage=shortage, by=manager)
    assert _gets(bread) == [3]
    assert not BalanceEntry.objects.exists() and not OutgoingEmail.objects.exists()


def test_an_offer_of_another_cycle_or_nobody_ordered_is_refused(
    cycle, slot, bread, offers, hub, manager
):
    _week(cycle, slot, bread, [3])
    other = factories.OfferFactory(cycle=factories.OrderCycleFactory(hub=hub))

    with pytest.raises(ShortageError, match="pas proposé"):
        shortages.record_shortage(cycle=cycle, offer=other, delivered=0, by=manager)
    with pytest.raises(ShortageError, match="Personne"):
        shortages.record_shortage(cycle=cycle, offer=offers["apples"], delivered=0, by=manager)


def test_a_cancelled_order_takes_no_part_in_a_shortage(cycle, slot, bread, manager):
    orders = [_place(cycle, slot, {bread.pk: q}, n) for n, q in enumerate([2, 3], start=1)]
    services.cancel_order(order=orders[1], by=None, notify=False)
    _close(cycle)

    with pytest.raises(ShortageError, match="plus que ce qui a été commandé"):
        shortages.record_shortage(cycle=cycle, offer=bread, delivered=3, by=manager)
    _shortage(cycle, bread, 1, by=manager)

    assert OrderLine.objects.get(order=orders[0]).final_quantity == 1
    assert OrderLine.objects.get(order=orders[1]).delivered_quantity is None
    assert_invariants(cycle)


# Once, and again.


def test_applying_a_shortage_twice_applies_it_once(cycle, slot, bread, manager):
    _week(cycle, slot, bread, [2, 3])
    shortage = shortages.record_shortage(cycle=cycle, offer=bread, delivered=1, by=manager)

    first = shortages.apply_shortage(shortage=shortage, by=manager)
    second = shortages.apply_shortage(shortage=shortage.pk, by=manager)

    assert not first.already and second.already
    assert BalanceEntry.objects.count() == 2
    assert OutgoingEmail.objects.filter(kind=shortages.EMAIL_KIND).count() == 2
    assert_invariants(cycle)


def test_a_second_shortage_of_the_same_product_replaces_the_first(cycle, slot, bread, manager):
    """Typed 5 instead of 7: the second is shared again from what was ordered, the first
    is marked replaced, and the entries still add up."""
    _week(cycle, slot, bread, [2, 3, 4])
    first = _shortage(cycle, bread, 5, by=manager).shortage
    assert _gets(bread) == [2, 3, 0]

    second = _shortage(cycle, bread, 7, by=manager).shortage

    assert _gets(bread) == [2, 3, 2]
    first.refresh_from_db()
    assert first.replaced_by == second
    assert list(shortages.shortages_of(cycle)) == [second]
    # 12 ordered... everything came after all: given back in full.
    _shortage(cycle, bread, 9, by=manager)
    assert _gets(bread) == [2, 3, 4]
    assert OrderLine.objects.filter(delivered_quantity__isnull=False).count() == 0
    assert_invariants(cycle)


def test_a_confirmation_of_a_plan_that_changed_since_is_refused(cycle, slot, bread, manager):
    orders = _week(cycle, slot, bread, [2, 3])
    shortage = shortages.record_shortage(cycle=cycle, offer=bread, delivered=2, by=manager)
    seen = shortages.plan_of(shortage).fingerprint
    corrections.correct_line(
        line=orders[1].lines.get(), delivered=2, reason="Une miche tombée", by=manager
    )

    with pytest.raises(ShortageError, match="ont changé depuis votre aperçu"):
        shortages.apply_shortage(shortage=shortage, by=manager, fingerprint=seen)
    shortage.refresh_from_db()
    assert shortage.applied_at is None
    assert not BalanceEntry.objects.filter(kind="shortage").exists()


# Lines sold by weight.


@pytest.fixture
def chicken_offer(cycle, producer, category):
    chicken = factories.VariantFactory(
        product__producer=producer, product__name="Poulet fermier", product__category=category,
        name="pièce", unit="kg", quantity_per_unit=Decimal("1.5"), sold_by_weight=True,
        price_per_kg=Decimal("12.00"), price=Decimal("1.00"), stock_quantity=20,
    )  # fmt: skip
    return factories.OfferFactory(cycle=cycle, variant=chicken)


def test_an_unweighed_line_sold_by_weight_costs_the_estimate_of_what_comes(
    cycle, slot, chicken_offer, manager
):
    [order] = _week(cycle, slot, chicken_offer, [2])

    _shortage(cycle, chicken_offer, 1, by=manager)

    line = order.lines.get()
    assert line.final_total == Decimal("18.00")  # one chicken of about 1.5 kg
    assert BalanceEntry.objects.get(kind="shortage").amount == Decimal("18.00")
    assert_invariants(cycle)


def test_a_weighed_line_whose_delivery_changes_is_weighed_again(
    cycle, slot, chicken_offer, manager
):
    """Weighed at 3.240 kg for two chickens, then one did not come: the weight was that of
    two, so it is cleared; the line costs the estimate of one until weighed again, and the
    entries of the line always add up to its estimate less its price."""
    [order] = _week(cycle, slot, chicken_offer, [2])
    line = order.lines.get()
    weighing.record_weight(line=line, weight=Decimal("3.240"), by=manager)

    _shortage(cycle, chicken_offer, 1, by=manager)

    line.refresh_from_db()
    assert line.actual_weight is None and line.weighed_at is None
    assert line.final_total == Decimal("18.00")
    assert BalanceEntry.objects.get(kind="shortage").amount == Decimal("38.88") - Decimal("18.00")
    assert_invariants(cycle)

    weighing.record_weight(line=line, weight=Decimal("1.700"), by=manager)
    line.refresh_from_db()
    assert line.final_total == Decimal("20.40")
    assert_invariants(cycle)


def test_a_weighed_line_left_as_it_was_keeps_its_weight(cycle, slot, chicken_offer, manager):
    orders = _week(cycle, slot, chicken_offer, [1, 1])
    first = orders[0].lines.get()
    weighing.record_weight(line=first, weight=Decimal("1.600"), by=manager)

    _shortage(cycle, chicken_offer, 1, by=manager)  # the last order loses its chicken

    first.refresh_from_db()
    assert first.actual_weight == Decimal("1.600") and first.delivered_quantity is None
    assert orders[1].lines.get().final_total == Decimal("0.00")
    assert_invariants(cycle)


# E-mails and documents.


def test_each_household_is_told_what_changed_in_its_language(
    cycle, slot, bread, offers, manager, mailoutbox, django_capture_on_commit_callbacks
):
    orders = _week(cycle, slot, bread, [2, 3], extra={offers["carrots"].pk: 1})
    Order.objects.filter(pk=orders[1].pk).update(language="en")

    with django_capture_on_commit_callbacks(execute=True):
        _shortage(cycle, bread, 4, by=manager)
    outbox.send_due()

    [message] = mailoutbox
    assert message.to == [orders[1].email]
    assert orders[1].number in message.subject and "has changed" in message.subject
    assert "Pain de campagne — 1 kg: ordered 3, delivered 2" in message.body
    assert "€4.80 less to pay" in message.body
    assert "now €9.60" in message.body

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _shortage(cycle, bread, 0, by=manager)
    outbox.send_due()
    french = next(m for m in mailoutbox if m.to == [orders[0].email])
    assert "commandé 2, livré 0" in french.body
    assert "9,60\xa0€ de moins à payer" in french.body


def test_applying_again_never_sends_an_email_twice(
    cycle, slot, bread, manager, mailoutbox, django_capture_on_commit_callbacks
):
    _week(cycle, slot, bread, [2, 3])
    shortage = shortages.record_shortage(cycle=cycle, offer=bread, delivered=1, by=manager)
    with django_capture_on_commit_callbacks(execute=True):
        shortages.apply_shortage(shortage=shortage, by=manager)
        shortages.apply_shortage(shortage=shortage, by=manager)
    outbox.send_due()
    outbox.send_due()
    assert len(mailoutbox) == 2


def test_documents_built_before_are_out_of_date_and_built_again(
    cycle, slot, bread, manager, django_capture_on_commit_callbacks
):
    _week(cycle, slot, bread, [2, 3])
    built = CycleDocument.objects.create(
        cycle=cycle, kind=CycleDocument.Kind.PACKING_SHEETS, status=CycleDocument.Status.DONE,
        source=documents.orders_state(cycle), finished_at=timezone.now(),
    )  # fmt: skip
    built.file.save("sheets.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    assert documents.current_document(cycle, built.kind) == built

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _shortage(cycle, bread, 4, by=manager)

    assert documents.current_document(cycle, built.kind) != built
    rebuilt = cycle.documents.exclude(pk=built.pk).get()
    assert rebuilt.kind == built.kind and rebuilt.requested_by == manager
    assert callbacks


def test_packing_sheets_and_pick_lists_show_what_is_delivered(
    cycle, slot, bread, producer, manager
):
    orders = _week(cycle, slot, bread, [2, 3])
    _shortage(cycle, bread, 3, by=manager)

    html = documents.render_html(
        "documents/packing_sheets.html",
        {"cycle": cycle, "groups": documents.packing_sheets(cycle),
         "header": documents.header(cycle), "numbered": True},
    )  # fmt: skip
    assert "livré 1 sur 3" in html.replace("\xa0", " ")
    [row] = documents.pick_list(cycle, producer, with_names=True)
    assert (row.total, row.ordered) == (3, 5)
    assert [(number, quantity) for number, _name, _point, quantity in row.per_household] == [
        (orders[0].number, 2), (orders[1].number, 1),
    ]  # fmt: skip
    csv = documents.packing_sheets_csv(cycle).decode("utf-8-sig")
    assert ";1;Pain de campagne" in csv


# Corrections, line by line.


def test_a_manager_corrects_a_line_with_a_reason(
    cycle, slot, bread, manager, mailoutbox, django_capture_on_commit_callbacks
):
    [order] = _week(cycle, slot, bread, [3])
    line = order.lines.get()

    with django_capture_on_commit_callbacks(execute=True):
        done = corrections.correct_line(
            line=line, delivered=1, reason="Deux miches brûlées", by=manager
        )
    outbox.send_due()

    entry = BalanceEntry.objects.get()
    assert (entry.kind, entry.amount, entry.reason) == (
        "correction",
        2 * BREAD,
        "Deux miches brûlées",
    )
    assert entry.key == f"correction:{line.pk}:1:{line.pk}"
    assert done.line.final_quantity == 1
    [message] = mailoutbox
    assert "Deux miches brûlées" in message.body and "commandé 3, livré 1" in message.body
    # Removed altogether, then the same again (a form sent twice): one entry more.
    corrections.correct_line(line=line, delivered=0, reason="Oubliée", by=manager)
    again = corrections.correct_line(line=line, delivered=0, reason="Oubliée", by=manager)
    assert again.change is None
    assert BalanceEntry.objects.count() == 2
    assert_invariants(cycle)


@pytest.mark.parametrize(
    ("delivered", "reason", "message"),
    [
        (1, "", "Dites pourquoi"),
        (1, "   ", "Dites pourquoi"),
        (1, "x" * 501, "500 caractères"),
        (4, "trop", "plus que ce qui a été commandé"),
        (-1, "moins", "0 ou plus"),
        (Decimal("NaN"), "nan", "nombre entier"),
    ],
)
def test_a_bad_correction_is_refused_and_nothing_written(
    cycle, slot, bread, manager, delivered, reason, message
):
    [order] = _week(cycle, slot, bread, [3])
    with pytest.raises(ShortageError, match=message):
        corrections.correct_line(
            line=order.lines.get(), delivered=delivered, reason=reason, by=manager
        )
    assert not BalanceEntry.objects.exists() and not OutgoingEmail.objects.exists()
    assert order.lines.get().delivered_quantity is None


def test_a_correction_is_refused_on_a_cancelled_order_or_once_invoiced(cycle, slot, bread, manager):
    orders = [_place(cycle, slot, {bread.pk: 2}, n) for n in (1, 2)]
    services.cancel_order(order=orders[0], by=None, notify=False)
    _close(cycle)

    with pytest.raises(ShortageError, match="annulée"):
        corrections.correct_line(line=orders[0].lines.get(), delivered=1, reason="r", by=manager)
    OrderCycle.objects.filter(pk=cycle.pk).update(adjustments_final_at=timezone.now())
    with pytest.raises(ShortageError, match="avoir"):
        corrections.correct_line(line=orders[1].lines.get(), delivered=1, reason="r", by=manager)
    assert not BalanceEntry.objects.exists()


# Two managers confirming at once.


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent writers are tested"
)
@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_apply_a_shortage_once(cycle, slot, bread, manager):
    _week(cycle, slot, bread, [2, 3, 4])
    shortage = shortages.record_shortage(cycle=cycle, offer=bread, delivered=4, by=manager)
    barrier = threading.Barrier(4)

    def work(_n):
        try:
            barrier.wait(timeout=30)
            return shortages.apply_shortage(shortage=shortage.pk, by=manager).already
        finally:
            connections.close_all()

    with ThreadPoolExecutor(4) as pool:
        already = list(pool.map(work, range(4)))
    assert sorted(already) == [False, True, True, True]
    assert BalanceEntry.objects.filter(kind="shortage").count() == 2
    assert OutgoingEmail.objects.filter(kind=shortages.EMAIL_KIND).count() == 2
    assert _gets(bread) == [2, 2, 0]
    assert_invariants(cycle)


# The pages.


def _url(name, cycle, **kwargs):
    return reverse(
        f"shortages:{name}", kwargs={"hub_slug": cycle.hub.slug, "cycle_pk": cycle.pk, **kwargs}
    )


def test_a_manager_records_previews_and_confirms_a_shortage(
    client, cycle, slot, bread, offers, manager, django_assert_max_num_queries,
    django_capture_on_commit_callbacks, mailoutbox,
):  # fmt: skip
    orders = _week(cycle, slot, bread, [2, 3, 4], extra={offers["carrots"].pk: 1})
    client.force_login(manager)

    detail = client.get(reverse("cycles:detail", args=[cycle.hub.slug, cycle.pk]))
    assert _url("cycle", cycle) in detail.content.decode()
    with django_assert_max_num_queries(12):
        page = client.get(_url("cycle", cycle))
    assert page.status_code == 200
    assert _url("offer", cycle, offer_pk=bread.pk) in page.content.decode()
    with django_assert_max_num_queries(12):
        page = client.get(_url("offer", cycle, offer_pk=bread.pk))
    assert "9 commandés par 3 foyers" in page.content.decode()

    response = client.post(
        _url("offer", cycle, offer_pk=bread.pk), {"delivered": "6", "strategy": "last_first"}
    )
    shortage = Shortage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("preview", cycle, shortage_pk=shortage.pk)
    assert not BalanceEntry.objects.exists()  # nothing changed yet

    with django_assert_max_num_queries(14):
        preview = client.get(response["Location"])
    html = preview.content.decode()
    assert "Foyer 03" in html and "Foyer 01" not in html
    assert "19,20\xa0€ → 4,80\xa0€" in html
    fingerprint = preview.context["plan"].fingerprint

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(response["Location"], {"fingerprint": fingerprint})
    assert done.status_code == 302 and done["Location"] == _url("cycle", cycle)
    assert _gets(bread) == [2, 3, 1]
    assert [m.to for m in mailoutbox] == [[orders[2].email]]
    again = client.post(response["Location"], {"fingerprint": fingerprint}, follow=True)
    assert "a déjà été appliqué" in again.content.decode()
    with django_assert_max_num_queries(12):
        page = client.get(_url("offer", cycle, offer_pk=bread.pk))
    assert "En enregistrer un autre le remplace" in page.content.decode()
    assert BalanceEntry.objects.count() == 1
    assert_invariants(cycle)


def test_a_shortage_shared_by_hand_through_the_page(client, cycle, slot, bread, manager):
    orders = _week(cycle, slot, bread, [2, 3])
    lines = [order.lines.get() for order in orders]
    client.force_login(manager)
    data = {"delivered": "3", "strategy": "by_hand", f"line-{lines[0].pk}": "2"}

    refused = client.post(_url("offer", cycle, offer_pk=bread.pk), data)
    assert refused.status_code == 422 and not Shortage.objects.exists()
    assert (
        "Par ce que reçoit ce foyer" in refused.content.decode() or refused.context["form"].errors
    )

    data[f"line-{lines[1].pk}"] = "1"
    response = client.post(_url("offer", cycle, offer_pk=bread.pk), data)
    assert response.status_code == 302
    assert Shortage.objects.get().quantities == {str(lines[0].pk): 2, str(lines[1].pk): 1}


@pytest.mark.parametrize("value", [*bad_input.NOT_NUMBERS, "-1", "10", "", "abc\x00"])
def test_a_bad_quantity_typed_is_refused_with_a_message(client, cycle, slot, bread, manager, value):
    _week(cycle, slot, bread, [4, 5])
    client.force_login(manager)

    response = client.post(
        _url("offer", cycle, offer_pk=bread.pk), {"delivered": value, "strategy": "last_first"}
    )

    assert response.status_code in (400, 422)
    if response.status_code == 422:
        assert response.context["form"].errors
    assert not Shortage.objects.exists()


def test_a_manager_corrects_a_line_through_the_page(client, cycle, slot, bread, manager):
    [order] = _week(cycle, slot, bread, [3])
    line = order.lines.get()
    client.force_login(manager)
    url = _url("correct", cycle, line_pk=line.pk)

    assert client.get(url).status_code == 200
    refused = client.post(url, {"delivered": "1", "reason": ""})
    assert refused.status_code == 422 and not BalanceEntry.objects.exists()
    refused = client.post(url, {"delivered": "4", "reason": "Trop"})
    assert refused.status_code == 422 and not BalanceEntry.objects.exists()
    done = client.post(url, {"delivered": "0", "reason": "Oubliée au fournil"})
    assert done.status_code == 302
    line.refresh_from_db()
    assert line.final_quantity == 0
    assert BalanceEntry.objects.get().reason == "Oubliée au fournil"


def test_the_pages_refuse_once_the_invoices_are_issued(client, cycle, slot, bread, manager):
    [order] = _week(cycle, slot, bread, [3])
    OrderCycle.objects.filter(pk=cycle.pk).update(adjustments_final_at=timezone.now())
    client.force_login(manager)

    page = client.get(_url("offer", cycle, offer_pk=bread.pk))
    assert "avoir" in page.content.decode()
    response = client.post(
        _url("correct", cycle, line_pk=order.lines.get().pk), {"delivered": "1", "reason": "r"}
    )
    assert response.status_code == 422 and "avoir" in response.content.decode()
    response = client.post(
        _url("offer", cycle, offer_pk=bread.pk), {"delivered": "1", "strategy": "last_first"}
    )
    assert response.status_code == 422
    assert not BalanceEntry.objects.exists() and not Shortage.objects.exists()


def test_only_the_hubs_managers_reach_the_shortage_pages(
    client, cycle, slot, bread, household, other_hub_manager, pickup_point, producer, manager
):
    [order] = _week(cycle, slot, bread, [3])
    shortage = shortages.record_shortage(cycle=cycle, offer=bread, delivered=1, by=manager)
    volunteer = factories.UserFactory(email="benevole@example.org")
    factories.PickupPointMembershipFactory(pickup_point=pickup_point, user=volunteer)
    producer_member = factories.UserFactory(email="ferme@example.org")
    factories.ProducerMembershipFactory(producer=producer, user=producer_member)
    urls = [
        _url("cycle", cycle), _url("offer", cycle, offer_pk=bread.pk),
        _url("preview", cycle, shortage_pk=shortage.pk),
        _url("correct", cycle, line_pk=order.lines.get().pk),
    ]  # fmt: skip
    posts = [
        (urls[1], {"delivered": "0", "strategy": "last_first"}),
        (urls[2], {"fingerprint": shortages.plan_of(shortage).fingerprint}),
        (urls[3], {"delivered": "0", "reason": "Volée"}),
    ]
    for user in (household, other_hub_manager, volunteer, producer_member):
        client.force_login(user)
        for address in urls:
            assert client.get(address).status_code == 404, (user, address)
        for address, data in posts:
            assert client.post(address, data).status_code == 404, (user, address)
    client.logout()
    for address in urls:
        response = client.get(address)
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert not BalanceEntry.objects.exists() and Shortage.objects.count() == 1


def test_a_manager_of_this_hub_cannot_reach_another_hubs_cycle_through_its_own_address(
    client, cycle, slot, bread, manager, other_hub_manager
):
    _week(cycle, slot, bread, [3])
    client.force_login(other_hub_manager)
    url = reverse(
        "shortages:offer",
        kwargs={"hub_slug": "roubaix", "cycle_pk": cycle.pk, "offer_pk": bread.pk},
    )
    assert client.get(url).status_code == 404


def test_the_distribution_page_shows_what_is_delivered_and_the_new_amount(
    client, cycle, slot, bread, manager, pickup_point
):
    orders = _week(cycle, slot, bread, [2, 3])
    _shortage(cycle, bread, 3, by=manager)
    client.force_login(manager)

    page = client.get(reverse("pickup_points:distribution", args=[pickup_point.slug, cycle.pk]))
    html = page.content.decode().replace("\xa0", " ")
    assert "maintenant 4,80 € (commandé 14,40 €)" in html
    detail = client.get(
        reverse("pickup_points:order", args=[pickup_point.slug, cycle.pk, orders[1].pk])
    )
    assert "livré 1 sur 3" in detail.content.decode().replace("\xa0", " ")
    assert "3→1 Pain de campagne — 1 kg" in detail.content.decode()  # its history


# Many entries at once (ledger.add_entries, what a shortage over 500 orders writes).


def test_entries_added_at_once_are_those_added_one_by_one(cycle, slot, bread, manager):
    orders = _week(cycle, slot, bread, [1, 2, 3])
    customers = [Customer.objects.get(pk=order.customer_id) for order in orders]
    given = [
        {"customer": customers[0], "kind": "shortage", "amount": Decimal("4.80"), "key": "k:1",
         "order": orders[0], "by": manager},
        {"customer": customers[1], "kind": "correction", "amount": Decimal("-1.20"),
         "key": "k:2", "order": orders[1], "reason": "Une de plus"},
        {"customer": customers[1], "kind": "shortage", "amount": Decimal("9.60"), "key": "k:3",
         "order": orders[1]},
    ]  # fmt: skip
    ledger.add_entry(**given[0])  # written before: not again

    entries = ledger.add_entries(given)

    assert [entry.key for entry in entries] == ["k:1", "k:2", "k:3"]
    assert BalanceEntry.objects.count() == 3
    assert customers[1].balance == Decimal("8.40")
    assert Customer.objects.get(pk=customers[1].pk).balance == Decimal("8.40")
    assert Customer.objects.get(pk=customers[0].pk).balance == Decimal("4.80")
    assert ledger.recount() == []
    assert ledger.add_entries(given) == entries  # again: nothing more
    assert BalanceEntry.objects.count() == 3


@pytest.mark.parametrize(
    ("amount", "error"),
    [(Decimal("0"), "0,00"), (Decimal("NaN"), "montant"), (Decimal("0.001"), "centimes")],
)
def test_entries_at_once_refuse_a_bad_amount_and_write_nothing(cycle, slot, bread, amount, error):
    [order] = _week(cycle, slot, bread, [1])
    customer = Customer.objects.get(pk=order.customer_id)
    good = {"customer": customer, "kind": "shortage", "amount": Decimal("1"), "key": "a",
            "order": order}  # fmt: skip
    with pytest.raises(ledger.BillingError, match=error):
        ledger.add_entries([good, {**good, "key": "b", "amount": amount}])
    assert not BalanceEntry.objects.exists()


def test_a_line_of_which_nothing_comes_is_not_weighed(client, cycle, slot, chicken_offer, manager):
    orders = _week(cycle, slot, chicken_offer, [1, 1])
    _shortage(cycle, chicken_offer, 1, by=manager)  # the last order's chicken did not come
    gone = orders[1].lines.get()

    with pytest.raises(weighing.WeighingError, match="rien à peser"):
        weighing.record_weight(line=gone, weight=Decimal("1.500"), by=manager)
    client.force_login(manager)
    page = client.get(reverse("weighing:hub", args=[cycle.hub.slug, cycle.pk]))
    assert [line.pk for line in page.context["lines"]] == [orders[0].lines.get().pk]
    assert page.context["counts"] == {"total": 1, "left": 1}
    assert not BalanceEntry.objects.filter(kind="weight").exists()


def test_the_documents_page_says_an_out_of_date_document_is_being_rebuilt(
    client, cycle, slot, bread, manager, monkeypatch
):
    _week(cycle, slot, bread, [2])
    monkeypatch.setattr(documents, "ON_DEMAND_ORDERS", 0)  # built in the background
    kind = CycleDocument.Kind.PACKING_SHEETS
    CycleDocument.objects.create(
        cycle=cycle, kind=kind, status=CycleDocument.Status.DONE, finished_at=timezone.now(),
        created_at=timezone.now() - timedelta(minutes=5),
    )  # fmt: skip
    CycleDocument.objects.create(cycle=cycle, kind=kind, requested_by=manager)
    client.force_login(manager)

    page = client.get(reverse("cycles:documents", args=[cycle.hub.slug, cycle.pk]))

    assert "périmé, en cours de reconstruction" in page.content.decode()


def test_the_preview_lists_the_households_in_french_order(cycle, slot, bread, manager):
    for n, name in enumerate(["Fabien Roux", "Émile Zola", "Denis Petit"]):
        services.place_order(
            cycle=cycle, items={bread.pk: 1}, slot=slot, email=f"{n}@example.org",
            full_name=name, notify=False,
        )  # fmt: skip
    _close(cycle)
    shortage = shortages.record_shortage(cycle=cycle, offer=bread, delivered=0, by=manager)

    plan = shortages.plan_of(shortage)

    assert [h.order.full_name for h in plan.households] == [
        "Denis Petit", "Émile Zola", "Fabien Roux",
    ]  # fmt: skip


@given(
    quantities=st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=30),
    data=st.data(),
)
def test_every_way_of_sharing_gives_whole_units_adding_up_to_what_came(quantities, data):
    """Pure (no database): each line gets 0 to what it ordered, the lines add up to what
    came; the last orders placed lose first; in proportion, no line is more than one unit
    from its exact share."""
    now = timezone.now()
    lines = [
        OrderLine(pk=n + 1, order=Order(pk=n + 1, placed_at=now + timedelta(minutes=n)),
                  quantity=quantity)
        for n, quantity in enumerate(quantities)
    ]  # fmt: skip
    ordered = sum(quantities)
    delivered = data.draw(st.integers(min_value=0, max_value=ordered))
    for strategy in ("last_first", "proportional"):
        gets = shortages.share(lines, delivered, strategy)
        assert sum(gets.values()) == delivered
        assert all(0 <= gets[line.pk] <= line.quantity for line in lines)
    last_first = shortages.share(lines, delivered, "last_first")
    losing = [line.pk for line in lines if last_first[line.pk] < line.quantity]
    if losing:  # every order placed after the first one losing something loses everything
        assert all(last_first[line.pk] == 0 for line in lines if line.pk > min(losing))
    proportional = shortages.share(lines, delivered, "proportional")
    for line in lines:
        exact = Fraction(line.quantity * delivered, ordered)
        assert abs(proportional[line.pk] - exact) < 1


def test_a_line_left_with_fewer_pieces_is_weighed_against_their_estimate(
    client, cycle, slot, chicken_offer, manager
):
    """Two chickens of about 1.5 kg ordered, one delivered: 1.4 kg is close to the
    estimate of the one that came (not to the 3 kg of two), and the weighing page says
    one piece of about 1.5 kg at 18.00 €."""
    [order] = _week(cycle, slot, chicken_offer, [2])
    _shortage(cycle, chicken_offer, 1, by=manager)
    line = order.lines.get()
    assert (line.final_estimated_weight, line.final_estimate) == (
        Decimal("1.500"), Decimal("18.00"),
    )  # fmt: skip
    client.force_login(manager)

    page = client.get(reverse("weighing:hub", args=[cycle.hub.slug, cycle.pk]))
    text = page.content.decode().replace("\xa0", " ")
    assert "1 pièce, environ 1,5 kg" in text and "Estimation 18,00 €" in text

    weighed = weighing.record_weight(line=line, weight=Decimal("1.400"), by=manager)
    assert not weighed.needs_confirmation
    assert weighed.entry.amount == Decimal("1.20")  # 18.00 estimated, 16.80 weighed
    assert_invariants(cycle)
