"""What invoicing tells the apps above it, which it never imports (DESIGN.md §4.0).

`invoice_finalized` is sent inside finalize()'s transaction, after the invoice is Finalized:
a receiver's rows are saved with the change or not at all (the document frozen at finalize),
and a receiver that starts work outside the database (a task, a QBO call) does so in
transaction.on_commit. Arguments: invoice, membership.
"""

from django.dispatch import Signal

invoice_finalized = Signal()
