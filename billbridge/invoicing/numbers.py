"""What an invoice number may be (docs/decisions/0006-invoice-numbers.md). It is sent to
QuickBooks Online as the invoice's DocNumber (../shared/QBO.md §3.3), which holds at most 21
characters and takes "AUTO_GENERATE" as a request to number the invoice itself.

Which characters QBO refuses in a DocNumber is not recorded. Control characters (a tab, a line
break) and invisible ones (zero-width and bidirectional marks, spaces other than the plain one)
are refused here: a number holding one is not the number a reader sees, on our invoice or in
QBO's search for it."""

import unicodedata

from billbridge.invoicing.models import MAX_NUMBER_LENGTH

AUTO_GENERATE = "AUTO_GENERATE"


def _invisible(character: str) -> bool:
    # C*: control, format, surrogate, private use, unassigned. Z*: separators; a no-break or an
    # ideographic space looks like the plain space, but a search for the number would miss it.
    category = unicodedata.category(character)
    return category[0] == "C" or (category[0] == "Z" and character != " ")


def number_problems(number: str) -> list[str]:
    """Why `number`, as it would be stored, cannot be an invoice number; empty if it can."""
    if not number.strip():
        return ["The invoice number cannot be empty."]
    problems = []
    if len(number) > MAX_NUMBER_LENGTH:
        problems.append(
            f"An invoice number can have at most {MAX_NUMBER_LENGTH} characters "
            f"(QuickBooks' limit); this one has {len(number)}."
        )
    if number.upper() == AUTO_GENERATE:
        problems.append(
            f"“{AUTO_GENERATE}” asks QuickBooks to number the invoice itself, so it cannot be "
            "an invoice number."
        )
    invisible = sorted({c for c in number if _invisible(c)})
    if invisible:
        shown = " ".join(f"U+{ord(c):04X}" for c in invisible)
        problems.append(
            "An invoice number can have only visible characters and plain spaces; "
            f"this one has {shown}."
        )
    return problems
