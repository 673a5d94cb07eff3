from django.apps import AppConfig


class QuickbooksConfig(AppConfig):
    name = "billbridge.quickbooks"
    verbose_name = "QuickBooks Online"
