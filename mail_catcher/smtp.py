"""The catcher's SMTP side: an aiosmtpd handler that keeps every message it is given, and the
Controller that runs it in a thread of its own."""

from __future__ import annotations

import socket

from aiosmtpd.controller import Controller

from .mailbox import Mailbox


class Catching:
    """Accepts any sender and recipient and keeps the message (RFC 5321 §4.2: 250 once stored)."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox

    async def handle_DATA(self, server, session, envelope) -> str:
        self.mailbox.add(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        return "250 2.0.0 OK: caught"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def controller(handler, host: str = "127.0.0.1", port: int = 0) -> Controller:
    """An unstarted Controller for `handler` on host:port (a free port when 0). No AUTH and
    no TLS: it listens on loopback, for this machine's own processes."""
    return Controller(
        handler,
        hostname=host,
        port=port or free_port(host),
        server_hostname="mail-catcher.localhost",
        ready_timeout=10,
    )
