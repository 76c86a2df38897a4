"""The shop stays light for a cheap phone on a weak connection: its page, with the CSS and
scripts it loads (images aside), weighs at most 150 KB."""

import re

from django.contrib.staticfiles import finders
from django.urls import reverse

from tests import factories

BUDGET = 150 * 1024


def _assets(html: str) -> list[str]:
    """The local CSS and JavaScript files a page loads."""
    links = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html)
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    return links + scripts


def test_the_shop_page_weighs_at_most_150_kb_without_images(client, hub, cycle, slot, offers):
    producer = offers["carrots"].variant.product.producer
    for n in range(40):  # a full week's shop
        factories.OfferFactory(
            cycle=cycle,
            variant=factories.VariantFactory(product__producer=producer, product__name=f"P{n}"),
        )
    response = client.get(reverse("hub_public", args=[hub.slug]))
    html = response.content.decode()
    assets = _assets(html)
    assert any(path.endswith(".css") for path in assets)
    assert any(path.endswith(".js") for path in assets)
    weight = len(response.content)
    for url in assets:
        assert url.startswith("/static/"), url  # nothing fetched from elsewhere
        path = finders.find(url.removeprefix("/static/"))
        assert path, url
        with open(path, "rb") as asset:
            weight += len(asset.read())
    assert weight <= BUDGET, f"{weight / 1024:.0f} KB"
