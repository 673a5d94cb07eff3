from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "billbridge.clients"
    label = "clients"
