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


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many users; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Tasks run at once, in the test's process; tests of the worker itself choose otherwise."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # A drain's extra threads have connections of their own, which cannot see the rows a test
    # holds in its transaction; test_export_threads.py runs them on committed data.
    settings.QBO_EXPORT_THREADS = 1
