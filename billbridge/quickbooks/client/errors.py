"""What can go wrong when Billbridge talks to QuickBooks Online, as typed errors.

Callers decide what to do from two flags rather than from HTTP details: `transient` (the same
request may well succeed later) and `ambiguous` (a write may or may not have been applied, so look
in QBO before sending it again). Every error keeps Intuit's fault code and the `intuit_tid` of the
response, which Intuit support asks for (QBO.md §2.14). No message ever holds a token.
`tokens.ReconnectRequired` is one too: no request could be made until a person reconnects.
"""


class QboError(Exception):
    transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        detail: str = "",
        element: str = "",
        intuit_tid: str = "",
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.detail = detail
        self.element = element
        self.intuit_tid = intuit_tid
        self.ambiguous = ambiguous

    def __str__(self) -> str:
        text = f"{self.code} {self.message}" if self.code else self.message
        if self.detail and self.detail != self.message:
            text = f"{text}: {self.detail}"
        return f"{text} (intuit_tid {self.intuit_tid})" if self.intuit_tid else text


class QboFault(QboError):
    """QBO answered with a Fault: it looked at the request and refused it."""

    def __init__(self, message: str, *, errors: list[dict] | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        # Every Error of the Fault as {code, message, detail, element}; a Fault may hold several
        # (e.g. one 6100 per bad line). The first one also fills code/message/detail/element.
        self.errors = errors or []

    @property
    def transient(self) -> bool:
        return self.status is not None and self.status >= 500


class QboThrottled(QboError):
    """429 or fault 3001: QBO did nothing and asks for a minute's rest (QBO.md §2.12)."""

    transient = True


class QboAuthFailed(QboError):
    """The access token was refused even after a refresh (401), or the app may not use this
    company (403). Only the user reconnecting helps."""


class QboUnavailable(QboError):
    """No usable answer: network trouble, a timeout, a cut connection or a 5xx."""

    transient = True
