import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db import IntegrityError

User = get_user_model()


@pytest.mark.django_db
def test_email_is_the_identifier_and_is_normalised():
    user = User.objects.create_user(email="Alice@Example.ORG", password="s3cret-pass!")
    assert user.email == "alice@example.org"
    assert User.USERNAME_FIELD == "email"
    assert not hasattr(user, "username")
    assert authenticate(email="alice@example.org", password="s3cret-pass!") == user


@pytest.mark.django_db
def test_email_is_unique():
    User.objects.create_user(email="a@example.org")
    with pytest.raises(IntegrityError):
        User.objects.create_user(email="A@example.org")


@pytest.mark.django_db
def test_name_and_phone_are_optional():
    user = User.objects.create_user(email="b@example.org")
    assert user.full_name == "" and user.phone == ""
    assert str(user) == "b@example.org"
    user.full_name = "Bérénice Dupont"
    assert user.get_short_name() == "Bérénice"


@pytest.mark.django_db
def test_superuser_is_staff():
    admin = User.objects.create_superuser(email="root@example.org", password="x-very-long-1")
    assert admin.is_staff and admin.is_superuser
