"""Distribution day without a network (``pickup_points.offline``): the list kept on the
phone, the queued changes applied once each, and what two volunteers changing the same
order end with."""

import json
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.db import connection, connections
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from orders import ledger
from orders.checkout.services import cancel_order, place_order
from orders.models import BalanceEntry, Order, OrderEvent, Payment
from orders.models.billing import ADJUSTMENT_KINDS
from pickup_points import offline
from pickup_points.models import ClientAction
from tests import factories
from tests.bad_input import BAD_TEXT, HUGE_IDS, NOT_NUMBERS, UNICODE_DIGITS
from tests.pickup_points.test_distribution import close, order_for

D = Decimal


@pytest.fixture
def orders(cycle, slot, offers):
    made = {
        name: order_for(cycle, slot, offers, name, f"{n}@example.org")
        for n, name in enumerate(["Denis Petit", "Émile Zola"])
    }
    close(cycle)
    return made


@pytest.fixture
def other_volunteer(hub):
    """On the team of another point of the same hub."""
    elsewhere = factories.PickupPointFactory(name="Maison de quartier", slug="maison-quartier")
    elsewhere.hubs.add(hub)
    user = factories.UserFactory(email="ailleurs@example.org", full_name="Léa Ailleurs")
    factories.PickupPointMembershipFactory(pickup_point=elsewhere, user=user)
    return user


def sync_url(point, cycle):
    return reverse("pickup_points:sync", args=[point.slug, cycle.pk])


def snapshot_url(point, cycle):
    return reverse("pickup_points:snapshot", args=[point.slug, cycle.pk])


def send(client, point, cycle, *actions):
    response = client.post(
        sync_url(point, cycle), json.dumps({"actions": list(actions)}), "application/json"
    )
    return response


def action(kind, order, **extra):
    return {"id": str(uuid.uuid4()), "kind": kind, "order": order.pk, **extra}


def pay(order, amount, **extra):
    """Money received; by default, as much as the phone showed due."""
    extra.setdefault("due", str(amount).replace(",", "."))
    return action("payment", order, method="cash", amount=str(amount), **extra)


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def check_order_invariant(order):
    """sum(final_total) + fee_total == total - adjustments (issue 15's invariant)."""
    order.refresh_from_db()
    lines = sum((line.final_total for line in order.lines.all()), D("0"))
    adjusted = BalanceEntry.objects.filter(order=order, kind__in=ADJUSTMENT_KINDS).aggregate(
        total=Sum("amount")
    )["total"] or D("0")
    assert lines + order.fee_total == order.total - adjusted


# The list kept on the phone.


def test_the_snapshot_holds_every_row_and_what_a_tap_offline_needs(
    client, volunteer, pickup_point, cycle, orders, django_assert_max_num_queries
):
    client.force_login(volunteer)
    with django_assert_max_num_queries(14):
        response = client.get(snapshot_url(pickup_point, cycle))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    data = response.json()
    assert [row["name"] for row in data["rows"]] == ["Denis Petit", "Émile Zola"]
    denis = orders["Denis Petit"]
    [row] = [row for row in data["rows"] if row["order"] == denis.pk]
    assert f'data-due="{denis.total}"' in row["html"]
    assert 'data-offline="payment"' in row["html"] and 'data-collected-at=""' in row["html"]
    assert data["csrf"] and data["user"] == volunteer.pk
    assert "2 attendus" in data["counts"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("volunteer", 200),
        ("manager", 200),
        ("other_volunteer", 404),
        ("other_hub_manager", 404),
        ("household", 404),
        ("producer_member", 404),
    ],
)
def test_the_snapshot_and_the_sync_are_checked_like_the_page(
    client, request, who, status, pickup_point, cycle, orders
):
    client.force_login(request.getfixturevalue(who))
    order = orders["Denis Petit"]
    assert client.get(snapshot_url(pickup_point, cycle)).status_code == status
    response = send(client, pickup_point, cycle, action("collected", order))
    assert response.status_code == status
    order.refresh_from_db()
    assert (order.collected_at is not None) == (status == 200)
    assert ClientAction.objects.exists() == (status == 200)


