from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "billbridge.web"
    label = "web"
