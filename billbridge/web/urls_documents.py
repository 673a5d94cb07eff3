"""The invoice as a document (issue 11): its PDF, the invoice template. web/urls.py adds these
to the web: namespace."""

from django.urls import path

from billbridge.web.views import invoice_pdf, invoice_template

urlpatterns: list = [
    path("invoices/<int:pk>/pdf/", invoice_pdf.invoice_pdf_download, name="invoice-pdf"),
    path("invoices/pdf-zip/", invoice_pdf.invoice_pdf_zip, name="invoice-pdf-zip"),
    path("settings/invoice-template/", invoice_template.invoice_template, name="invoice-template"),
    path(
        "settings/invoice-template/preview/",
        invoice_template.invoice_template_preview,
        name="invoice-template-preview",
    ),
]
