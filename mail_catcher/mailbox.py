"""What the catcher received: each message parsed once, newest first, held in memory and
optionally written to a folder as .eml files (one per message, readable by any mail client)."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Received:
    id: int
    received_at: datetime
    envelope_from: str
    envelope_to: tuple[str, ...]
    raw: bytes
    message: EmailMessage = field(repr=False)

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def sender(self) -> str:
        return str(self.message.get("From", self.envelope_from))

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        return body.get_content().replace("\r\n", "\n") if body is not None else ""

    @property
    def attachments(self) -> list[Attachment]:
        return [
            Attachment(
                part.get_filename() or f"attachment-{n}",
                part.get_content_type(),
                part.get_payload(decode=True) or b"",
            )
            for n, part in enumerate(self.message.iter_attachments(), start=1)
        ]

    def summary(self) -> dict:
        return {
            "id": self.id,
            "received_at": self.received_at.isoformat(),
            "envelope_from": self.envelope_from,
            "envelope_to": list(self.envelope_to),
            "from": self.sender,
            "to": str(self.message.get("To", "")),
            "subject": self.subject,
            "message_id": str(self.message.get("Message-ID", "")),
            "text": self.text,
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": len(a.content)}
                for a in self.attachments
            ],
        }


def parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


class Mailbox:
    """Thread-safe: the SMTP server adds from its event loop's thread, the page reads from
    uvicorn's, tests read from theirs."""

    def __init__(self, store: Path | None = None):
        self._lock = threading.Lock()
        self._messages: list[Received] = []
        self._ids = itertools.count(1)
        self.store = store
        if store is not None:
            store.mkdir(parents=True, exist_ok=True)

    def add(self, envelope_from: str, envelope_to: list[str], raw: bytes) -> Received:
        with self._lock:
            received = Received(
                next(self._ids),
                datetime.now(UTC),
                envelope_from,
                tuple(envelope_to),
                raw,
                parse(raw),
            )
            self._messages.append(received)
        if self.store is not None:
            stamp = received.received_at.strftime("%Y%m%dT%H%M%S")
            (self.store / f"{stamp}-{received.id:05d}.eml").write_bytes(raw)
        return received

    def messages(self) -> list[Received]:
        """Newest first."""
        with self._lock:
            return list(reversed(self._messages))

    def get(self, message_id: int) -> Received | None:
        with self._lock:
            return next((m for m in self._messages if m.id == message_id), None)

    def clear(self) -> int:
        with self._lock:
            count = len(self._messages)
            self._messages.clear()
            return count

    def __len__(self) -> int:
        with self._lock:
            return len(self._messages)
