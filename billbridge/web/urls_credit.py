"""Credit notes, write-offs and corrected copies of an invoice, and Settings ▸ Closed periods
(issue 12). web/urls.py adds these to the web: namespace, before the invoice's transitions
(invoices/<pk>/<action>/), which would take them for unknown actions."""

from django.urls import path

from billbridge.web.views import closed_periods, credit_notes

urlpatterns: list = [
    path("invoices/<int:pk>/credit/", credit_notes.credit_note_new, name="invoice-credit"),
    path("invoices/<int:pk>/write-off/", credit_notes.write_off_new, name="invoice-write-off"),
    path(
        "invoices/<int:pk>/corrected-copy/",
        credit_notes.corrected_copy,
        name="invoice-corrected-copy",
    ),
    path("settings/closed-periods/", closed_periods.closed_periods, name="closed-periods"),
]
