import logging
import sys

from billbridge.core.log_redaction import RedactSecrets, redact

TOKEN = "bb_k3x9q2ab_" + "S3cr3t-Secret_Part-Of-The-Token-0123456789a"


def test_secret_shapes_are_blanked_and_the_rest_kept():
    line = (
        f"GET /cb?code=AB12cd&state=xyz client_secret=hush;  Authorization: Bearer eyJ.abc-123 "
        f"token {TOKEN} used refresh_token=RT-9 by user 7"
    )
    assert redact(line) == (
        "GET /cb?code=[redacted]&state=xyz client_secret=[redacted];  Authorization: "
        "Bearer [redacted] token bb_k3x9q2ab_[redacted] used refresh_token=[redacted] by user 7"
    )


def test_the_console_handler_writes_no_secret_from_a_message_or_a_traceback():
    console = next(
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactSecrets) for f in handler.filters)
    )
    try:
        raise ValueError(f"bad token {TOKEN}")
    except ValueError:
        record = logging.getLogger("test").makeRecord(
            "test", logging.ERROR, __file__, 1, "calling %s?code=%s", ("/cb", "C0DE"), None
        )
        record.exc_info = sys.exc_info()
    assert console.filter(record)
    written = console.format(record)
    assert "calling /cb?code=[redacted]" in written
    assert "ValueError: bad token bb_k3x9q2ab_[redacted]" in written
    assert "C0DE" not in written and TOKEN not in written
