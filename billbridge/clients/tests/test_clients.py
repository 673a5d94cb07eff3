import pytest

from billbridge.clients import services
from billbridge.clients.models import Client
from billbridge.clients.names import display_name_problems
from billbridge.core import testing
from billbridge.core.errors import InvalidInput, PermissionRefused


@pytest.mark.parametrize(
    "name",
    [
        "Acme Widgets",
        "Baker & Sons LLP",
        "O'Brien (Tax) #2",
        "Café Zoë",
        "A.B.C.; Co+",
        "O\u2019Brien \u2013 \u201cTax\u201d",
    ],
)
def test_names_quickbooks_accepts(name):
    assert display_name_problems(name) == []


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("Parent:Job", "':'"),
        ("Tabs\there", "'\\t'"),
        ("Slash/Name", "'/'"),
        ("", "empty"),
        (" padded", "spaces"),
        ("x" * 101, "at most 100"),
    ],
)
def test_names_quickbooks_refuses_are_explained(name, words):
    problems = display_name_problems(name)
    assert problems
    assert any(words in problem for problem in problems)


def test_create_client_validates_the_name_and_writes_nothing_on_refusal(admin_member):
    with pytest.raises(InvalidInput) as refusal:
        services.create_client(admin_member, name="North: South")
    assert "':'" in refusal.value.field_errors["name"][0]
    assert not Client.objects.exists()


def test_client_names_are_unique_in_a_practice_only(admin_member):
    services.create_client(admin_member, name="Acme")
    with pytest.raises(InvalidInput):
        services.create_client(admin_member, name="Acme")
    other = testing.make_admin(testing.make_practice())
    assert services.create_client(other, name="Acme").practice == other.practice


def test_editing_a_client_needs_process_time(practice, admin_member):
    client = services.create_client(admin_member, name="Acme", email="ap@acme.example")
    viewer = testing.make_member(practice)
    with pytest.raises(PermissionRefused):
        services.update_client(viewer, client, email="other@acme.example")
    updated = services.update_client(admin_member, client, city="Springfield")
    assert (updated.city, Client.objects.get().email) == ("Springfield", "ap@acme.example")


def test_unknown_fields_are_refused(admin_member):
    with pytest.raises(InvalidInput):
        services.create_client(admin_member, name="Acme", practice_id=99)


def test_billing_emails_are_checked_address_by_address(admin_member):
    with pytest.raises(InvalidInput, match="“not-an-address” is not an email address"):
        services.create_client(
            admin_member, name="Acme", billing_emails="ap@acme.example, not-an-address"
        )
    assert not Client.objects.exists()
    too_many = ", ".join(f"ap{n}@acme.example" for n in range(11))
    with pytest.raises(InvalidInput, match="at most 10"):
        services.create_client(admin_member, name="Acme", billing_emails=too_many)


def test_invoices_go_to_the_billing_emails_or_else_the_email(admin_member):
    client = services.create_client(
        admin_member,
        name="Acme",
        email="office@acme.example",
        billing_emails="ap@acme.example; owner@acme.example, ap@acme.example",
    )
    assert client.billing_addresses() == ["ap@acme.example", "owner@acme.example"]
    client.billing_emails = ""
    assert client.billing_addresses() == ["office@acme.example"]
    client.email = ""
    assert client.billing_addresses() == []
