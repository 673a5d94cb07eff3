"""The invoice's PDF: downloaded from its page (or opened to print), and the Billing list's
selection as one ZIP from More actions. A finalized invoice's PDF is its frozen document; a
draft's is rendered afresh with DRAFT across it (documents/rendering.py)."""

import zipfile
from collections.abc import Iterable, Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from billbridge.documents.rendering import invoice_pdf
from billbridge.invoicing.models import Invoice
from billbridge.invoicing.services import MAX_ID
from billbridge.web.access import invoice_or_404, member_required, refusal
from billbridge.web.forms import BillingFilterForm
from billbridge.web.views.billing import Refused, selected_ids


def _pdf_response(pdf: bytes, name: str, disposition: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    # A draft's PDF changes with every edit, a finalized one's when it is reverted.
    response["Cache-Control"] = "private, no-cache"
    return response


@member_required
@require_safe
def invoice_pdf_download(request, pk: int):
    """The PDF as a file (Download PDF), or shown in the browser's tab with ?inline (Print)."""
    invoice = invoice_or_404(request.membership, pk)
    pdf, name = invoice_pdf(invoice)
    return _pdf_response(pdf, name, "inline" if "inline" in request.GET else "attachment")


class _Drain:
    """What zipfile writes to: it keeps the bytes written since they were last taken, so the
    ZIP leaves in pieces (one PDF at a time) and is never whole in memory. Not seekable, so
    zipfile writes each entry's sizes after its data."""

    def __init__(self):
        self._pieces: list[bytes] = []
        self._written = 0

    def write(self, data: bytes) -> int:
        self._pieces.append(bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        taken, self._pieces = b"".join(self._pieces), []
        return taken


def zipped_pdfs(invoices: Iterable[Invoice]) -> Iterator[bytes]:
    """The ZIP of the invoices' PDFs, piece by piece: each PDF is rendered (or read) when the
    ZIP reaches it, and let go once written."""
    drain = _Drain()
    names: set[str] = set()
    # PDFs are compressed inside already: stored as they are, the ZIP costs no CPU of its own.
    with zipfile.ZipFile(drain, "w", compression=zipfile.ZIP_STORED) as archive:
        for invoice in invoices:
            pdf, name = invoice_pdf(invoice)
            if name in names:  # two numbers that read the same once made file-safe
                name = f"{name.removesuffix('.pdf')}-{invoice.pk}.pdf"
            names.add(name)
            archive.writestr(zipfile.ZipInfo(name, invoice.issue_date.timetuple()[:6]), pdf)
            yield drain.take()
    yield drain.take()


def _one_by_one(practice, invoice_ids: list[int]) -> Iterator[Invoice]:
    """The invoices in the list's order, read one at a time: 1,000 invoices with their lines
    are never all in memory."""
    ordered = (
        Invoice.objects.for_practice(practice)
        # An id beyond any key names no invoice (and the database would refuse to be asked).
        .filter(pk__in=[pk for pk in invoice_ids if 0 < pk <= MAX_ID])
        .order_by("-issue_date", "-id")
        .values_list("pk", flat=True)
    )
    for pk in list(ordered):
        invoice = (
            Invoice.objects.for_practice(practice)
            .select_related("client", "practice")
            .filter(pk=pk)
            .first()
        )
        if invoice is not None:  # deleted while the ZIP was being written
            yield invoice


@member_required
@require_POST
def invoice_pdf_zip(request):
    """More actions ▸ Download selected as PDFs (ZIP): the ticked invoices, or all matching
    the list's filters (the query string), in the list's order."""
    practice = request.membership.practice
    filters = BillingFilterForm(practice, request.GET)
    matching = filters.apply(Invoice.objects.for_practice(practice))
    try:
        invoice_ids = selected_ids(request, filters, matching)
    except Refused as refused:
        return refusal(
            request,
            refused.report.error,
            status=refused.report.status_code,
            back_url=f"{reverse('web:billing-list')}?{request.GET.urlencode()}",
            back_label="Back to the Billing list",
        )
    response = StreamingHttpResponse(
        zipped_pdfs(_one_by_one(practice, invoice_ids)), content_type="application/zip"
    )
    response["Content-Disposition"] = 'attachment; filename="invoices.zip"'
    return response
