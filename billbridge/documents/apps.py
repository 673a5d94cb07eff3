from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "billbridge.documents"
    label = "documents"
    verbose_name = "Invoice documents, email to clients and notices"

    def ready(self) -> None:
        from billbridge.invoicing.signals import invoice_finalized

        invoice_finalized.connect(_freeze_document, dispatch_uid="documents.freeze_document")


def _freeze_document(sender, invoice, membership, **kwargs) -> None:
    """The document is frozen in finalize()'s transaction, kept with the change or not at all:
    only its HTML (template rendering); its PDF is rendered when first needed."""
    from billbridge.documents import rendering

    rendering.freeze(invoice)
