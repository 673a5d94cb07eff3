"""The QuickBooks Online Accounting API v3 for one company: the only code that speaks HTTP to it.

It sends each request once. The one exception is a 401: the token source refreshes the access
token and the very same request (same URL with its requestid, same body bytes) goes again once.
Every other failure becomes a typed error (errors.py) and the export worker decides about
retries, since only it knows whether it is safe to write again (RELIABILITY.md §4.4).

Money crosses the wire as JSON numbers written from and read into Decimal, never float.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import httpx
import simplejson
from django.conf import settings

from billbridge.core import metrics
from billbridge.quickbooks.client.errors import (
    QboAuthFailed,
    QboFault,
    QboThrottled,
    QboUnavailable,
)


class TokenSource(Protocol):
    def access_token(self) -> str: ...

    def refreshed_after_401(self, rejected: str) -> str:
        """Refresh (or pick up a peer's refresh) and return the new access token. Whatever it
        raises (e.g. the connection needs the user to reconnect) reaches the client's caller."""
        ...


class Limiter(Protocol):
    def acquire(self, realm_id: str, *, is_batch: bool, is_read: bool) -> None: ...

    def throttled(self, realm_id: str) -> None: ...


@dataclass(frozen=True)
class BatchResult:
    bid: str
    entity: dict | None
    query: list[dict] | None
    fault: QboFault | None


@dataclass(frozen=True)
class CdcResult:
    # Entity name -> changed objects (deleted ones as {"Id", "status": "Deleted", ...}); every
    # entity asked for is present, with [] when nothing changed.
    changes: dict[str, list[dict]]
    # QBO's clock at the answer: the next changedSince, so our clock's drift does not matter.
    time: str


def quote(value: str) -> str:
    """A string literal for a QBO query: backslash-escaped \\ and ' (QBO.md §2.5)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def dumps(body: Any) -> str:
    """Canonical JSON: the same body always gives the same bytes, Decimals as exact numbers."""
    return simplejson.dumps(body, use_decimal=True, sort_keys=True, separators=(",", ":"))


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    params: dict[str, str]
    content: bytes | None = None
    content_type: str = "application/json"
    # A read can be sent again freely; an unanswered write may have happened (ambiguous).
    is_read: bool = False
    is_batch: bool = False


class QboClient:
    def __init__(
        self,
        realm_id: str,
        tokens: TokenSource,
        *,
        limiter: Limiter | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.realm_id = realm_id
        self._tokens = tokens
        self._limiter = limiter
        self._base_url = (base_url or settings.QBO_API_URL).rstrip("/")
        self._timeout = settings.QBO_TIMEOUT_SECONDS if timeout is None else timeout
        self._owns_http = http is None
        self._http = http or httpx.Client()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> QboClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- reads ------------------------------------------------------------------------------------

    def query(self, statement: str) -> list[dict]:
        # POSTed as text (QBO.md §2.5) so that long IN (...) lists never meet a URL length limit.
        body = self._send(
            _Request(
                "POST",
                "query",
                {},
                statement.encode("utf-8"),
                content_type="application/text",
                is_read=True,
            )
        )
        return _rows(body.get("QueryResponse", {}))

    def read(self, entity: str, entity_id: str, *, include: str = "") -> dict:
        """One entity; `include="invoiceLink"` adds an invoice's payment link (InvoiceLink),
        which QBO gives only where QBO Payments is on (QBO.md §2.4)."""
        params = {"include": include} if include else {}
        return self._send(_Request("GET", f"{entity.lower()}/{entity_id}", params, is_read=True))[
            entity
        ]

    def preferences(self) -> dict:
        return self._send(_Request("GET", "preferences", {}, is_read=True))["Preferences"]

    def company_info(self) -> dict:
        return self._send(_Request("GET", f"companyinfo/{self.realm_id}", {}, is_read=True))[
            "CompanyInfo"
        ]

    def cdc(self, entities: Iterable[str], changed_since: datetime) -> CdcResult:
        names = list(entities)
        # Whole seconds, rounded down: a little overlap, never a gap.
        since = changed_since.isoformat(timespec="seconds")
        params = {"entities": ",".join(names), "changedSince": since}
        body = self._send(_Request("GET", "cdc", params, is_read=True))
        changes: dict[str, list[dict]] = {name: [] for name in names}
        for capture in body.get("CDCResponse", []):
            for response in capture.get("QueryResponse", []):
                for name, value in response.items():
                    if isinstance(value, list):
                        changes[name] = value
        return CdcResult(changes=changes, time=body.get("time", ""))

    # -- writes -----------------------------------------------------------------------------------

    def create(self, entity: str, body: dict, *, request_id: str) -> dict:
        return self._write(entity, body, request_id)

    def update(self, entity: str, body: dict, *, request_id: str) -> dict:
        return self._write(entity, body, request_id)

    def delete(self, entity: str, entity_id: str, sync_token: str, *, request_id: str) -> dict:
        return self._write(
            entity, {"Id": entity_id, "SyncToken": sync_token}, request_id, operation="delete"
        )

    def upload_attachment(
        self, metadata: dict, file_name: str, content: bytes, content_type: str, *, request_id: str
    ) -> dict:
        """POST /upload: the file and its Attachable (metadata, e.g. AttachableRef) in one
        multipart request, parts file_metadata_01 and file_content_01; returns the Attachable.
        QBO answers a refused file inside AttachableResponse, which is raised as a QboFault."""
        encoded = httpx.Request(
            "POST",
            self._base_url,
            files={
                "file_metadata_01": (None, dumps(metadata).encode("utf-8"), "application/json"),
                "file_content_01": (file_name, content, content_type),
            },
        )
        request = _Request(
            "POST",
            "upload",
            {"requestid": request_id},
            encoded.read(),
            content_type=encoded.headers["Content-Type"],
        )
        answer, tid = self._call(request)
        items = answer.get("AttachableResponse") or [{}]
        if "Fault" in items[0]:
            raise _batch_result({"bId": "", **items[0]}, tid).fault
        if not isinstance(items[0].get("Attachable"), dict):
            raise QboUnavailable(
                "QuickBooks answered the upload without an Attachable.",
                intuit_tid=tid,
                ambiguous=True,
            )
        return items[0]["Attachable"]

    def send_invoice(self, invoice_id: str, send_to: str, *, request_id: str) -> dict:
        """POST /invoice/{id}/send: QBO emails the invoice (with the attachments marked
        IncludeOnSend) to `send_to`, and answers the invoice with EmailStatus and DeliveryInfo.
        The body is empty, as application/octet-stream (QBO.md §2.8)."""
        params = {"requestid": request_id}
        if send_to:
            params["sendTo"] = send_to
        request = _Request(
            "POST",
            f"invoice/{invoice_id}/send",
            params,
            b"",
            content_type="application/octet-stream",
        )
        return self._send(request)["Invoice"]

    def batch(self, items: list[dict], *, request_id: str) -> dict[str, BatchResult]:
        # A batch of queries changes nothing: losing its answer is no more ambiguous than a read.
        writes = any("operation" in item for item in items)
        response, tid = self._call(
            _Request(
                "POST",
                "batch",
                {"requestid": request_id},
                dumps({"BatchItemRequest": items}).encode("utf-8"),
                is_read=not writes,
                is_batch=True,
            ),
        )
        return {
            str(item.get("bId")): _batch_result(item, tid)
            for item in response.get("BatchItemResponse", [])
        }

    def _write(self, entity: str, body: dict, request_id: str, *, operation: str = "") -> dict:
        params = {"requestid": request_id}
        if operation:
            params["operation"] = operation
        request = _Request("POST", entity.lower(), params, dumps(body).encode("utf-8"))
        return self._send(request)[entity]

    # -- HTTP -------------------------------------------------------------------------------------

    def _send(self, request: _Request) -> dict:
        return self._call(request)[0]

    def _call(self, request: _Request) -> tuple[dict, str]:
        """The answer's JSON and its intuit_tid, or a typed error."""
        token = self._tokens.access_token()
        response = self._exchange(request, token)
        if response.status_code == 401:
            response = self._exchange(request, self._tokens.refreshed_after_401(token))
        return self._answer(request, response)

    def _exchange(self, request: _Request, token: str) -> httpx.Response:
        if self._limiter is not None:
            self._limiter.acquire(self.realm_id, is_batch=request.is_batch, is_read=request.is_read)
        headers = {"Accept": "application/json", "Authorization": f"Bearer {token}"}
        if request.content is not None:
            headers["Content-Type"] = request.content_type
        try:
            response = self._http.request(
                request.method,
                f"{self._base_url}/company/{self.realm_id}/{request.path}",
                params={"minorversion": str(settings.QBO_MINOR_VERSION), **request.params},
                headers=headers,
                content=request.content,
                timeout=self._timeout,
            )
        except httpx.TimeoutException as exc:
            metrics.qbo_request(self.realm_id, "timeout")
            raise QboUnavailable(
                f"QuickBooks did not answer within {self._timeout:g} seconds.",
                ambiguous=not request.is_read,
            ) from exc
        except httpx.TransportError as exc:
            metrics.qbo_request(self.realm_id, "connection_failed")
            raise QboUnavailable(
                f"The connection to QuickBooks failed ({type(exc).__name__}).",
                ambiguous=not request.is_read,
            ) from exc
        metrics.qbo_request(self.realm_id, response.status_code)
        return response

    def _answer(self, request: _Request, response: httpx.Response) -> tuple[dict, str]:
        status = response.status_code
        tid = response.headers.get("intuit_tid", "")
        if 200 <= status < 300:
            try:
                body = _loads(response.text)
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise QboUnavailable(
                    f"QuickBooks sent an answer that could not be read (HTTP {status}).",
                    status=status,
                    intuit_tid=tid,
                    ambiguous=not request.is_read,
                )
            return body, tid
        errors = _fault_errors(response)
        first = errors[0] if errors else {}
        details = {
            "status": status,
            "code": first.get("code", ""),
            "detail": first.get("detail", ""),
            "element": first.get("element", ""),
            "intuit_tid": tid,
        }
        if status == 429 or details["code"] == "3001":
            metrics.QBO_THROTTLED.labels(realm=self.realm_id).inc()
            if self._limiter is not None:
                self._limiter.throttled(self.realm_id)
            raise QboThrottled(
                "QuickBooks asks for a pause: too many requests to this company.",
                **{**details, "code": details["code"] or "3001"},
            )
        if status == 401:
            raise QboAuthFailed(
                "QuickBooks refused the access token, even after a refresh.", **details
            )
        if status == 403:
            raise QboAuthFailed(
                f"QuickBooks does not let this app use company {self.realm_id}.", **details
            )
        message = first.get("message") or f"QuickBooks answered HTTP {status}."
        if status >= 500:
            raise QboUnavailable(message, ambiguous=not request.is_read, **details)
        raise QboFault(message, errors=errors, **details)


def _fault_errors(response: httpx.Response) -> list[dict]:
    """The Errors of a Fault body, in either of Intuit's two shapes: the data API's
    `Fault.Error[].Message` and the gateway's lower-case `fault.error[].message` (QBO.md §2.13).
    Anything else (an XML throttle page, HTML from a proxy) gives []."""
    try:
        body = _loads(response.text)
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    return _errors_of(body.get("Fault") or body.get("fault"))


def _errors_of(fault: Any) -> list[dict]:
    if not isinstance(fault, dict):
        return []
    errors = fault.get("Error") or fault.get("error") or []
    return [
        {
            "code": str(error.get("code") or ""),
            "message": str(error.get("Message") or error.get("message") or ""),
            "detail": str(error.get("Detail") or error.get("detail") or ""),
            "element": str(error.get("element") or ""),
        }
        for error in errors
        if isinstance(error, dict)
    ]


def _rows(query_response: dict) -> list[dict]:
    """The entity list of a QueryResponse; QBO leaves the key out when nothing matched."""
    return next((value for value in query_response.values() if isinstance(value, list)), [])


def _batch_result(item: dict, intuit_tid: str) -> BatchResult:
    bid = str(item.get("bId"))
    if "Fault" in item:
        errors = _errors_of(item["Fault"])
        first = errors[0] if errors else {}
        fault = QboFault(
            first.get("message") or "QuickBooks refused this item of the batch.",
            errors=errors,
            code=first.get("code", ""),
            detail=first.get("detail", ""),
            element=first.get("element", ""),
            intuit_tid=intuit_tid,
        )
        return BatchResult(bid=bid, entity=None, query=None, fault=fault)
    if "QueryResponse" in item:
        return BatchResult(bid=bid, entity=None, query=_rows(item["QueryResponse"]), fault=None)
    entity = next(
        (value for key, value in item.items() if key != "bId" and isinstance(value, dict)), None
    )
    return BatchResult(bid=bid, entity=entity, query=None, fault=None)