def test_anonymous_visitors_are_sent_to_log_in(client, pickup_point, cycle, orders):
    for response in (
        client.get(snapshot_url(pickup_point, cycle)),
        send(client, pickup_point, cycle, action("collected", orders["Denis Petit"])),
    ):
        assert response.status_code == 302 and reverse("account_login") in response.url
    assert not ClientAction.objects.exists()


def test_the_sync_needs_the_csrf_token(volunteer, pickup_point, cycle, orders):
    client = Client(enforce_csrf_checks=True)
    client.force_login(volunteer)
    order = orders["Denis Petit"]
    assert send(client, pickup_point, cycle, action("collected", order)).status_code == 403
    token = client.get(snapshot_url(pickup_point, cycle)).json()["csrf"]
    response = client.post(
        sync_url(pickup_point, cycle),
        json.dumps({"actions": [action("collected", order)]}),
        "application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert results(response)[0]["status"] == "applied"


# Each change once.


def test_queued_ticks_and_payments_are_applied_once_however_often_they_are_sent(
    client, volunteer, pickup_point, cycle, orders
):
    client.force_login(volunteer)
    denis, emile = orders["Denis Petit"], orders["Émile Zola"]
    queued = [
        action("collected", denis),
        pay(denis, denis.total),
        action("collected", emile),
        pay(emile, "5,00", due=str(emile.total)),
    ]

    first = send(client, pickup_point, cycle, *queued)
    again = send(client, pickup_point, cycle, *queued)  # the answer was lost: sent again

    assert [r["status"] for r in results(first)] == ["applied"] * 4
    assert [r["replayed"] for r in results(first)] == [False] * 4
    assert [(r["status"], r["replayed"]) for r in results(again)] == [("applied", True)] * 4
    assert ClientAction.objects.count() == 4
    assert [p.amount for p in denis.payments.all()] == [denis.total]
    assert [p.amount for p in emile.payments.all()] == [D("5.00")]
    assert denis.events.filter(kind=OrderEvent.Kind.COLLECTED).count() == 1
    for order in (denis, emile):
        order.refresh_from_db()
        assert order.collected_by == volunteer
        check_order_invariant(order)
    rows = first.json()["rows"]
    assert set(rows) == {str(denis.pk), str(emile.pk)}
    assert "is-collected" in rows[str(denis.pk)] and "0 restant" in first.json()["counts"]


def test_a_replay_from_another_volunteer_answers_the_first_result_and_changes_nothing(
    client, volunteer, coordinator, pickup_point, cycle, orders
):
    denis = orders["Denis Petit"]
    queued = [action("collected", denis), pay(denis, denis.total)]
    client.force_login(volunteer)
    send(client, pickup_point, cycle, *queued)

    other = Client()
    other.force_login(coordinator)  # another session, another volunteer, the same phone
    replay = results(send(other, pickup_point, cycle, *queued))

    assert [(r["status"], r["replayed"]) for r in replay] == [("applied", True)] * 2
    [payment] = denis.payments.all()
    assert payment.recorded_by == volunteer
    denis.refresh_from_db()
    assert denis.collected_by == volunteer
    assert set(ClientAction.objects.values_list("by", flat=True)) == {volunteer.pk}


def test_two_copies_sent_at_the_same_instant_record_one_payment(
    client, volunteer, pickup_point, cycle, orders, monkeypatch
):
    """The unique id is the last guard: a copy that did not see the first one's record
    (it committed in between) is rolled back, its payment with it."""
    denis = orders["Denis Petit"]
    change = pay(denis, "5")
    client.force_login(volunteer)
    send(client, pickup_point, cycle, change)
    real = offline._known
    calls = []

    def blind(uid, point, cycle, action):
        calls.append(uid)
        return None if len(calls) <= 2 else real(uid, point, cycle, action)

    monkeypatch.setattr(offline, "_known", blind)
    [result] = results(send(client, pickup_point, cycle, change))

    assert (result["status"], result["replayed"]) == ("applied", True)
    assert len(calls) == 3
    assert denis.payments.count() == 1
    assert BalanceEntry.objects.count() == 0


# Refused, and nothing changes.


def test_a_forged_change_for_an_order_of_another_point_or_hub_is_refused(
    client, volunteer, hub, producer, pickup_point, cycle, orders
):
    elsewhere = factories.PickupPointFactory(name="Maison de quartier", slug="maison-quartier")
    elsewhere.hubs.add(hub)
    there = factories.PickupSlotFactory(
        cycle_pickup=factories.CyclePickupPointFactory(cycle=cycle, pickup_point=elsewhere)
    )
    other_hub_cycle = factories.OrderCycleFactory(hub=factories.HubFactory(order_prefix="AUT"))
    other_point = factories.PickupPointFactory()
    other_point.hubs.add(other_hub_cycle.hub)
    other_slot = factories.PickupSlotFactory(
        cycle_pickup=factories.CyclePickupPointFactory(
            cycle=other_hub_cycle, pickup_point=other_point
        )
    )
    variant = factories.VariantFactory(product__producer=producer, stock_mode="on_demand")
    cycle.closes_at = other_hub_cycle.closes_at  # open again for a moment
    cycle.save(update_fields=["closes_at"])
    strangers = [
        place_order(
            cycle=c, slot=s, items={factories.OfferFactory(cycle=c, variant=variant).pk: 1},
            email=f"loin{n}@example.org", full_name="Loin", notify=False,
        )
        for n, (c, s) in enumerate([(cycle, there), (other_hub_cycle, other_slot)])
    ]  # fmt: skip
    close(cycle)
    close(other_hub_cycle)
    client.force_login(volunteer)

    for stranger in strangers + [Order(pk=2**31 - 1)]:
        answers = results(
            send(client, pickup_point, cycle, action("collected", stranger), pay(stranger, "5"))
        )
        assert [(r["status"], r["code"]) for r in answers] == [("refused", "not_found")] * 2
        assert all("pas sur cette liste" in r["message"] for r in answers)
    assert not ClientAction.objects.exists()
    assert not Payment.objects.exists()
    assert not Order.objects.filter(collected_at__isnull=False).exists()


def test_an_id_used_for_another_change_or_another_list_is_refused(
    client, volunteer, manager, hub, pickup_point, cycle, orders
):
    denis, emile = orders["Denis Petit"], orders["Émile Zola"]
    client.force_login(volunteer)
    first = action("collected", denis)
    send(client, pickup_point, cycle, first)

    [reused] = results(send(client, pickup_point, cycle, {**first, "order": emile.pk}))
    assert (reused["status"], reused["code"]) == ("refused", "reused")
    assert "autres détails" in reused["message"]
    emile.refresh_from_db()
    assert emile.collected_at is None

    # The same id sent to the list of another point (its manager may open it): the first
    # answer belongs to a list they were not sending to.
    elsewhere = factories.PickupPointFactory(slug="ailleurs", owner_hub=hub)
    elsewhere.hubs.add(hub)
    factories.CyclePickupPointFactory(cycle=cycle, pickup_point=elsewhere)
    client.force_login(manager)
    [foreign] = results(send(client, elsewhere, cycle, first))
    assert (foreign["status"], foreign["code"]) == ("refused", "not_found")
    assert "pas sur cette liste" in foreign["message"]
    assert ClientAction.objects.count() == 1


def test_a_payment_queued_for_an_order_cancelled_meanwhile_is_refused_with_the_money_to_give_back(
    client, volunteer, pickup_point, cycle, orders
):
    denis = orders["Denis Petit"]
    cancel_order(order=denis, force=True, notify=False)  # by the hub, after the close
    client.force_login(volunteer)

    answers = results(
        send(client, pickup_point, cycle, pay(denis, denis.total), action("collected", denis))
    )

    assert [r["status"] for r in answers] == ["refused", "refused"]
    assert "annulée" in answers[0]["message"] and "rendez-les" in answers[0]["message"]
    assert not Payment.objects.exists()
    denis.refresh_from_db()
    assert denis.collected_at is None
    response = send(client, pickup_point, cycle, pay(denis, "1"))
    assert response.json()["rows"] == {str(denis.pk): ""}  # no longer on the list
    # Sending it again answers the same, and still records nothing.
    resent = {**pay(denis, denis.total), "id": answers[0]["id"]}
    [again] = results(send(client, pickup_point, cycle, resent))
    assert again["status"] == "refused" and again["replayed"]
    assert again["message"] == answers[0]["message"]
    assert not Payment.objects.exists()


def test_more_than_the_phone_showed_is_refused_unless_the_change_is_kept(
    client, volunteer, pickup_point, cycle, orders
):
    denis = orders["Denis Petit"]
    client.force_login(volunteer)
    [refused] = results(send(client, pickup_point, cycle, pay(denis, "500", due=str(denis.total))))
    assert refused["status"] == "refused" and "dus aujourd’hui" in refused["message"]
    assert not Payment.objects.exists()

    given = denis.total + D("0.60")
    [kept] = results(
        send(client, pickup_point, cycle, pay(denis, given, due=str(denis.total), keep_change=True))
    )
    assert kept["status"] == "applied"
    denis.customer.refresh_from_db()
    assert denis.customer.balance == D("0.60")
    check_order_invariant(denis)


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        '{"actions": {}}',
        '{"actions": "x"}',
        json.dumps({"actions": [{}] * (offline.MAX_BATCH + 1)}),
    ],
)
def test_an_unreadable_batch_is_refused_clearly(
    client, volunteer, pickup_point, cycle, orders, body
):
    client.force_login(volunteer)
    response = client.post(sync_url(pickup_point, cycle), body, "application/json")
    assert response.status_code == 400
    assert "illisibles" in response.json()["error"]
    assert not ClientAction.objects.exists()


