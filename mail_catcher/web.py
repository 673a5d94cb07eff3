"""The catcher's page: what was received, newest first, each message readable with its
attachments downloadable as they came (a PDF as application/pdf). `GET /messages.json` and
`DELETE /messages` are for tests and scripts. Mail is shown as text only: an HTML part from a
stranger is never rendered here."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .mailbox import Mailbox, Received

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem;
       color: #1d2733; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #d8dee6; }
pre { white-space: pre-wrap; background: #f4f6f9; padding: 1rem; border-radius: 4px; }
.muted { color: #5b6776; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; }
"""


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        # No favicon to ask for: the browser's request would only log a 404.
        f'</title><link rel="icon" href="data:,"><style>{STYLE}</style></head>'
        f"<body>{body}</body></html>"
    )


def _received(request: Request) -> Received | None:
    mailbox: Mailbox = request.app.state.mailbox
    try:
        return mailbox.get(int(request.path_params["message_id"]))
    except ValueError:
        return None


def _not_found() -> HTMLResponse:
    response = _page("Not found", '<h1>No such message</h1><p><a href="/">All messages</a></p>')
    response.status_code = 404
    return response


async def index(request: Request) -> HTMLResponse:
    messages = request.app.state.mailbox.messages()
    rows = "".join(
        f"<tr><td><time>{m.received_at:%Y-%m-%d %H:%M:%S} UTC</time></td>"
        f"<td>{escape(m.sender)}</td><td>{escape(', '.join(m.envelope_to))}</td>"
        f'<td><a href="/messages/{m.id}">{escape(m.subject) or "(no subject)"}</a></td>'
        f"<td>{len(m.attachments) or ''}</td></tr>"
        for m in messages
    )
    table = (
        "<table><thead><tr><th>When</th><th>From</th><th>To</th><th>Subject</th>"
        f"<th>Attachments</th></tr></thead><tbody>{rows}</tbody></table>"
        if messages
        else '<p class="muted">Nothing received yet.</p>'
    )
    clear = (
        '<form method="post" action="/clear"><button type="submit">Delete all</button></form>'
        if messages
        else ""
    )
    smtp = request.app.state.smtp_address
    return _page(
        "Mail catcher",
        f"<h1>Mail catcher</h1><p class=muted>SMTP on {escape(smtp)}: {len(messages)} "
        f"message{'s' if len(messages) != 1 else ''} received, newest first.</p>{table}{clear}",
    )


async def message(request: Request) -> Response:
    received = _received(request)
    if received is None:
        return _not_found()
    headers = "".join(
        f"<dt>{escape(name)}</dt><dd>{escape(str(value))}</dd>"
        for name, value in received.message.items()
    )
    attachments = "".join(
        f'<li><a href="/messages/{received.id}/attachments/{n}">{escape(a.filename)}</a> '
        f'<span class="muted">{escape(a.content_type)}, {len(a.content):,} bytes</span></li>'
        for n, a in enumerate(received.attachments, start=1)
    )
    return _page(
        received.subject or "(no subject)",
        f'<p><a href="/">All messages</a></p><h1>{escape(received.subject) or "(no subject)"}</h1>'
        f"<dl>{headers}</dl><h2>Message</h2><pre>{escape(received.text)}</pre>"
        f"<h2>Attachments</h2>{f'<ul>{attachments}</ul>' if attachments else '<p>None.</p>'}"
        f'<p><a href="/messages/{received.id}/raw">The whole message (.eml)</a></p>',
    )


async def attachment(request: Request) -> Response:
    received = _received(request)
    try:
        index = int(request.path_params["index"])
    except ValueError:
        index = 0
    attachments = received.attachments if received else []
    if not 1 <= index <= len(attachments):
        return _not_found()
    found = attachments[index - 1]
    return Response(
        found.content,
        media_type=found.content_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.filename)}"},
    )


async def raw(request: Request) -> Response:
    received = _received(request)
    if received is None:
        return _not_found()
    return Response(
        received.raw,
        media_type="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="message-{received.id}.eml"'},
    )


async def messages_json(request: Request) -> JSONResponse:
    return JSONResponse({"messages": [m.summary() for m in request.app.state.mailbox.messages()]})


async def delete_messages(request: Request) -> JSONResponse:
    return JSONResponse({"deleted": request.app.state.mailbox.clear()})


async def clear(request: Request) -> RedirectResponse:
    request.app.state.mailbox.clear()
    return RedirectResponse("/", status_code=303)


def create_app(mailbox: Mailbox, smtp_address: str = "") -> Starlette:
    app = Starlette(
        routes=[
            Route("/", index),
            Route("/messages.json", messages_json),
            Route("/messages", delete_messages, methods=["DELETE"]),
            Route("/clear", clear, methods=["POST"]),
            Route("/messages/{message_id}", message),
            Route("/messages/{message_id}/raw", raw),
            Route("/messages/{message_id}/attachments/{index}", attachment),
        ]
    )
    app.state.mailbox = mailbox
    app.state.smtp_address = smtp_address
    return app
