import pytest

from billbridge.core import testing


@pytest.fixture
def practice(db):
    return testing.make_practice("Ledger & Co")


@pytest.fixture
def admin_member(practice):
    """A member with every permission, Owner of no client yet."""
    return testing.make_admin(practice, "alice")


@pytest.fixture
def client_a(practice, admin_member):
    client = testing.make_client(practice, "Acme Widgets")
    testing.assign(admin_member, client)
    return client
