from django.apps import AppConfig


class TimeConfig(AppConfig):
    name = "billbridge.time"
    label = "time"
    verbose_name = "Time and WIP"

    def ready(self) -> None:
        # invoicing never imports this app (DESIGN.md §4.0): it is told here who holds work on
        # its lines, so that removing a line or a draft returns that work to WIP.
        from billbridge.invoicing import held_work
        from billbridge.time.held import TimeOnLines

        held_work.register(TimeOnLines())
