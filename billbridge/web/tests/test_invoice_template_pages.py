"""Settings ▸ Invoice template, the invoice's PDF on its page, and the Billing list's ZIP."""

import io
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.urls import reverse
from PIL import Image

from billbridge.core import testing
from billbridge.documents.models import InvoiceTemplate
from billbridge.documents.services import TEMPLATE_FIELDS, template_for
from billbridge.documents.tests.conftest import CLEAN_SVG, image_bytes, pdf_images, pdf_text
from billbridge.invoicing.models import InvoiceStatus
from billbridge.web.views.billing import MAX_SELECTION

PAGE = reverse("web:invoice-template")
PREVIEW = reverse("web:invoice-template-preview")
ZIP = reverse("web:invoice-pdf-zip")


def form_data(practice, **changes) -> dict:
    data = model_to_dict(template_for(practice), fields=TEMPLATE_FIELDS)
    return {**data, **changes}


def saved(practice) -> dict:
    template = InvoiceTemplate.objects.get(practice=practice)
    return {
        **model_to_dict(template, fields=TEMPLATE_FIELDS),
        "logo": bytes(template.logo) if template.logo else None,
        "logo_type": template.logo_type,
    }


# ---- Settings ▸ Invoice template ------------------------------------------------------------


def test_the_page_needs_manage_settings_and_says_so(browser_for, practice):
    member = testing.make_member(practice, can_process_time=True, can_export=True)
    browser = browser_for(member)

    for response in (browser.get(PAGE), browser.post(PAGE, form_data(practice, footer="x"))):
        assert response.status_code == 403
        assert "Manage settings" in response.content.decode()
    assert template_for(practice).footer == ""
    assert browser.post(PREVIEW, form_data(practice)).status_code == 403


def test_the_link_shows_to_who_may_use_it(alice, browser_for, practice):
    """In the Settings pages' menu, beside Tax and the rate card."""
    assert PAGE in alice.get(reverse("web:tax-settings")).content.decode()
    member = testing.make_member(practice, can_process_time=True)
    assert PAGE not in browser_for(member).get(reverse("web:tax-settings")).content.decode()


def test_saving_the_template_with_a_png_logo_shows_it_on_the_pdf(alice, practice, client_a):
    logo = SimpleUploadedFile("logo.png", image_bytes("PNG"), content_type="image/png")
    data = form_data(
        practice,
        display_name="Ledger & Co CPAs",
        tax_id="98-7654321",
        accent_colour="#aa3300",
        payment_instructions="Pay by bank transfer.",
        footer="Registered in Illinois.",
        email_subject="Invoice {number}",
        logo=logo,
    )

    response = alice.post(PAGE, data)

    assert response.status_code == 302
    template = InvoiceTemplate.objects.get(practice=practice)
    assert (template.logo_type, template.accent_colour, template.email_subject) == (
        "image/png",
        "#aa3300",
        "Invoice {number}",
    )
    page = alice.get(PAGE).content.decode()
    assert "data:image/png;base64," in page and "Remove the logo" in page
    invoice = testing.make_invoice(testing.make_admin(practice), client_a, InvoiceStatus.DRAFT)
    pdf = alice.get(reverse("web:invoice-pdf", args=[invoice.pk])).content
    assert pdf_images(pdf) == 1
    text = pdf_text(pdf)
    assert "Ledger & Co CPAs" in text and "98-7654321" in text and "Registered in Illinois." in text


def test_a_clean_svg_logo_is_taken_and_can_be_removed(alice, practice):
    svg = SimpleUploadedFile("logo.svg", CLEAN_SVG, content_type="image/svg+xml")
    assert alice.post(PAGE, form_data(practice, logo=svg)).status_code == 302
    assert saved(practice)["logo_type"] == "image/svg+xml"

    assert alice.post(PAGE, form_data(practice, remove_logo="on")).status_code == 302
    assert saved(practice)["logo"] is None and saved(practice)["logo_type"] == ""


def noise_png(megabytes: float) -> bytes:
    side = int((megabytes * 1024 * 1024 / 3) ** 0.5) + 10
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("logo.png", b"This is a text file, whatever its name says.", "not an image"),
        ("big.png", noise_png(2), "it can be at most 1 MB"),
        (
            "script.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "&lt;script&gt;",
        ),
        ("onload.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "onload"),
    ],
)
def test_a_refused_logo_says_why_and_saves_nothing(alice, practice, name, data, says):
    alice.post(PAGE, form_data(practice, footer="Before"))
    before = saved(practice)

    response = alice.post(
        PAGE, form_data(practice, footer="After", logo=SimpleUploadedFile(name, data))
    )

    assert response.status_code == 400
    assert says in response.content.decode()
    assert saved(practice) == before


