from decimal import Decimal

from django.urls import reverse

from billbridge.core import testing
from billbridge.invoicing.services import tax_settings_for

URL = reverse("web:tax-settings")
TAXES = {
    "primary_name": "State sales tax",
    "primary_rate": "8.875",
    "primary_enabled": "on",
    "secondary_name": "City tax",
    "secondary_rate": "0",
}


def test_a_manager_changes_the_taxes(alice, practice):
    response = alice.post(URL, TAXES, follow=True)
    assert "The tax settings are saved." in response.content.decode()
    tax = tax_settings_for(practice)
    assert (tax.primary_name, tax.primary_rate, tax.primary_enabled) == (
        "State sales tax",
        Decimal("8.875"),
        True,
    )
    assert tax.secondary_enabled is False


def test_a_rate_out_of_range_is_shown_next_to_it(alice, practice):
    response = alice.post(URL, {**TAXES, "primary_rate": "150"})
    assert response.status_code == 400
    assert response.context["form"].errors["primary_rate"] == [
        "A tax rate is a percentage from 0 to 100."
    ]
    assert tax_settings_for(practice).primary_rate == Decimal("0")


def test_others_see_the_taxes_read_only(browser_for, practice):
    viewer = browser_for(testing.make_member(practice, "vera"))
    response = viewer.get(URL)
    content = response.content.decode()
    assert response.status_code == 200
    assert "changing them needs the <strong>Manage settings</strong> permission" in content
    assert 'name="primary_rate"' in content and "disabled" in content
    assert "Save tax settings" not in content


def test_a_forged_save_is_refused_by_the_service(browser_for, practice):
    viewer = browser_for(testing.make_member(practice, "vera", can_process_time=True))
    response = viewer.post(URL, TAXES)
    assert response.status_code == 403
    assert "You need the “Manage settings” permission to do this." in response.content.decode()
    assert tax_settings_for(practice).primary_name == "Sales tax"
