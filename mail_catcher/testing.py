"""Real SMTP servers on loopback for tests: the catcher, and servers that fail as real ones do.

with catching() as server:          # server.host, server.port, server.mailbox
    smtplib.SMTP(server.host, server.port).sendmail(...)
    [received] = server.mailbox.messages()

refusing()        550 on every RCPT: nothing is accepted
silent()          accepts the TCP connection and never says a word (a hung server)
dropping()        reads the whole message, then hangs up before answering 250
holding()         keeps the message, then holds its answer until .release() (or for ever):
                  the moment between "the server has it" and "the sender knows"
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from .mailbox import Mailbox
from .smtp import Catching, controller


@dataclass
class RunningSmtp:
    host: str
    port: int
    mailbox: Mailbox
    handler: object = field(repr=False, default=None)

    def release(self) -> None:
        self.handler.released.set()


@contextlib.contextmanager
def _running(handler, mailbox: Mailbox) -> Iterator[RunningSmtp]:
    server = controller(handler)
    server.start()
    try:
        yield RunningSmtp(server.hostname, server.port, mailbox, handler)
    finally:
        if hasattr(handler, "released"):
            handler.released.set()
        server.stop()


def catching() -> contextlib.AbstractContextManager[RunningSmtp]:
    mailbox = Mailbox()
    return _running(Catching(mailbox), mailbox)


class Refusing:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"


def refusing() -> contextlib.AbstractContextManager[RunningSmtp]:
    return _running(Refusing(), Mailbox())


class Dropping:
    async def handle_DATA(self, server, session, envelope) -> str:
        server.transport.close()
        return "421 4.3.0 gone"  # never reaches the client: the connection is closed


def dropping() -> contextlib.AbstractContextManager[RunningSmtp]:
    return _running(Dropping(), Mailbox())


class Holding(Catching):
    def __init__(self, mailbox: Mailbox):
        super().__init__(mailbox)
        self.released = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:
        self.mailbox.add(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        while not self.released.is_set():
            await asyncio.sleep(0.05)
        return "250 2.0.0 OK: caught, at last"


def holding() -> contextlib.AbstractContextManager[RunningSmtp]:
    mailbox = Mailbox()
    return _running(Holding(mailbox), mailbox)


@contextlib.contextmanager
def silent() -> Iterator[RunningSmtp]:
    """A listening socket whose connections are accepted and left unanswered."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield RunningSmtp("127.0.0.1", listener.getsockname()[1], Mailbox())
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()
