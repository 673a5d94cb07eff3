from django.urls import path

from billbridge.web.views import billing, clients, invoices, tax

app_name = "web"
urlpatterns = [
    path("", billing.billing_list, name="billing-list"),
    path("invoices/new/", invoices.invoice_new, name="invoice-new"),
    path("invoices/line-row/", invoices.invoice_line_row, name="invoice-line-row"),
    path("invoices/<int:pk>/", invoices.invoice_detail, name="invoice-detail"),
    path("invoices/<int:pk>/edit/", invoices.invoice_edit, name="invoice-edit"),
    path(
        "invoices/<int:pk>/<slug:action>/",
        invoices.invoice_transition,
        name="invoice-transition",
    ),
    path("clients/", clients.client_list, name="client-list"),
    path("clients/new/", clients.client_new, name="client-new"),
    path("clients/<int:pk>/", clients.client_detail, name="client-detail"),
    path("clients/<int:pk>/edit/", clients.client_edit, name="client-edit"),
    path("settings/time/tax/", tax.tax_settings, name="tax-settings"),
]
