"""Browser tests: a newcomer signs up and logs in with an e-mail code; a producer creates a
product and updates its stock in the quick editor (htmx, no page reload)."""

import re

import pytest
from playwright.sync_api import Page, expect

from foodhub.accounts.models import User
from producers.models import Product, Variant
from tests.e2e.browser import log_in
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _code_from(message) -> str:
    return re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", message.body, re.MULTILINE).group(1)


def test_sign_up_then_log_in_with_an_email_code(page: Page, live_server, mailoutbox):
    page.goto(f"{live_server.url}/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.fill("#id_email", "nouvelle@example.org")
    page.fill("#id_full_name", "Zoé Nouvelle")
    # No password: this person will log in with codes sent by e-mail.
    page.locator("main form button[type=submit]:not([form])").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    assert len(mailoutbox) == 1  # the verification e-mail

    # Ask for a code, read it from the mailbox, type it.
    page.goto(f"{live_server.url}/accounts/login/code/")
    page.fill("#id_email", "nouvelle@example.org")
    page.locator("main form button[type=submit]:not([form])").click()
    page.wait_for_url(re.compile(r"/accounts/login/code/confirm/"))
    code = _code_from(mailoutbox[-1])
    page.fill("#id_code", code)
    page.locator("main form button[type=submit]:not([form])").click()
    page.wait_for_url(re.compile(r"/spaces/"))
    expect(page.locator("h1")).to_contain_text("Zoé")
    user = User.objects.get(email="nouvelle@example.org")
    assert not user.has_usable_password()


def test_producer_creates_a_product_then_updates_its_stock_inline(
    page: Page, live_server, producer, producer_member
):
    CategoryFactory(name="Fruits", slug="fruits")
    log_in(page, live_server, producer_member, lands_on=re.compile(r"/spaces/"))
    page.get_by_role("link", name=producer.name).click()
    page.goto(f"{live_server.url}/producers/{producer.slug}/products/new/")
    page.fill("#id_name", "Pommes Jonagold")
    page.select_option("#id_category", label="Fruits")
    page.fill("#id_variants-0-name", "sac 2 kg")
    page.select_option("#id_variants-0-unit", "kg")
    page.fill("#id_variants-0-quantity_per_unit", "2")
    page.fill("#id_variants-0-price", "4,50")
    page.fill("#id_variants-0-stock_quantity", "10")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(rf"/producers/{producer.slug}/$"))
    expect(page.locator("table.catalogue")).to_contain_text("Pommes Jonagold")
    expect(page.locator("table.catalogue")).to_contain_text("2,25\xa0€/kg")

    variant = Variant.objects.get(product__name="Pommes Jonagold")
    page.goto(f"{live_server.url}/producers/{producer.slug}/stock/")
    row = page.locator(f"#quick-{variant.pk}")
    url_before = page.url
    stock = row.locator(f"#id_v{variant.pk}-stock_quantity")
    stock.fill("25")
    stock.dispatch_event("change")
    expect(page.locator(f"#quick-{variant.pk} .saved")).to_be_visible()
    assert page.url == url_before  # saved in place, no navigation
    variant.refresh_from_db()
    assert variant.stock_quantity == 25
    assert Product.objects.filter(producer=producer).count() == 1
