"""The mail catcher as its users meet it: SMTP in on loopback, the page and the JSON out over
HTTP, and `python -m mail_catcher` started in a fresh process."""

import smtplib
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from mail_catcher.testing import catching, started
from mail_catcher.web import create_app

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"


def invoice_mail(subject: str = "Invoice INV-1 from Ledger & Co") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Ledger & Co <billing@ledger.example>"
    mail["To"] = "ap@harbor.example, owner@harbor.example"
    mail["Subject"] = subject
    mail.set_content("Dear Harbor Books,\n.\nA line that starts with a dot: kept.\n")
    mail.add_attachment(PDF, maintype="application", subtype="pdf", filename="INV-1.pdf")
    return mail


@pytest.fixture
def server():
    with catching() as running:
        running.page = TestClient(create_app(running.mailbox, f"127.0.0.1:{running.port}"))
        yield running


def send(server, mail: EmailMessage) -> None:
    with smtplib.SMTP(server.host, server.port, timeout=10) as smtp:
        smtp.send_message(mail)


def test_a_message_is_kept_with_its_attachment_and_listed_newest_first(server):
    send(server, invoice_mail("First"))
    send(server, invoice_mail())

    listed = server.page.get("/messages.json").json()["messages"]
    assert [m["subject"] for m in listed] == ["Invoice INV-1 from Ledger & Co", "First"]
    newest = listed[0]
    assert newest["envelope_to"] == ["ap@harbor.example", "owner@harbor.example"]
    assert newest["from"] == "Ledger & Co <billing@ledger.example>"
    assert newest["text"] == "Dear Harbor Books,\n.\nA line that starts with a dot: kept.\n"
    assert newest["attachments"] == [
        {"filename": "INV-1.pdf", "content_type": "application/pdf", "size": len(PDF)}
    ]

    page = server.page.get("/")
    assert page.status_code == 200
    assert page.text.index("Invoice INV-1 from Ledger &amp; Co") < page.text.index("First")
    message = server.page.get(f"/messages/{newest['id']}")
    assert "A line that starts with a dot: kept." in message.text
    assert "INV-1.pdf" in message.text and "application/pdf" in message.text
    download = server.page.get(f"/messages/{newest['id']}/attachments/1")
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert "INV-1.pdf" in download.headers["content-disposition"]
    assert server.page.get(f"/messages/{newest['id']}/raw").content.startswith(b"From: Ledger & Co")


def test_what_a_stranger_sends_is_shown_as_text_never_as_markup(server):
    mail = invoice_mail("<script>alert(1)</script>")
    send(server, mail)
    [listed] = server.page.get("/messages.json").json()["messages"]
    for path in ("/", f"/messages/{listed['id']}"):
        text = server.page.get(path).text
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_unknown_messages_and_attachments_are_404(server):
    send(server, invoice_mail())
    [listed] = server.page.get("/messages.json").json()["messages"]
    for path in ("/messages/999", "/messages/x", f"/messages/{listed['id']}/attachments/2"):
        assert server.page.get(path).status_code == 404


def test_delete_clears_the_mailbox(server):
    send(server, invoice_mail())
    assert server.page.delete("/messages").json() == {"deleted": 1}
    assert server.page.get("/messages.json").json() == {"messages": []}
    assert "Nothing received yet." in server.page.get("/").text


def test_the_store_folder_keeps_each_message_as_an_eml_file(tmp_path):
    from mail_catcher.mailbox import Mailbox

    mailbox = Mailbox(tmp_path / "mail")
    mailbox.add("billing@ledger.example", ["ap@harbor.example"], invoice_mail().as_bytes())
    [stored] = (tmp_path / "mail").glob("*.eml")
    assert b"Subject: Invoice INV-1 from Ledger & Co" in stored.read_bytes()


def test_help_in_a_fresh_process():
    done = subprocess.run(
        [sys.executable, "-m", "mail_catcher", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "usage: python -m mail_catcher" in done.stdout and "--smtp-port" in done.stdout


def test_started_as_make_run_starts_it(tmp_path):
    with started("--store", str(tmp_path)) as catcher:
        with smtplib.SMTP("127.0.0.1", catcher.smtp_port, timeout=10) as smtp:
            smtp.send_message(invoice_mail())
        [listed] = httpx.get(f"{catcher.page}/messages.json").json()["messages"]
    assert listed["attachments"][0]["filename"] == "INV-1.pdf"
    assert len(list(tmp_path.glob("*.eml"))) == 1