def test_a_colour_that_is_not_one_is_refused(alice, practice):
    alice.post(PAGE, form_data(practice, accent_colour="#123456"))
    before = saved(practice)

    response = alice.post(PAGE, form_data(practice, accent_colour="blue", footer="After"))

    assert response.status_code == 400
    assert "six hexadecimal digits" in response.content.decode()
    assert saved(practice) == before


def test_the_preview_is_a_sample_pdf_of_the_unsaved_values(alice, practice):
    logo = SimpleUploadedFile("logo.gif", image_bytes("GIF"))
    response = alice.post(
        PREVIEW, form_data(practice, footer="Not saved yet", display_name="Preview LLP", logo=logo)
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    text = pdf_text(response.content)
    assert "Preview LLP" in text and "Not saved yet" in text and "Sample Client Ltd" in text
    assert pdf_images(response.content) == 1
    assert template_for(practice).footer == "" and not template_for(practice).logo


def test_a_preview_of_a_refused_logo_shows_the_page_with_the_reason(alice, practice):
    bad = SimpleUploadedFile("logo.png", b"not an image")
    response = alice.post(PREVIEW, form_data(practice, logo=bad))
    assert response.status_code == 400
    assert "not an image" in response.content.decode()


# ---- the invoice's PDF ----------------------------------------------------------------------


def test_the_invoice_page_offers_the_pdf_and_serves_it_named_by_its_number(
    alice, admin_member, client_a
):
    invoice = testing.make_invoice(
        admin_member, client_a, InvoiceStatus.FINALIZED, number="INV-0007"
    )
    url = reverse("web:invoice-pdf", args=[invoice.pk])
    page = alice.get(reverse("web:invoice-detail", args=[invoice.pk])).content.decode()
    assert f'href="{url}"' in page and "Download PDF" in page and f"{url}?inline" in page

    download = alice.get(url)
    printed = alice.get(f"{url}?inline")

    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="INV-0007.pdf"'
    assert printed["Content-Disposition"] == 'inline; filename="INV-0007.pdf"'
    assert download.content == printed.content  # the frozen document, both times


def test_another_practices_invoice_pdf_is_not_found(alice, other_practice_invoice):
    response = alice.get(reverse("web:invoice-pdf", args=[other_practice_invoice.pk]))
    assert response.status_code == 404


# ---- the Billing list's ZIP -----------------------------------------------------------------


def zipped(response) -> dict[str, bytes]:
    assert response["Content-Type"] == "application/zip"
    assert response.streaming
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_zip_holds_one_pdf_per_selected_invoice_drafts_marked(
    alice, admin_member, client_a, other_practice_invoice
):
    finalized = testing.make_invoice(admin_member, client_a, InvoiceStatus.FINALIZED)
    draft = testing.make_invoice(admin_member, client_a)
    testing.make_invoice(admin_member, client_a)  # not selected

    response = alice.post(ZIP, {"invoice": [finalized.pk, draft.pk, other_practice_invoice.pk]})

    files = zipped(response)
    assert sorted(files) == sorted([f"{finalized.number}.pdf", f"{draft.number}.pdf"])
    assert "DRAFT" in pdf_text(files[f"{draft.number}.pdf"])
    assert "DRAFT" not in pdf_text(files[f"{finalized.number}.pdf"])
    single = alice.get(reverse("web:invoice-pdf", args=[finalized.pk])).content
    assert files[f"{finalized.number}.pdf"] == single


def test_the_zip_of_all_matching_follows_the_lists_filters(alice, admin_member, client_a, practice):
    other = testing.make_client(practice, "Other Client")
    testing.assign(admin_member, other)
    mine = [testing.make_invoice(admin_member, client_a) for _ in range(3)]
    testing.make_invoice(admin_member, other)

    response = alice.post(f"{ZIP}?client={client_a.pk}", {"all_matching": "3"})

    assert sorted(zipped(response)) == sorted(f"{i.number}.pdf" for i in mine)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({}, "Select at least one invoice first."),
        ({"invoice": [str(n) for n in range(1, MAX_SELECTION + 2)]}, f"at most {MAX_SELECTION}"),
        ({"all_matching": "7"}, "not 7"),
    ],
)
def test_the_zip_is_refused_with_a_reason(alice, admin_member, client_a, data, says):
    testing.make_invoice(admin_member, client_a)
    response = alice.post(ZIP, data)
    assert response.status_code == 400
    assert says in response.content.decode()


def test_the_billing_list_offers_the_zip_outside_htmx(alice, admin_member, client_a):
    testing.make_invoice(admin_member, client_a)
    page = alice.get(reverse("web:billing-list")).content.decode()
    assert f'formaction="{ZIP}' in page and "data-plain-submit" in page
