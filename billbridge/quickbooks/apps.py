from django.apps import AppConfig


class QuickbooksConfig(AppConfig):
    name = "billbridge.quickbooks"
    verbose_name = "QuickBooks Online"

    def ready(self) -> None:
        # invoicing never imports this app (DESIGN.md §4.0): it is handed QBO as its books here.
        from billbridge.invoicing import books

        books.register(_QuickBooksOnLoad())


class _QuickBooksOnLoad:
    """QuickBooksOnline, imported when invoicing first asks: importing the integration while
    Django starts would cost every process (migrate, a worker, each --help) most of a second."""

    def __getattr__(self, name: str):
        from billbridge.quickbooks.services import QuickBooksOnline

        return getattr(QuickBooksOnline(), name)
