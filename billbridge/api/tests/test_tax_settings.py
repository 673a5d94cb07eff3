from decimal import Decimal

import pytest

from billbridge.core import testing
from billbridge.invoicing.services import tax_settings_for

URL = "/api/v1/tax-settings"
DEFAULTS = {
    "primary_name": "Sales tax",
    "primary_rate": "0.000",
    "primary_enabled": False,
    "secondary_name": "Secondary tax",
    "secondary_rate": "0.000",
    "secondary_enabled": False,
}
FULL = {
    "primary_name": "NY sales tax",
    "primary_rate": "8.875",
    "primary_enabled": True,
    "secondary_name": "MCTD",
    "secondary_rate": "0.375",
    "secondary_enabled": False,
}


def stored(practice) -> dict:
    tax = tax_settings_for(practice)
    return {field: getattr(tax, field) for field in FULL}


def test_any_member_can_read_them(as_member, practice):
    response = as_member(testing.make_member(practice)).get(URL)
    assert response.status_code == 200
    assert response.json() == DEFAULTS


def test_put_replaces_them(admin_api, practice):
    response = admin_api.put(URL, FULL)
    assert response.status_code == 200
    assert response.json() == FULL
    assert stored(practice)["primary_rate"] == Decimal("8.875")
    assert admin_api.get(URL).json() == FULL


def test_patch_changes_only_what_is_sent_and_reads_numbers_exactly(admin_api, practice):
    response = admin_api.patch(URL, {"primary_rate": 8.875, "primary_enabled": True})
    assert response.status_code == 200
    assert response.json() == {**DEFAULTS, "primary_rate": "8.875", "primary_enabled": True}
    assert stored(practice)["primary_rate"] == Decimal("8.875")


def test_other_practices_are_untouched(admin_api, practice):
    other = testing.make_practice("Elsewhere LLP")
    before = stored(other)
    admin_api.put(URL, FULL)
    assert stored(other) == before


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_changing_them_needs_manage_settings(as_member, practice, method):
    clerk = testing.make_member(practice, can_process_time=True, can_export=True)
    before = stored(practice)
    response = as_member(clerk).call(method, URL, FULL)
    assert response.status_code == 403
    assert "Manage settings" in response.json()["detail"]
    assert stored(practice) == before


@pytest.mark.parametrize(
    ("patch", "status", "field"),
    [
        ({"primary_rate": "100.001"}, 400, "primary_rate"),
        ({"primary_rate": "-1"}, 400, "primary_rate"),
        ({"secondary_rate": "8.8755"}, 400, "secondary_rate"),
        ({"primary_name": "  "}, 400, "primary_name"),
        ({"primary_rate": "eight"}, 422, "primary_rate"),
        ({"primary_rate": "Infinity"}, 422, "primary_rate"),
        ({"primary_rate": None}, 422, "primary_rate"),
        ({"primary_enabled": "sometimes"}, 422, "primary_enabled"),
        ({"primary_name": "n" * 51}, 422, "primary_name"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(admin_api, practice, patch, status, field):
    before = stored(practice)
    response = admin_api.patch(URL, patch)
    assert response.status_code == status
    assert field in response.json()["errors"]
    assert stored(practice) == before


def test_put_needs_every_field(admin_api, practice):
    partial = {key: value for key, value in FULL.items() if key != "secondary_enabled"}
    response = admin_api.put(URL, partial)
    assert response.status_code == 422
    assert response.json()["errors"] == {"secondary_enabled": ["Field required"]}