def test_unreadable_changes_are_refused_one_by_one_and_change_nothing(
    client, volunteer, pickup_point, cycle, orders
):
    denis = orders["Denis Petit"]
    bad = [
        "x",
        [],
        {"id": "pas-un-uuid", "kind": "collected", "order": denis.pk},
        {**action("collected", denis), "kind": "delete"},
        *[{**action("collected", denis), "order": value} for value in HUGE_IDS + UNICODE_DIGITS],
        *[pay(denis, value) for value in NOT_NUMBERS + BAD_TEXT + ["0", "-3"]],
        *[{**pay(denis, "5"), "method": value} for value in ["bitcoin", "", None, *BAD_TEXT]],
        {**pay(denis, "5"), "amount": None},
        {**pay(denis, "5"), "due": "NaN"},
        {**action("uncollected", denis), "seen": "hier"},
        {**action("collected", denis), "made_at": "\x00"},
    ]
    client.force_login(volunteer)
    answers = results(send(client, pickup_point, cycle, *bad))
    assert len(answers) == len(bad)
    wrong = [(b, r) for b, r in zip(bad, answers, strict=True) if r["code"] != "unreadable"]
    assert not wrong and all(r["status"] == "refused" and r["message"] for r in answers)
    assert not ClientAction.objects.exists()
    assert not Payment.objects.exists()
    denis.refresh_from_db()
    assert denis.collected_at is None


