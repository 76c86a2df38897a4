import pytest

from pickup_points.models import PickupPointMembership
from tests import factories


@pytest.fixture
def volunteer(pickup_point):
    user = factories.UserFactory(email="benevole@example.org", full_name="Zoé Bénévole")
    factories.PickupPointMembershipFactory(pickup_point=pickup_point, user=user)
    return user


@pytest.fixture
def coordinator(pickup_point):
    user = factories.UserFactory(email="coord@example.org", full_name="Karim Coordination")
    factories.PickupPointMembershipFactory(
        pickup_point=pickup_point, user=user, role=PickupPointMembership.Role.COORDINATOR
    )
    return user
