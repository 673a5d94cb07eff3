"""Real SMTP servers on loopback for Billbridge's tests (mail_catcher.testing), with the mail
settings pointed at them. Loaded for every app's tests by the root conftest.

    def test_it_arrives(smtp_server):
        ...send...
        [mail] = smtp_server.messages()      # email.message.EmailMessage, parsed
        mail.get_content_type(), [a.get_filename() for a in mail.iter_attachments()]

The fault servers: smtp_refusing (550 on RCPT), smtp_silent (never answers; EMAIL_TIMEOUT is
one second with it), smtp_dropping (hangs up after the message, before its 250),
smtp_holding (keeps the message, answers only when released). And `emailable`, an invoice
ready to email.
"""

from email.message import EmailMessage

import pytest

from billbridge.core import testing
from billbridge.invoicing.models import InvoiceStatus
from mail_catcher import testing as servers

SILENT_TIMEOUT_SECONDS = 1


class SmtpServer:
    def __init__(self, running: servers.RunningSmtp):
        self.running = running
        self.host, self.port, self.mailbox = running.host, running.port, running.mailbox

    def messages(self) -> list[EmailMessage]:
        """What the server kept, oldest first."""
        return [received.message for received in reversed(self.mailbox.messages())]

    def release(self) -> None:
        self.running.release()


def _point_at(settings, running: servers.RunningSmtp) -> SmtpServer:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = running.host, running.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    return SmtpServer(running)


@pytest.fixture(scope="session")
def _catching_server():
    with servers.catching() as running:
        yield running


@pytest.fixture
def smtp_server(settings, _catching_server) -> SmtpServer:
    """The catcher, emptied, with Billbridge's mail settings pointed at it."""
    _catching_server.mailbox.clear()
    return _point_at(settings, _catching_server)


@pytest.fixture
def smtp_refusing(settings):
    with servers.refusing() as running:
        yield _point_at(settings, running)


@pytest.fixture
def smtp_silent(settings):
    settings.EMAIL_TIMEOUT = SILENT_TIMEOUT_SECONDS
    with servers.silent() as running:
        yield _point_at(settings, running)


@pytest.fixture
def smtp_dropping(settings):
    with servers.dropping() as running:
        yield _point_at(settings, running)


@pytest.fixture
def smtp_holding(settings):
    with servers.holding() as running:
        yield _point_at(settings, running)


@pytest.fixture
def emailable(practice, admin_member):
    """A finalized invoice of a client with a billing email, its member allowed to send it."""
    client = testing.make_client(practice, "Harbor Books", email="ap@harbor.example")
    testing.assign(admin_member, client)
    return testing.make_invoice(admin_member, client, InvoiceStatus.FINALIZED)
