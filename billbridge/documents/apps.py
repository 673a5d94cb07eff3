from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "billbridge.documents"
    label = "documents"
    verbose_name = "Invoice documents, email to clients and notices"
