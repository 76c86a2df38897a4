import pytest
from django.utils import translation


@pytest.fixture
def english():
    """Messages checked in their English source form, whatever the .po file says: for the
    modules that say ``pytestmark = pytest.mark.usefixtures("english")``."""
    with translation.override("en"):
        yield
