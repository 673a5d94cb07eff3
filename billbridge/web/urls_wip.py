"""Billing ▸ WIP and Realization, invoicing a client's WIP, and Settings ▸ Time ▸ Work codes &
rates (issue 10). web/urls.py adds these to the web: namespace."""

from django.urls import path

from billbridge.web.views import rate_card, realization, wip

RATE_CARD = "settings/time/work-codes"

urlpatterns = [
    path("billing/wip/", wip.wip_list, name="wip-list"),
    path("clients/<int:pk>/wip/", wip.client_wip, name="client-wip"),
    path("clients/<int:pk>/wip/invoice/", wip.invoice_from_wip, name="invoice-from-wip"),
    path("billing/realization/", realization.realization_page, name="realization"),
    path("billing/realization/csv/", realization.realization_csv, name="realization-csv"),
    path(f"{RATE_CARD}/", rate_card.rate_card, name="rate-card"),
    path(f"{RATE_CARD}/new/", rate_card.rate_card_work_code_new, name="rate-card-work-code-new"),
    path(f"{RATE_CARD}/<int:pk>/", rate_card.rate_card_work_code, name="rate-card-work-code"),
    path(
        f"{RATE_CARD}/<int:pk>/qbo-item/", rate_card.rate_card_qbo_item, name="rate-card-qbo-item"
    ),
    path(f"{RATE_CARD}/rates/new/", rate_card.rate_card_rate_new, name="rate-card-rate-new"),
]
