"""Sending invoices to clients (issue 11). web/urls.py adds these to the web: namespace.

Three segments after the invoice, so that the invoice's transitions (invoices/<pk>/<action>/,
listed before these) never take them."""

from django.urls import path

from billbridge.web.views import sending

urlpatterns: list = [
    path("invoices/<int:pk>/email/send/", sending.invoice_send, name="invoice-send"),
    path(
        "invoices/<int:pk>/emails/<int:send_id>/send-again/",
        sending.invoice_send_again,
        name="invoice-send-again",
    ),
]
