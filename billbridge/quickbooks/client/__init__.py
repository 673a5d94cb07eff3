"""Billbridge's QuickBooks Online client: the API (api.py), its errors and Intuit's OAuth."""

from billbridge.quickbooks.client.api import (
    BatchResult,
    CdcResult,
    Limiter,
    QboClient,
    TokenSource,
    dumps,
    quote,
)
from billbridge.quickbooks.client.errors import (
    QboAuthFailed,
    QboError,
    QboFault,
    QboThrottled,
    QboUnavailable,
)

__all__ = [
    "BatchResult",
    "CdcResult",
    "Limiter",
    "QboAuthFailed",
    "QboClient",
    "QboError",
    "QboFault",
    "QboThrottled",
    "QboUnavailable",
    "TokenSource",
    "dumps",
    "quote",
]
