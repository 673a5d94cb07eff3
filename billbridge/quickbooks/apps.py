from django.apps import AppConfig


class QuickbooksConfig(AppConfig):
    name = "billbridge.quickbooks"
    verbose_name = "QuickBooks Online"

    def ready(self) -> None:
        # invoicing never imports this app (DESIGN.md §4.0): it is handed QBO as its books here.
        from billbridge.invoicing import books

        books.register(_QuickBooksOnLoad())
        from billbridge.invoicing.signals import invoice_finalized

        invoice_finalized.connect(_export_when_finalized, dispatch_uid="qbo-automatic-export")


def _export_when_finalized(sender, invoice, **kwargs) -> None:
    """Automatic export's receiver, imported when an invoice is first finalized (the same
    start-up saving as _QuickBooksOnLoad)."""
    from billbridge.quickbooks.automatic_export import on_finalized

    on_finalized(invoice)


class _QuickBooksOnLoad:
    """QuickBooksOnline, imported when invoicing first asks: importing the integration while
    Django starts would cost every process (migrate, a worker, each --help) most of a second."""

    def __getattr__(self, name: str):
        from billbridge.quickbooks.services import QuickBooksOnline

        return getattr(QuickBooksOnline(), name)
