from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "billbridge.invoicing"
    label = "invoicing"