# Two volunteers, one order.


def test_the_first_tick_stays_and_the_second_volunteer_is_told_who_ticked(
    client, volunteer, coordinator, pickup_point, cycle, orders
):
    denis = orders["Denis Petit"]
    client.force_login(volunteer)
    send(client, pickup_point, cycle, action("collected", denis))
    denis.refresh_from_db()
    first = denis.collected_at

    other = Client()
    other.force_login(coordinator)
    [second] = results(send(other, pickup_point, cycle, action("collected", denis)))

    assert second["status"] == "applied" and "Déjà cochée par Zoé" in second["message"]
    denis.refresh_from_db()
    assert (denis.collected_at, denis.collected_by) == (first, volunteer)


def test_not_collected_undoes_only_the_tick_the_volunteer_saw(
    client, volunteer, coordinator, pickup_point, cycle, orders
):
    denis = orders["Denis Petit"]
    client.force_login(volunteer)
    send(client, pickup_point, cycle, action("collected", denis))
    denis.refresh_from_db()
    seen = denis.collected_at.isoformat()
    # The coordinator saw that tick and undid it (a wrong tap); the volunteer ticks again.
    other = Client()
    other.force_login(coordinator)
    [undone] = results(send(other, pickup_point, cycle, action("uncollected", denis, seen=seen)))
    assert undone["status"] == "applied"
    send(client, pickup_point, cycle, action("collected", denis))

    # An untick made offline earlier, from the same old view, arrives late: collected wins.
    [late] = results(send(other, pickup_point, cycle, action("uncollected", denis, seen=seen)))

    assert late["status"] == "refused" and "reste retirée" in late["message"]
    denis.refresh_from_db()
    assert denis.collected_by == volunteer and denis.collected_at is not None
    # An untick without what it saw undoes nothing either.
    [blind] = results(send(other, pickup_point, cycle, action("uncollected", denis)))
    assert blind["status"] == "refused"


