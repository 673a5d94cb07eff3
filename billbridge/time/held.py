"""The time app's side of invoicing's held-work seam (invoicing/held_work.py)."""

from collections.abc import Sequence

from billbridge.time.models import Entry, EntryChange


class TimeOnLines:
    def release(self, line_ids: Sequence[int], why: str) -> None:
        entries = Entry.objects.filter(invoice_line_id__in=line_ids)
        EntryChange.objects.bulk_create(
            EntryChange(entry_id=pk, action="returned to WIP", note=why[:500])
            for pk in entries.values_list("pk", flat=True)
        )
        entries.update(invoice_line=None)
