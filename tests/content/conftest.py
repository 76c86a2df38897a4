import pytest

from foodhub.content import editors


@pytest.fixture
def home_page(db):
    """The site's home page (French) with its English alias."""
    return editors.ensure_site()


@pytest.fixture
def hub_page(hub, manager, home_page):
    """The hub's page, its editors' group (with the manager in it) and permissions."""
    return editors.set_up_hub(hub)


@pytest.fixture
def portrait(producer, producer_member, home_page):
    """The producer's portrait and its group (with the producer's member in it)."""
    return editors.set_up_producer(producer)
