"""The invoice number rule (docs/decisions/0006-invoice-numbers.md), as the services apply it to
every number typed on a page or sent to the API."""

import datetime

import pytest

from billbridge.core import testing
from billbridge.core.errors import InvalidInput
from billbridge.invoicing import services
from billbridge.invoicing.models import Invoice
from billbridge.invoicing.numbers import number_problems

INVISIBLE = "An invoice number can have only visible characters and plain spaces; this one has {}."


def draft(client, number):
    return services.DraftInput(
        client_id=client.pk,
        issue_date=datetime.date(2026, 11, 2),
        lines=testing.sample_lines(),
        number=number,
    )


@pytest.mark.parametrize(
    "number",
    ["INV-1", "2026/0042", "TB 1001", "Rechnung-Ä1", "請求書-7", "#12.3_(b)", "X" * 21],
)
def test_numbers_quickbooks_keeps_as_they_are(number):
    assert number_problems(number) == []


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("INV\t1", "U+0009"),
        ("INV\n1", "U+000A"),
        ("INV\r\n1", "U+000A U+000D"),
        ("INV\x001", "U+0000"),
        ("INV\x7f1", "U+007F"),
        ("INV\x851", "U+0085"),
        ("INV\u200b1", "U+200B"),  # zero width space
        ("INV\u200d1", "U+200D"),  # zero width joiner
        ("INV\u202e1", "U+202E"),  # right-to-left override: shows the number reversed
        ("\ufeffINV1", "U+FEFF"),  # byte order mark
        ("INV\u00ad1", "U+00AD"),  # soft hyphen
        ("INV\u20601", "U+2060"),  # word joiner
        ("INV\u00a01", "U+00A0"),  # no-break space: looks like a space, is not one
        ("INV\u30001", "U+3000"),
        ("INV\u20281", "U+2028"),  # line separator
        ("INV\ud8001", "U+D800"),  # a lone surrogate (JSON can escape one)
        ("INV\ue0001", "U+E000"),  # private use
        ("INV\U000e00011", "U+E0001"),  # a tag character
        ("INV\u03781", "U+0378"),  # unassigned
        ("INV\t\u200b\t1", "U+0009 U+200B"),
    ],
)
def test_control_and_invisible_characters_are_refused(number, shown):
    assert number_problems(number) == [INVISIBLE.format(shown)]


def test_empty_too_long_and_auto_generate_are_refused():
    assert number_problems("  ") == ["The invoice number cannot be empty."]
    assert number_problems("X" * 22) == [
        "An invoice number can have at most 21 characters (QuickBooks' limit); this one has 22."
    ]
    for number in ("AUTO_GENERATE", "auto_generate"):
        assert number_problems(number) == [
            "“AUTO_GENERATE” asks QuickBooks to number the invoice itself, so it cannot be an "
            "invoice number."
        ]
    assert number_problems("X" * 21 + "\x0b") == [
        "An invoice number can have at most 21 characters (QuickBooks' limit); this one has 22.",
        INVISIBLE.format("U+000B"),
    ]


@pytest.mark.parametrize("number", ["INV\t7", "INV\n7", "INV\u200b7"])
def test_a_new_draft_with_such_a_number_is_refused_and_nothing_is_written(
    admin_member, client_a, practice, number
):
    with pytest.raises(InvalidInput) as refusal:
        services.create_draft(admin_member, draft(client_a, number))
    assert refusal.value.field_errors == {"number": [refusal.value.message]}
    assert refusal.value.message.startswith("An invoice number can have only visible characters")
    assert not Invoice.objects.exists()
    practice.refresh_from_db()
    assert practice.next_invoice_number == 1


def test_a_draft_cannot_be_renumbered_with_a_tab(admin_member, client_a):
    invoice = testing.make_invoice(admin_member, client_a)
    with pytest.raises(InvalidInput) as refusal:
        services.update_draft(admin_member, invoice.pk, draft(client_a, "INV\t1"))
    assert refusal.value.field_errors == {"number": [INVISIBLE.format("U+0009")]}
    saved = Invoice.objects.get(pk=invoice.pk)
    assert (saved.number, saved.version) == ("INV-1", invoice.version)
    assert saved.timeline.count() == 1


def test_surrounding_spaces_are_trimmed_and_the_rest_kept(admin_member, client_a):
    invoice = services.create_draft(admin_member, draft(client_a, "  TB 1001 \t"))
    assert Invoice.objects.get(pk=invoice.pk).number == "TB 1001"