def test_a_tick_and_its_undo_made_offline_on_one_phone_leave_the_order_not_collected(
    client, volunteer, pickup_point, cycle, orders
):
    denis = orders["Denis Petit"]
    tick = action("collected", denis)
    client.force_login(volunteer)
    answers = results(
        send(client, pickup_point, cycle, tick, action("uncollected", denis, undoes=tick["id"]))
    )
    assert [r["status"] for r in answers] == ["applied", "applied"]
    denis.refresh_from_db()
    assert denis.collected_at is None
    kinds = list(denis.events.values_list("kind", flat=True).order_by("pk"))
    assert kinds[-2:] == [OrderEvent.Kind.COLLECTED, OrderEvent.Kind.UNCOLLECTED]


def test_two_payments_with_two_ids_are_two_payments_the_second_kept_as_credit(
    client, volunteer, coordinator, pickup_point, cycle, orders
):
    """Both volunteers took the money offline: it is in the cash box twice, so it is
    recorded twice; the second is more than owed by then and becomes the household's
    credit, and its volunteer is told."""
    denis = orders["Denis Petit"]
    client.force_login(volunteer)
    other = Client()
    other.force_login(coordinator)

    [first] = results(send(client, pickup_point, cycle, pay(denis, denis.total)))
    second_change = pay(denis, denis.total)
    [second] = results(send(other, pickup_point, cycle, second_change))
    [replayed] = results(send(other, pickup_point, cycle, second_change))

    assert first["status"] == second["status"] == "applied"
    assert "en avoir" in second["message"] and replayed["message"] == second["message"]
    assert denis.payments.count() == 2
    denis.customer.refresh_from_db()
    assert denis.customer.balance == denis.total
    [entry] = denis.customer.balance_entries.all()
    assert (entry.kind, entry.amount, entry.by) == ("overpayment", denis.total, coordinator)
    # Money received = what the order cost + the change in the balance.
    received = denis.payments.aggregate(total=Sum("amount"))["total"]
    assert received == denis.total + denis.customer.balance
    check_order_invariant(denis)


def test_paying_with_credit_uses_the_credit_once_whoever_taps(
    client, volunteer, coordinator, pickup_point, cycle, orders
):
    denis = orders["Denis Petit"]
    ledger.add_entry(
        customer=denis.customer, kind="manual", amount=D("50.00"), key="seed", reason="Avoir"
    )
    client.force_login(volunteer)
    other = Client()
    other.force_login(coordinator)
    [first] = results(send(client, pickup_point, cycle, action("credit", denis)))
    [second] = results(send(other, pickup_point, cycle, action("credit", denis)))
    assert first["status"] == second["status"] == "applied"
    assert "déjà" in second["message"]
    denis.customer.refresh_from_db()
    assert denis.customer.balance == D("50.00") - denis.total


