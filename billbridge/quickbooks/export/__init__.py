"""Exporting invoices to QuickBooks Online, exactly once (RELIABILITY.md §1.8, decisions 0009,
0012, 0015). A request to export writes rows (quickbooks/services.py); a worker drains them.

Read it in the order a row goes through it, one module a stage:
- worker.py   the drain: a company's due rows, a chunk of up to QBO_BATCH_SIZE at a time, in
              QBO_EXPORT_THREADS threads; pauses the company when QBO refuses our access;
- claim.py    which rows a drain takes, under its lease, and when the next one can;
- chunk.py    one chunk through the stages, in order:
  1. lookup.py    unclear sends (timeout, 5xx, a worker that died SENDING) are looked for in
                  QBO first, by DocNumber or by customer and date, then by our marker; a
                  look-up that fails sends nothing (fail closed);
  2. the clients' QBO customers are found by name or created, by one creator per new name
                  (quickbooks/customers.py);
  3. plan.py      each invoice's QBO body is planned (payloads.plan_invoice) and frozen;
  4. send.py      first sends in one batch, re-sends one by one with the row's own requestid,
                  each row SENDING and committed before its request leaves; a stale SyncToken
                  (5010) is read once and sent again;
  5. outcomes.py  QBO's answers recorded: the link to the QBO invoice, its number, total and
                  tax, any warning (in one transaction); faults; retry later; finished.
- rows.py     the frozen body and the QBO link, as every stage reads them, and the QBO entity
              a row goes as: an Invoice, or a credit note's CreditMemo (decision 0027), whose
              application to its invoice is credit_application.py's.

Nothing here retries by looping: a row that cannot finish now gets a `next_attempt_at`, and the
next drain (or the sweep) picks it up again.
"""

from billbridge.quickbooks.export.claim import next_claimable_at
from billbridge.quickbooks.export.worker import drain

__all__ = ["drain", "next_claimable_at"]
