"""A logging filter that blanks out anything shaped like a secret before a record is written:
our API tokens, bearer credentials, and OAuth codes, tokens and client secrets in URLs or form
bodies (../shared/RELIABILITY.md §5.3). No code of ours logs these (tests scan the logs for
them); this catches the accident, such as a library logging a URL or a header."""

import logging
import re

REDACTED = "[redacted]"
SECRET_SHAPES = re.compile(
    # Our API tokens: the public prefix is kept, so the log still says which token it was.
    r"(?P<prefix>bb_[a-z0-9]{8}_)[A-Za-z0-9_-]{43}"
    r"|(?P<scheme>\b[Bb]earer\s+)[A-Za-z0-9._~+/=-]+"
    r"|(?P<name>\b(?:code|access_token|refresh_token|id_token|client_secret)=)[^&\s\"',;]+"
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