# The service worker, the manifest, the page.


def test_the_service_worker_is_served_with_a_scope_over_the_distribution_pages(client):
    response = client.get(reverse("pickup_points:service_worker"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/points/"
    assert b'addEventListener("fetch"' in response.content
    assert reverse("pickup_points:distribution", args=["x", 1]).startswith("/points/")


def test_the_manifest_names_the_app_in_french_with_icons_that_exist(client):
    response = client.get(reverse("pickup_points:manifest"))
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["name"] == "Foodhub — jour de distribution"
    assert manifest["start_url"] == manifest["scope"] == "/points/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert sizes == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/"))


def test_the_page_loads_its_offline_script_and_still_posts_without_it(
    client, volunteer, pickup_point, cycle, orders
):
    client.force_login(volunteer)
    html = client.get(reverse("pickup_points:distribution", args=[pickup_point.slug, cycle.pk]))
    content = html.content.decode()
    assert 'src="/static/js/offline.js" defer' in content
    assert 'rel="manifest"' in content and 'id="offline-strings"' in content
    assert '<section id="offline" class="offline" hidden' in content
    strings = json.loads(
        re.search(r'<script id="offline-strings"[^>]*>(.*?)</script>', content, re.S).group(1)
    )
    assert strings["offline"] == {
        "one": "Hors ligne — %(count)s changement en attente",
        "other": "Hors ligne — %(count)s changements en attente",
    }
    # The forms keep their action: without JavaScript they post as before.
    denis = orders["Denis Petit"]
    url = reverse("pickup_points:collected", args=[pickup_point.slug, cycle.pk, denis.pk])
    assert f'action="{url}"' in content


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent writers are tested"
)
@pytest.mark.django_db(transaction=True)
def test_six_copies_of_one_payment_at_the_same_instant_record_it_once(
    volunteer, coordinator, pickup_point, cycle, orders
):
    """A phone that retries while its first request is still on its way, and other tabs:
    six connections send the same payment, and six different ticks of one order."""
    denis = orders["Denis Petit"]
    change = pay(denis, denis.total)
    ticks = [action("collected", denis) for _ in range(6)]
    barrier = threading.Barrier(6)

    def work(n):
        try:
            barrier.wait(timeout=30)
            by = volunteer if n % 2 else coordinator
            return [
                offline.apply_action(point=pickup_point, cycle=cycle, data=data, by=by)
                for data in (change, ticks[n])
            ]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(work, range(6)))

    assert all(result.status == "applied" for pair in answers for result in pair)
    assert sorted(pair[0].replayed for pair in answers) == [False] + [True] * 5
    assert denis.payments.count() == 1
    assert ClientAction.objects.filter(kind="payment").count() == 1
    assert ClientAction.objects.filter(kind="collected").count() == 6
    assert denis.events.filter(kind=OrderEvent.Kind.COLLECTED).count() == 1


def test_the_platform_admin_reads_what_phones_sent_and_changes_none_of_it(
    client, volunteer, pickup_point, cycle, orders
):
    denis = orders["Denis Petit"]
    client.force_login(volunteer)
    send(client, pickup_point, cycle, action("collected", denis))
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    record = ClientAction.objects.get()
    listing = client.get(reverse("admin:pickup_points_clientaction_changelist"))
    assert listing.status_code == 200 and denis.number in listing.content.decode()
    page = client.get(reverse("admin:pickup_points_clientaction_change", args=[record.pk]))
    assert page.status_code == 200
    client.post(
        reverse("admin:pickup_points_clientaction_delete", args=[record.pk]), {"post": "yes"}
    )
    assert ClientAction.objects.filter(pk=record.pk).exists()
