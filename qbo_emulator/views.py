"""A small HTML view of each company, so a person trying the demo can play the QBO user.

Plain forms: each button POSTs, the action runs through the same Company methods the control API
uses (so webhooks fire), then redirects back (POST/redirect/GET) with a short message.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .attachments import download_link
from .control import BadInput, parse_amount
from .entities.attachable import links_to
from .entities.invoice import payment_link
from .faults import QboFault

if TYPE_CHECKING:
    from .app import Runtime

STYLE = """
tr:target { background: #fff3b0; }
body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #ddd; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
form.inline { display: inline; } input[type=text] { width: 6rem; }
button { cursor: pointer; } .muted { color: #777; }
.notice { background: #eef7ee; padding: .5rem .8rem; }
.error { background: #fbeaea; padding: .5rem .8rem; }
.status-Paid, .status-Applied { color: #1a7f37; } .status-Voided { color: #888; }
.status-Partially { color: #9a6700; }
ul.documents { margin: 0; padding-left: 1rem; font-size: .9em; }
"""


def page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )


async def read_form(request: Request) -> dict:
    """A urlencoded form body as a dict (multipart is never needed here)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return {}
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace")))


def invoice_status(invoice: dict) -> str:
    total = Decimal(str(invoice.get("TotalAmt", 0)))
    balance = Decimal(str(invoice.get("Balance", 0)))
    if "Voided" in (invoice.get("PrivateNote") or "") and total == 0:
        return "Voided"
    if balance == 0 and total > 0:
        return "Paid"
    if 0 < balance < total:
        return "Partially paid"
    return "Open"


def credit_memo_status(memo: dict) -> str:
    total = Decimal(str(memo.get("TotalAmt", 0)))
    remaining = Decimal(str(memo.get("RemainingCredit", memo.get("Balance", 0))))
    if "Voided" in (memo.get("PrivateNote") or "") and total == 0:
        return "Voided"
    if remaining == 0 and total > 0:
        return "Applied"
    if 0 < remaining < total:
        return "Partially applied"
    return "Unapplied"


def view_routes(runtime: Runtime) -> list[Route]:
    async def companies(request: Request) -> HTMLResponse:
        rows = (
            "".join(
                f"<tr><td><a href='/_emulator/ui/{escape(c.realm_id)}'>{escape(c.name)}</a></td>"
                f"<td>{escape(c.realm_id)}</td><td>{escape(c.country)}</td></tr>"
                for c in runtime.emulator.companies()
            )
            or "<tr><td colspan='3' class='muted'>No companies yet.</td></tr>"
        )
        body = (
            _flash(request)
            + "<table><tr><th>Company</th><th>realmId</th><th>Country</th></tr>"
            + rows
            + "</table><h2>New company</h2><form method='post' action='/_emulator/ui/companies'>"
            "<input name='name' placeholder='Company name' required> "
            "<select name='seed'><option value='sample'>sample data</option>"
            "<option value='empty'>empty</option></select> <button>Create</button></form>"
        )
        return HTMLResponse(page("QuickBooks emulator: companies", body))

    async def create_company(request: Request) -> Response:
        form = await read_form(request)
        try:
            company = runtime.emulator.create_company(
                name=str(form.get("name") or "Sandbox Company"),
                seed=str(form.get("seed", "sample")),
            )
        except ValueError as exc:
            return _back("/_emulator/ui/", error=str(exc))
        return _back(f"/_emulator/ui/{company.realm_id}", notice="Company created.")

    async def company_page(request: Request) -> Response:
        realm = request.path_params["realm"]
        try:
            company = runtime.emulator.company(realm)
        except KeyError:
            return HTMLResponse(page("Unknown company", "<p>No such company.</p>"), 404)
        base = str(request.base_url).rstrip("/")
        with runtime.emulator.lock:  # one consistent view of invoices and their documents
            invoices = company.list("Invoice")
            attachables = company.list("Attachable")
            documents = {inv["Id"]: _documents(company, inv, attachables, base) for inv in invoices}
            files = _attachments_table(company, attachables, base)
            payments = company.list("Payment")
            credit_memos = company.list("CreditMemo")
        body = (
            "<p><a href='/_emulator/ui/'>All companies</a> · realmId "
            f"<code>{escape(realm)}</code> · QBO Payments "
            f"{'on' if company.preference('payments') else 'off'}{_books(company)}</p>"
            + _flash(request)
            + _close_books_form(realm, company)
            + "<h2>Invoices</h2>"
            + _invoices_table(realm, invoices, documents)
            + "<h2>Credit memos</h2>"
            + _credit_memos_table(realm, credit_memos, payments)
            + "<h2>Attachments</h2>"
            + files
            + "<h2>Payments</h2>"
            + _payments_table(realm, payments)
            + "<h2>Customers</h2>"
            + _customers_table(company.list("Customer"))
        )
        return HTMLResponse(page(company.name, body))

    async def act(request: Request) -> Response:
        realm = request.path_params["realm"]
        kind, object_id = request.path_params["kind"], request.path_params["object_id"]
        action = request.path_params["action"]
        back = f"/_emulator/ui/{realm}"
        form = await read_form(request)
        try:
            company = runtime.emulator.company(realm)
            if (kind, action) == ("invoices", "payment"):
                company.receive_payment(object_id, parse_amount(form.get("amount")))
                done = f"Payment received on invoice {object_id}."
            elif (kind, action) == ("invoices", "void"):
                company.void_invoice(object_id)
                done = f"Invoice {object_id} voided."
            elif (kind, action) == ("payments", "void"):
                company.void_payment(object_id)
                done = f"Payment {object_id} voided."
            elif (kind, action) == ("creditmemos", "void"):
                company.void_credit_memo(object_id)
                done = f"Credit memo {object_id} voided."
            else:
                return HTMLResponse(page("Not found", "<p>No such action.</p>"), 404)
        except KeyError:
            return HTMLResponse(page("Unknown company", "<p>No such company.</p>"), 404)
        except BadInput as exc:
            return _back(back, error=f"{str(exc).capitalize()}.")
        except QboFault as fault:
            return _back(back, error=str(fault))
        return _back(back, notice=done)

    async def close_books(request: Request) -> Response:
        """Settings ▸ Advanced ▸ Close the books, as a QBO admin sets it: an empty date opens
        them again."""
        realm = request.path_params["realm"]
        form = await read_form(request)
        day = str(form.get("book_close_date") or "").strip() or None
        try:
            runtime.emulator.company(realm).set_preferences(book_close_date=day)
        except KeyError:
            return HTMLResponse(page("Unknown company", "<p>No such company.</p>"), 404)
        except ValueError:
            return _back(f"/_emulator/ui/{realm}", error="The closing date must be a date.")
        done = f"Books closed through {day}." if day else "Books open: no closing date."
        return _back(f"/_emulator/ui/{realm}", notice=done)

    async def pay_page(request: Request) -> Response:
        """What the customer sees behind an InvoiceLink: the amount due and a Pay button."""
        realm, invoice_id = request.path_params["realm"], request.path_params["invoice_id"]
        try:
            invoice = runtime.emulator.company(realm).read("Invoice", invoice_id)
        except (KeyError, QboFault):
            return HTMLResponse(page("Unknown invoice", "<p>No such invoice.</p>"), 404)
        number = str(invoice.get("DocNumber") or invoice["Id"])
        status = invoice_status(invoice)
        if status in ("Open", "Partially paid"):
            target = f"/_emulator/pay/{escape(realm)}/{escape(invoice_id)}"
            action = (
                f"<form method='post' action='{target}'>"
                f"<button>Pay {_money(invoice['Balance'])} now</button></form>"
            )
        else:
            action = f"<p class='notice'>This invoice is {status.lower()}. Nothing is due.</p>"
        body = (
            _flash(request)
            + f"<p>From <strong>{escape(runtime.emulator.company(realm).name)}</strong> to "
            f"{escape(_ref_name(invoice.get('CustomerRef')))}</p>"
            f"<p>Due {escape(str(invoice.get('DueDate', '')))} · Total "
            f"{_money(invoice.get('TotalAmt'))} · Balance due {_money(invoice.get('Balance'))}</p>"
            + action
        )
        return HTMLResponse(page(f"Pay invoice {number}", body))

    async def pay(request: Request) -> Response:
        realm, invoice_id = request.path_params["realm"], request.path_params["invoice_id"]
        back = f"/_emulator/pay/{realm}/{invoice_id}"
        try:
            runtime.emulator.company(realm).receive_payment(invoice_id)
        except KeyError:
            return HTMLResponse(page("Unknown company", "<p>No such company.</p>"), 404)
        except QboFault as fault:
            return _back(back, error=str(fault))
        return _back(back, notice="Thank you: your payment was received.")

    return [
        Route("/_emulator/ui/", companies, methods=["GET"]),
        Route("/_emulator/pay/{realm}/{invoice_id}", pay_page, methods=["GET"]),
        Route("/_emulator/pay/{realm}/{invoice_id}", pay, methods=["POST"]),
        Route("/_emulator/ui/companies", create_company, methods=["POST"]),
        Route("/_emulator/ui/{realm}", company_page, methods=["GET"]),
        Route("/_emulator/ui/{realm}/books", close_books, methods=["POST"]),
        Route("/_emulator/ui/{realm}/{kind}/{object_id}/{action}", act, methods=["POST"]),
    ]


def _back(path: str, **message) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode(message)}", status_code=303)


def _flash(request: Request) -> str:
    notice, error = request.query_params.get("notice"), request.query_params.get("error")
    if error:
        return f"<p class='error'>{escape(error)}</p>"
    return f"<p class='notice'>{escape(notice)}</p>" if notice else ""


def _ref_name(ref: dict | None) -> str:
    ref = ref or {}
    return str(ref.get("name") or ref.get("value") or "")


def _money(value) -> str:
    return f"{Decimal(str(value or 0)):,.2f}"


def _button(realm: str, kind: str, object_id: str, action: str, label: str, extra: str = "") -> str:
    target = f"/_emulator/ui/{escape(realm)}/{kind}/{escape(object_id)}/{action}"
    return (
        f"<form class='inline' method='post' action='{target}'>{extra}"
        f"<button>{escape(label)}</button></form>"
    )


def _size(size) -> str:
    size = int(size or 0)
    return f"{size:,} bytes" if size < 10_000 else f"{size / 1024:,.0f} KB"


def _file_link(company, record: dict, base: str) -> str:
    name = escape(record.get("FileName") or "file")
    if record["Id"] not in company.files:
        return name
    return (
        f"<a href='{escape(download_link(company, record, base))}'>{name}</a> "
        f"<span class='muted'>({_size(record.get('Size'))})</span>"
    )


def _documents(company, invoice: dict, attachables: list[dict], base: str) -> str:
    """The invoice's attachments, e-mails QBO sent and payment link, as a short list."""
    items = [
        "Attached: " + _file_link(company, a, base)
        for a in attachables
        if links_to(a, "Invoice", invoice["Id"])
    ]
    items += [
        f"Emailed to {escape(e['to'])} at {escape(e['at'])}"
        for e in company.emails
        if e["invoice_id"] == invoice["Id"]
    ]
    link = payment_link(company, invoice, base)
    if link:
        items.append(f"<a href='{escape(link)}'>Payment link</a>")
    if not items:
        return ""
    return "<ul class='documents'>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _attachments_table(company, attachables: list[dict], base: str) -> str:
    if not attachables:
        return "<p class='muted'>No attachments.</p>"
    rows = []
    for record in sorted(attachables, key=lambda a: int(a["Id"])):
        linked = ", ".join(
            f"{r['EntityRef']['type']} {r['EntityRef']['value']}"
            for r in record.get("AttachableRef") or []
        )
        rows.append(
            f"<tr><td>{escape(record['Id'])}</td><td>{_file_link(company, record, base)}</td>"
            f"<td>{escape(record.get('ContentType') or '')}</td>"
            f"<td>{escape(linked) or '<span class=muted>not linked</span>'}</td>"
            f"<td>{escape(record.get('Note') or '')}</td></tr>"
        )
    return (
        "<table><tr><th>Id</th><th>File</th><th>Type</th><th>Linked to</th><th>Note</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _invoices_table(realm: str, invoices: list[dict], documents: dict[str, str]) -> str:
    if not invoices:
        return "<p class='muted'>No invoices.</p>"
    rows = []
    for inv in sorted(invoices, key=lambda i: int(i["Id"])):
        status = invoice_status(inv)
        actions = ""
        if status in ("Open", "Partially paid"):
            amount = "<input type='text' name='amount' placeholder='full balance'> "
            actions = _button(realm, "invoices", inv["Id"], "payment", "Receive payment", amount)
        if status == "Open":  # QBO refuses to void an invoice with payments applied
            actions += " " + _button(realm, "invoices", inv["Id"], "void", "Void")
        rows.append(
            # The anchor lets an app link to one invoice, as Intuit's invoice?txnId= URLs do.
            f"<tr id='invoice-{escape(inv['Id'])}'><td>{escape(inv['Id'])}</td>"
            f"<td>{escape(str(inv.get('DocNumber', '')))}</td>"
            f"<td>{escape(_ref_name(inv.get('CustomerRef')))}</td>"
            f"<td>{escape(str(inv.get('TxnDate', '')))}</td>"
            f"<td class='num'>{_money(inv.get('TotalAmt'))}</td>"
            f"<td class='num'>{_money(inv.get('Balance'))}</td>"
            f"<td class='status-{status.split()[0]}'>{status}</td>"
            f"<td>{documents.get(inv['Id'], '')}</td><td>{actions}</td></tr>"
        )
    return (
        "<table><tr><th>Id</th><th>No.</th><th>Customer</th><th>Date</th><th class='num'>Total</th>"
        "<th class='num'>Balance</th><th>Status</th><th>Documents</th><th></th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _close_books_form(realm: str, company) -> str:
    closed = company.preference("book_close_date") or ""
    return (
        f"<form method='post' action='/_emulator/ui/{escape(realm)}/books'>"
        "<label>Close the books through <input type='date' name='book_close_date' "
        f"value='{escape(closed)}'></label> <button>Save closing date</button></form>"
    )


def _books(company) -> str:
    closed = company.preference("book_close_date")
    if not closed:
        return ""
    enforced = "enforced" if company.preference("closed_books_enforced") else "not enforced"
    return f" · Books closed through {escape(closed)} ({enforced} through the API)"


def _credit_applications(payments: list[dict]) -> dict[str, list[str]]:
    """Credit memo Id → where its credit went ("invoice 5 by payment 9"): the payment that takes
    the credit is the only link between the two documents, as in QBO."""
    spent: dict[str, list[str]] = {}
    for pay in payments:
        links = [txn for line in pay.get("Line", []) for txn in line.get("LinkedTxn", [])]
        invoices = [t["TxnId"] for t in links if t.get("TxnType") == "Invoice"]
        for memo in {t["TxnId"] for t in links if t.get("TxnType") == "CreditMemo"}:
            spent.setdefault(memo, []).extend(
                f"invoice {invoice} by payment {pay['Id']}" for invoice in invoices
            )
    return spent


def _credit_memos_table(realm: str, memos: list[dict], payments: list[dict]) -> str:
    if not memos:
        return "<p class='muted'>No credit memos.</p>"
    spent = _credit_applications(payments)
    rows = []
    for memo in sorted(memos, key=lambda m: int(m["Id"])):
        status = credit_memo_status(memo)
        action = ""
        if status == "Unapplied":  # QBO refuses to void a credit memo whose credit is applied
            action = _button(realm, "creditmemos", memo["Id"], "void", "Void")
        rows.append(
            f"<tr id='creditmemo-{escape(memo['Id'])}'><td>{escape(memo['Id'])}</td>"
            f"<td>{escape(str(memo.get('DocNumber', '')))}</td>"
            f"<td>{escape(_ref_name(memo.get('CustomerRef')))}</td>"
            f"<td>{escape(str(memo.get('TxnDate', '')))}</td>"
            f"<td class='num'>{_money(memo.get('TotalAmt'))}</td>"
            f"<td class='num'>{_money(memo.get('RemainingCredit'))}</td>"
            f"<td class='status-{status.split()[0]}'>{status}</td>"
            f"<td>{escape(', '.join(spent.get(memo['Id'], [])))}</td><td>{action}</td></tr>"
        )
    return (
        "<table><tr><th>Id</th><th>No.</th><th>Customer</th><th>Date</th><th class='num'>Total</th>"
        "<th class='num'>Remaining credit</th><th>Status</th><th>Applied to</th><th></th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _payments_table(realm: str, payments: list[dict]) -> str:
    if not payments:
        return "<p class='muted'>No payments.</p>"
    rows = []
    for pay in sorted(payments, key=lambda p: int(p["Id"])):
        linked = ", ".join(
            txn.get("TxnId", "")
            if txn.get("TxnType") == "Invoice"
            else f"credit memo {txn['TxnId']}"
            for line in pay.get("Line", [])
            for txn in line.get("LinkedTxn", [])
        )
        voided = "Voided" in (pay.get("PrivateNote") or "")
        action = "" if voided else _button(realm, "payments", pay["Id"], "void", "Void")
        rows.append(
            f"<tr><td>{escape(pay['Id'])}</td>"
            f"<td>{escape(_ref_name(pay.get('CustomerRef')))}</td>"
            f"<td>{escape(str(pay.get('TxnDate', '')))}</td>"
            f"<td class='num'>{_money(pay.get('TotalAmt'))}</td>"
            f"<td>{escape(linked) or '<span class=muted>unapplied</span>'}</td>"
            f"<td>{'Voided' if voided else ''}</td><td>{action}</td></tr>"
        )
    return (
        "<table><tr><th>Id</th><th>Customer</th><th>Date</th><th class='num'>Amount</th>"
        "<th>Applied to</th><th></th><th></th></tr>" + "".join(rows) + "</table>"
    )


def _customers_table(customers: list[dict]) -> str:
    if not customers:
        return "<p class='muted'>No customers.</p>"
    rows = "".join(
        f"<tr><td>{escape(c['Id'])}</td><td>{escape(c.get('DisplayName', ''))}</td>"
        f"<td>{'active' if c.get('Active', True) else 'inactive'}</td>"
        f"<td class='num'>{_money(c.get('Balance'))}</td></tr>"
        for c in sorted(customers, key=lambda c: int(c["Id"]))
    )
    return (
        "<table><tr><th>Id</th><th>Display name</th><th>Status</th>"
        "<th class='num'>Open balance</th></tr>" + rows + "</table>"
    )
