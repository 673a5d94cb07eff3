from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "billbridge.operations"
    label = "operations"
    verbose_name = "Operations"
