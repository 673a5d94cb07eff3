"""Settings ▸ Invoice template: what the practice prints on its invoices (name, logo, address,
tax id, colour, payment instructions, footer) and the wording of the mail that carries them.

The preview is a sample invoice's PDF, rendered from the values in the form as they are, not
yet saved (a logo just chosen included): the button posts the same form to the preview URL in
a new tab, so a person sees what a client would receive before saving anything
(docs/decisions/0023-the-invoice-document.md).
"""

from django.contrib import messages
from django.forms.models import model_to_dict
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from billbridge.core.errors import InvalidInput, ServiceError
from billbridge.documents import rendering, services
from billbridge.documents.services import TEMPLATE_FIELDS
from billbridge.web.access import member_required, refused_by
from billbridge.web.forms import show_service_errors
from billbridge.web.invoice_template_forms import InvoiceTemplateForm


def _refused(request, error: ServiceError):
    return refused_by(
        request, error, back_url=reverse("web:tax-settings"), back_label="Back to the settings"
    )


def _page(request, form: InvoiceTemplateForm, template, *, status: int = 200):
    return render(
        request,
        "web/invoice_template.html",
        {"form": form, "logo": rendering.logo_uri(template)},
        status=status,
    )


@member_required
@require_http_methods(["GET", "HEAD", "POST"])
def invoice_template(request):
    membership = request.membership
    try:
        template = services.template_to_edit(membership)
    except ServiceError as exc:
        return _refused(request, exc)
    if request.method != "POST":
        form = InvoiceTemplateForm(initial=model_to_dict(template, fields=TEMPLATE_FIELDS))
        return _page(request, form, template)
    form = InvoiceTemplateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.save_template(membership, form.template_fields(), form.logo_change())
        except InvalidInput as exc:
            show_service_errors(form, exc)
        except ServiceError as exc:
            return _refused(request, exc)
        else:
            messages.success(request, "The invoice template is saved.")
            return redirect("web:invoice-template")
    # Refused as a whole: nothing is saved, the page shows why next to the fields.
    return _page(request, form, template, status=400)


@member_required
@require_POST
def invoice_template_preview(request):
    """A sample invoice's PDF from the form's unsaved values, shown in the browser's tab."""
    membership = request.membership
    try:
        template = services.template_to_edit(membership)
    except ServiceError as exc:
        return _refused(request, exc)
    form = InvoiceTemplateForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, template, status=400)
    try:
        preview = services.unsaved_template(membership, form.template_fields(), form.logo_change())
    except InvalidInput as exc:
        show_service_errors(form, exc)
        return _page(request, form, template, status=400)
    response = HttpResponse(rendering.sample_pdf(preview), content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="invoice-template-preview.pdf"'
    return response
