from django.urls import path

from billbridge.web import (
    urls_credit,
    urls_documents,
    urls_import,
    urls_sending,
    urls_site,
    urls_time,
    urls_wip,
)
from billbridge.web.views import billing, clients, invoices, quickbooks, reconciliation, tax

QBO = "settings/integrations/quickbooks"

app_name = "web"
urlpatterns = [
    path("", billing.billing_list, name="billing-list"),
    path("invoices/new/", invoices.invoice_new, name="invoice-new"),
    path("invoices/line-row/", invoices.invoice_line_row, name="invoice-line-row"),
    path("invoices/<int:pk>/", invoices.invoice_detail, name="invoice-detail"),
    path("invoices/<int:pk>/edit/", invoices.invoice_edit, name="invoice-edit"),
    # Before the transitions' catch-all below, which would take them for unknown actions.
    path("invoices/<int:pk>/delete/", invoices.invoice_delete, name="invoice-delete"),
    # The invoice's PDF (invoices/<pk>/pdf/) and its sending: before the catch-all too.
    *urls_documents.urlpatterns,
    *urls_sending.urlpatterns,
    *urls_credit.urlpatterns,
    path("invoices/<int:pk>/qbo-export/", quickbooks.invoice_export, name="invoice-qbo-export"),
    path(
        "invoices/<int:pk>/qbo-replace/",
        quickbooks.invoice_confirm_replacement,
        name="invoice-qbo-replace",
    ),
    path(
        "invoices/<int:pk>/qbo-drift/", quickbooks.invoice_resolve_drift, name="invoice-qbo-drift"
    ),
    path(
        "invoices/<int:pk>/<slug:action>/",
        invoices.invoice_transition,
        name="invoice-transition",
    ),
    path("clients/", clients.client_list, name="client-list"),
    path("clients/new/", clients.client_new, name="client-new"),
    path("clients/<int:pk>/", clients.client_detail, name="client-detail"),
    path("clients/<int:pk>/edit/", clients.client_edit, name="client-edit"),
    path(
        "clients/<int:pk>/qbo-customer/link/",
        quickbooks.client_link_customer,
        name="client-qbo-link",
    ),
    path(
        "clients/<int:pk>/qbo-customer/unlink/",
        quickbooks.client_unlink_customer,
        name="client-qbo-unlink",
    ),
    path(
        "billing/quickbooks-reconciliation/",
        reconciliation.reconciliation_page,
        name="qbo-reconciliation",
    ),
    path(
        "billing/quickbooks-reconciliation/run/",
        reconciliation.reconciliation_run,
        name="qbo-reconciliation-run",
    ),
    path("exports/<int:batch_id>/progress/", quickbooks.export_progress, name="export-progress"),
    path("settings/time/tax/", tax.tax_settings, name="tax-settings"),
    path(f"{QBO}/", quickbooks.quickbooks_settings, name="quickbooks-settings"),
    path(f"{QBO}/connect/", quickbooks.quickbooks_connect, name="quickbooks-connect"),
    # No trailing slash: the redirect URI registered with Intuit (settings.QBO_REDIRECT_URI).
    path(f"{QBO}/callback", quickbooks.quickbooks_callback, name="quickbooks-callback"),
    path(f"{QBO}/disconnect/", quickbooks.quickbooks_disconnect, name="quickbooks-disconnect"),
    path(f"{QBO}/test/", quickbooks.quickbooks_test, name="quickbooks-test"),
    path(f"{QBO}/settings/", quickbooks.quickbooks_save_settings, name="quickbooks-save-settings"),
    path(f"{QBO}/items/", quickbooks.quickbooks_items, name="quickbooks-items"),
    path(
        f"{QBO}/automatic-export/",
        quickbooks.quickbooks_auto_export,
        name="quickbooks-auto-export",
    ),
]
# Time, WIP and realization (issue 10), in modules of their own.
urlpatterns += (
    urls_time.urlpatterns + urls_wip.urlpatterns + urls_import.urlpatterns + urls_site.urlpatterns
)
