"""QBO's fault codes in plain words: what happened and what the user can do about it."""

from billbridge.quickbooks.client import QboError

RECONNECT = "Reconnect QuickBooks Online in Settings ▸ Integrations, then export again."
SETTINGS = (
    "Check the item and tax settings in Settings ▸ Integrations ▸ QuickBooks Online and the "
    "invoice's client, then export again."
)

ADVICE = {
    "6240": "Link this client to an existing QBO customer on the client's page, or rename the "
    "client.",
    "6140": "QuickBooks already has an invoice with this number: renumber one of them, then "
    "export again.",
    "6000": "Fix what QuickBooks names, then export again.",
    "6100": SETTINGS,
    "2500": SETTINGS,
    "610": SETTINGS,
    "2020": SETTINGS,
    "2050": SETTINGS,
    "3100": RECONNECT,
    "3200": RECONNECT,
}


def advice_for(code: str) -> str:
    return ADVICE.get(code, "Correct the invoice or the QuickBooks settings, then export again.")


def describe(error: QboError) -> str:
    """QBO's own words: its message, and its detail when that says more."""
    message = error.message or "QuickBooks refused the request"
    detail = getattr(error, "detail", "") or ""
    if detail and detail not in message:
        return f"{message}: {detail}"
    return message
