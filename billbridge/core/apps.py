from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "billbridge.core"
    label = "core"
