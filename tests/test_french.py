"""French as French readers write it: states agree with what they describe, and names are
never put after "de" or "à" (which would need "du", "des", "au": "de Les Jardins")."""

import re

from django.utils import translation

from orders.models import Order, OrderCycle, Payment, WeeklyBasket
from tests.test_translations import _entries

# A place-holder for a name (of a hub, producer, point, person...) right after "de" / "à".
NAME_AFTER_DE = re.compile(
    r"\b(de|à)\s+%\((hub|producer|producers|point|name|target|place|inviter|team)\)s"
)


def test_states_agree_with_what_they_describe():
    with translation.override("fr"):
        assert OrderCycle.Phase.OPEN.label == "ouvert"  # un cycle
        assert OrderCycle.Phase.CLOSED.label == "clos"
        assert OrderCycle.Status.PUBLISHED.label == "publié"
        assert OrderCycle.Status.CANCELLED.label == "annulé"
        assert Order.Status.CANCELLED.label == "annulée"  # une commande
        assert Payment.Status.CANCELLED.label == "annulé"  # un paiement
        assert WeeklyBasket.Status.CANCELLED.label == "annulé"  # un panier


def test_no_name_is_put_after_de_or_a_in_french():
    found = [
        (msgid, text)
        for msgid, strs, _flags in _entries()
        for text in strs
        if NAME_AFTER_DE.search(text)
    ]
    assert found == []


def test_the_check_finds_a_name_after_de():
    assert NAME_AFTER_DE.search("La boutique de %(hub)s est ouverte")
    assert not NAME_AFTER_DE.search("La boutique « %(hub)s » est ouverte")
