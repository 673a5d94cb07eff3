"""Real SMTP servers on loopback for tests: the catcher, and servers that fail as real ones do.

with catching() as server:          # server.host, server.port, server.mailbox
    smtplib.SMTP(server.host, server.port).sendmail(...)
    [received] = server.mailbox.messages()

refusing()        550 on every RCPT: nothing is accepted
silent()          accepts the TCP connection and never says a word (a hung server)
dropping()        reads the whole message, then hangs up before answering 250
holding()         keeps the message, then holds its answer until .release() (or for ever):
                  the moment between "the server has it" and "the sender knows"
started()         `python -m mail_catcher` in its own process, as `make run` starts it
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx

from .mailbox import Mailbox
from .smtp import Catching, controller, free_port


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


@dataclass
class CatcherProcess:
    smtp_port: int
    page: str  # the catcher's page, e.g. http://127.0.0.1:8025
    process: subprocess.Popen


@contextlib.contextmanager
def started(*extra: str, host: str = "127.0.0.1") -> Iterator[CatcherProcess]:
    """`python -m mail_catcher` in a process of its own, as `make run` starts it, on free
    ports; ready (its page answers) when entered, stopped when left."""
    smtp_port, http_port = free_port(), free_port()
    command = [sys.executable, "-m", "mail_catcher", "--host", host]
    command += ["--smtp-port", str(smtp_port), "--http-port", str(http_port), *extra]
    process = subprocess.Popen(  # noqa: S603 - the test's own arguments
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    page = f"http://{host}:{http_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.TransportError):
                httpx.get(f"{page}/messages.json").raise_for_status()
                break
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"the mail catcher did not start: {process.stdout.read()}")
            time.sleep(0.1)
        yield CatcherProcess(smtp_port, page, process)
    finally:
        process.terminate()
        process.wait(timeout=10)
