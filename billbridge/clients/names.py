"""What QuickBooks Online accepts as a customer display name (../shared/QBO.md §3.1).

QBO refuses a colon (it separates levels in FullyQualifiedName). The accepted set we enforce is
the one documented by integrators: letters of any script, digits, spaces and , . ? @ & ! # ' ~ *
_ - ; + ( ), and the curly quotes and dashes a word processor puts in a pasted name, which QBO
takes in names (QuickBooks-V3-PHP-SDK#395 and #397, quickbooks-ruby#309) though its query parser
refuses them in a literal (quickbooks/customers.py looks such names up with a LIKE). The name is
also sent as CompanyName, whose limit is 100 characters, so that is ours.
"""

MAX_LENGTH = 100
ALLOWED_PUNCTUATION = frozenset(",.?@&!#'~*_-;+() \u2018\u2019\u201c\u201d\u2013\u2014")


def display_name_problems(name: str) -> list[str]:
    problems = []
    if not name.strip():
        problems.append("A client name cannot be empty.")
    if name != name.strip():
        problems.append("A client name cannot start or end with spaces.")
    if len(name) > MAX_LENGTH:
        problems.append(
            f"A client name can have at most {MAX_LENGTH} characters "
            f"(QuickBooks' limit); this one has {len(name)}."
        )
    refused = sorted({c for c in name if not (c.isalnum() or c in ALLOWED_PUNCTUATION)})
    if refused:
        shown = " ".join(repr(c) for c in refused)
        problems.append(
            f"QuickBooks does not accept these characters in a customer name: {shown}. "
            "Use letters, digits, spaces and , . ? @ & ! # ' ~ * _ - ; + ( ) \u2018 \u2019 "
            "\u201c \u201d \u2013 \u2014."
        )
    return problems
