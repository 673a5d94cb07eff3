"""A logging filter that blanks out anything shaped like a secret before a record is written:
our API tokens, bearer credentials, and OAuth codes, states, tokens and client secrets in URLs
(request lines included) or form bodies (../shared/RELIABILITY.md §5.3). No code of ours logs
these (tests scan the logs for them); this catches the accident, such as a library logging a URL
or a header. Every handler the settings configure has it (tested)."""

import logging
import re

REDACTED = "[redacted]"
# A parameter whose value is a secret: OAuth's code and state, and whatever is named like a
# token, secret, password, signature or API key. It is caught plain (?code=…&state=…) and
# percent-encoded once, as in the login page's ?next=/callback%3Fcode%3D…%26state%3D… where a
# signed-out visitor to the OAuth callback is sent. `code` and `state` count only as a URL's or
# a form body's parameters: elsewhere they are ordinary words ("Task … state=READY").
_PARAMETER_START = r"(?:(?<=[?&])|(?<=%3[Ff])|(?<=%26)|^)"
SECRET_PARAMETER = (
    r"(?P<name>(?:" + _PARAMETER_START + r"(?i:code|state)"
    r"|(?:\b|(?<=%3[Ff])|(?<=%26))(?i:[\w-]*(?:token|secret|password|signature|api_?key)\d*))"
    r"(?:=|%3[Dd]))"
    r"(?:(?!%26)[^&\s\"',;])+"
)
SECRET_SHAPES = re.compile(
    # Our API tokens: the public prefix is kept, so the log still says which token it was.
    r"(?P<prefix>bb_[a-z0-9]{8}_)[A-Za-z0-9_-]{43}"
    r"|(?P<scheme>\b[Bb]earer\s+)[A-Za-z0-9._~+/=-]+"
    r"|" + SECRET_PARAMETER
)


def redact(text: str) -> str:
    return SECRET_SHAPES.sub(
        lambda found: (found["prefix"] or found["scheme"] or found["name"]) + REDACTED, text
    )


class RedactSecrets(logging.Filter):
    """Rewrites the record's message, and its traceback, with the secrets blanked out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
