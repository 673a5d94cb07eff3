from decimal import Decimal

import pytest
from django.test import Client as Browser

from billbridge.core import testing
from billbridge.invoicing import services as invoicing
from billbridge.quickbooks.testing import connect_practice


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


@pytest.fixture
def qbo(emulator, qbo_settings, qbo_company, settings):
    """The emulator with a US sample company, Billbridge's settings pointed at it."""
    settings.QBO_LOOKUP_DELAY_SECONDS = 0
    settings.QBO_APP_URL = f"{emulator.base_url}/_emulator/ui"
    company = emulator.emulator.company(qbo_company)
    company.set_preferences(custom_txn_numbers=True, book_close_date="2026-06-30")
    emulator.company = company
    emulator.realm = qbo_company
    return emulator


@pytest.fixture
def connected(qbo, practice, admin_member):
    invoicing.update_tax_settings(
        admin_member, primary_name="Sales tax", primary_rate=Decimal("8"), primary_enabled=True
    )
    connection = connect_practice(practice, qbo, qbo.realm)
    # Where the cell links a QBO invoice to: the emulator's own view of the company.
    connection.url_of = lambda qbo_id: f"{qbo.base_url}/_emulator/ui/{qbo.realm}#invoice-{qbo_id}"
    return connection
