import pytest
from django.test import Client as Browser

from billbridge.core import testing


@pytest.fixture
def browser_for():
    """A Django test client logged in as the given member."""

    def logged_in(membership) -> Browser:
        browser = Browser()
        browser.force_login(membership.user)
        return browser

    return logged_in


@pytest.fixture
def alice(browser_for, admin_member):
    """Alice may do everything and owns client_a (once client_a is asked for)."""
    return browser_for(admin_member)


@pytest.fixture
def other_practice_invoice(db):
    other = testing.make_practice("Elsewhere LLP")
    member = testing.make_admin(other, "mallory")
    client = testing.make_client(other, "Hidden Co")
    testing.assign(member, client)
    return testing.make_invoice(member, client)
