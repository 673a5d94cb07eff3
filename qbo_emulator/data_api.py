"""The QBO v3 data API over HTTP: /v3/company/{realmId}/... (QBO.md §2).

Authentication is not checked here: the gateway in front of these routes does that. Every body is
JSON with a top-level `time`; every error is a Fault rendered by `faults.fault_body`.
"""

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from qbo_emulator import attachments, faults, invoice_pdf, jsonbody
from qbo_emulator.batch import BATCH_REQUEST_ID_MAX, REQUEST_ID_MAX, run_batch
from qbo_emulator.cdc import run_cdc
from qbo_emulator.entities.currency import exchange_rate_on, set_exchange_rate
from qbo_emulator.entities.invoice import payment_link
from qbo_emulator.faults import QboFault, format_time
from qbo_emulator.store import Company, Emulator

PREFIX = "/v3/company/{realm_id}"


def _number(value: Any) -> Any:
    """QBO writes amounts as JSON numbers; Decimals with no fraction as integers."""
    if isinstance(value, Decimal):
        return (
            int(value)
            if value == value.to_integral_value() and abs(value) < 10**15
            else float(value)
        )
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def render(payload: dict, status: int = 200) -> Response:
    body = json.dumps(payload, default=_number, separators=(",", ":"), ensure_ascii=False)
    return Response(body.encode("utf-8"), status, media_type="application/json")


def parse_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise faults.validation(
            "500", "Unsupported Operation", "Request body is not valid UTF-8"
        ) from None
    try:
        return jsonbody.loads(text, parse_float=jsonbody.finite_decimal)
    except ValueError as error:
        raise faults.invalid_value(None, f"Request body is not valid JSON: {error}") from None


class DataApi:
    """Request handlers bound to one Emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    # -- plumbing ---------------------------------------------------------------------------------
    def company(self, request: Request) -> Company:
        realm_id = request.path_params["realm_id"]
        try:
            company = self.emulator.company(realm_id)
        except KeyError:
            raise faults.unknown_realm(realm_id) from None
        minor = request.query_params.get("minorversion")
        if minor is not None:
            with self.emulator.lock:
                company.minor_versions[minor] += 1
        return company

    def envelope(self, company: Company, payload: dict) -> dict:
        payload["time"] = format_time(company.local_now())
        return payload

    def answer(self, company: Company, request: Request, raw: bytes, action) -> Response:
        """The action's payload in its envelope; file Attachables get a fresh TempDownloadUri.
        An action answering something other than JSON (a PDF, a URL) returns its Response."""
        payload = action(company, request, raw)
        if isinstance(payload, Response):
            return payload
        if company.files:
            attachments.add_download_links(company, payload, base_url(request))
        return render(self.envelope(company, payload))

    async def handle(self, request: Request, action) -> Response:
        """Run `action(company, request, body)` with requestid replay; faults become Fault
        bodies. The body is read first so that no await happens while the lock is held."""
        raw = await request.body()
        company = None
        try:
            company = self.company(request)
            entity = request.path_params.get("entity")
            if entity is not None and not _routed_segment(entity):
                raise faults.not_found_url(request.url.path, base_url(request) + request.url.path)
            request_id = request.query_params.get("requestid")
            if request.method != "POST" or not request_id:
                return self.answer(company, request, raw, action)
            limit = BATCH_REQUEST_ID_MAX if action == self.batch else REQUEST_ID_MAX
            if len(request_id) > limit:
                raise faults.request_id_too_long(request_id, limit)
            if not self.emulator.honour_request_id:
                return self.answer(company, request, raw, action)
            return self.replayed(company, request, raw, request_id, action)
        except QboFault as fault:
            now = company.local_now() if company else self.emulator.clock.now()
            return render(faults.fault_body(fault, now), fault.status)

    def replayed(self, company: Company, request: Request, raw: bytes, request_id: str, action):
        """QBO answers a repeated requestid with the first response and does not act again.
        The id is "unique for all requests for a given company" (Intuit's 2015 RequestID post,
        blogs.intuit.com/2015/04/06/15346): the same id on another path, or with another body,
        also gets the first response. Only successful responses are remembered, so a request
        that failed can be retried (UNCONFIRMED)."""
        key = request_id
        now = self.emulator.clock.now()
        retention = timedelta(seconds=self.emulator.request_id_retention_seconds)
        # The whole check-act-remember runs as one operation, so two concurrent requests with the
        # same id cannot both act; listeners hear of the changes once it is over.
        with self.emulator.operation():
            remembered = company.request_ids.get(key)
            if remembered is not None and now - remembered[0] <= retention:
                return Response(remembered[1], 200, media_type="application/json")
            response = self.answer(company, request, raw, action)
            company.request_ids[key] = (now, response.body)
            self._forget_expired(company, now - retention)
            return response

    @staticmethod
    def _forget_expired(company: Company, cutoff) -> None:
        while company.request_ids:
            oldest_key = next(iter(company.request_ids))
            if company.request_ids[oldest_key][0] >= cutoff:
                break
            del company.request_ids[oldest_key]

    # -- endpoints --------------------------------------------------------------------------------
    def read_entity(self, company: Company, request: Request, raw: bytes) -> dict:
        entity = request.path_params["entity"]
        record = company.read(entity, request.path_params["entity_id"])
        name = _kind_name(entity)
        if name == "Invoice":
            self._invoice_links(company, request, [record])
        return {name: record}

    @staticmethod
    def _invoice_links(company: Company, request: Request, invoices: list[dict]) -> None:
        """`include=invoiceLink` on a read or query adds InvoiceLink where QBO would make one;
        QBO leaves it out of answers by default (generating it is slow there)."""
        if "invoicelink" not in _includes(request):
            return
        for invoice in invoices:
            link = payment_link(company, invoice, base_url(request))
            if link:
                invoice["InvoiceLink"] = link

    def invoice_pdf(self, company: Company, request: Request, raw: bytes) -> Response:
        """GET /invoice/{id}/pdf (python-quickbooks sends Accept: application/pdf)."""
        if _kind_name(request.path_params["entity"]) != "Invoice":
            raise faults.unsupported_operation("Pdf", _kind_name(request.path_params["entity"]))
        invoice = company.read("Invoice", request.path_params["entity_id"])
        with self.emulator.lock:
            content = invoice_pdf.render(company, invoice)
        return Response(content, 200, media_type="application/pdf")

    def upload(self, company: Company, request: Request, raw: bytes) -> dict:
        """POST /upload: multipart file_metadata_NN + file_content_NN parts (Intuit's Upload)."""
        files = attachments.parse_upload(raw, request.headers.get("content-type", ""))
        return {"AttachableResponse": [{"Attachable": record} for record in company.upload(files)]}

    def download(self, company: Company, request: Request, raw: bytes) -> Response:
        """GET /download/{id}: the file's temporary download URL as a plain-text body."""
        record = company.read("Attachable", request.path_params["entity_id"])
        if record["Id"] not in company.files:
            raise faults.invalid_value("Id", f"Attachable {record['Id']} has no file")
        link = attachments.download_link(company, record, base_url(request))
        return PlainTextResponse(link)

    def read_preferences(self, company: Company, request: Request, raw: bytes) -> dict:
        return {"Preferences": company.read("Preferences", "1")}

    def read_company_info(self, company: Company, request: Request, raw: bytes) -> dict:
        if request.path_params["entity_id"] != company.realm_id:
            raise faults.object_not_found("CompanyInfo", request.path_params["entity_id"])
        return {"CompanyInfo": company.read("CompanyInfo", "1")}

    def write_entity(self, company: Company, request: Request, raw: bytes) -> dict:
        """POST /{entity}: create, or update (Id present), or ?operation=delete|void|update."""
        entity = request.path_params["entity"]
        name = _kind_name(entity)
        body = parse_json(raw)
        if not isinstance(body, dict):
            raise faults.invalid_value(None, "Request body must be a JSON object")
        operation = request.query_params.get("operation", "").lower()
        include = _includes(request)
        options = frozenset(include)
        if operation == "delete":
            return {name: company.delete(entity, body)}
        if operation == "void" or (operation == "update" and "void" in include):
            return {name: company.void(entity, body)}
        if operation not in ("", "update", "create"):
            raise faults.unsupported_operation(operation, name)
        received = _kind(entity).receive(body)  # Id and sparse sit in a wrapped template
        if received.get("Id") not in (None, ""):
            sparse = received.get("sparse") in (True, "true")
            return {name: company.update(entity, body, sparse=sparse, options=options)}
        return {name: company.create(entity, body, options=options)}

    def send(self, company: Company, request: Request, raw: bytes) -> dict:
        if _kind_name(request.path_params["entity"]) != "Invoice":
            raise faults.unsupported_operation("Send", _kind_name(request.path_params["entity"]))
        invoice = company.send_invoice(
            request.path_params["entity_id"], request.query_params.get("sendTo")
        )
        return {"Invoice": invoice}

    def exchange_rate(self, company: Company, request: Request, raw: bytes) -> dict:
        """GET /exchangerate?sourcecurrencycode=X[&asofdate=D] reads the rate of a currency on a
        day, POST /exchangerate sets it (Intuit's ExchangeRate reference: rates are named by
        currency and date, not by Id)."""
        if request.method == "GET":
            params = request.query_params
            source, as_of = params.get("sourcecurrencycode"), params.get("asofdate")
            return {"ExchangeRate": exchange_rate_on(company, source, as_of)}
        return {"ExchangeRate": set_exchange_rate(company, parse_json(raw))}

    def tax_service(self, company: Company, request: Request, raw: bytes) -> dict:
        return company.create_tax_code(parse_json(raw))

    def write_preferences(self, company: Company, request: Request, raw: bytes) -> dict:
        body = parse_json(raw)
        if not isinstance(body, dict):
            raise faults.invalid_value(None, "Request body must be a JSON object")
        body.setdefault("Id", "1")
        return {"Preferences": company.update("Preferences", body, sparse=True)}

    def query(self, company: Company, request: Request, raw: bytes) -> dict:
        if request.method == "GET":
            sql = request.query_params.get("query")
        else:
            sql = raw.decode("utf-8", errors="replace") if raw else None
            if not sql:
                sql = request.query_params.get("query")
        if not sql or not sql.strip():
            raise faults.query_parse_error("Query is empty")
        answer = company.query(sql)
        self._invoice_links(company, request, answer.get("Invoice", []))
        return {"QueryResponse": answer}

    def batch(self, company: Company, request: Request, raw: bytes) -> dict:
        body = parse_json(raw)
        return run_batch(company, body, request.query_params.get("requestid"))

    def cdc(self, company: Company, request: Request, raw: bytes) -> dict:
        return run_cdc(
            company,
            request.query_params.get("entities", ""),
            request.query_params.get("changedSince", ""),
        )

    def not_found(self, company: Company, request: Request, raw: bytes) -> dict:
        raise faults.not_found_url(request.url.path, base_url(request) + request.url.path)


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _includes(request: Request) -> set[str]:
    return {
        part.strip().lower()
        for part in request.query_params.get("include", "").split(",")
        if part.strip()
    }


def _routed_segment(segment: str) -> bool:
    """QBO routes an entity by its lower-case name only: /Employee/0 is no resource there
    (grue/django-quickbooks-online#12)."""
    try:
        return _kind(segment).name.lower() == segment
    except QboFault:
        return False


def _kind(entity: str):
    from qbo_emulator.entities import entity_type

    return entity_type(entity, "read", internal=True)


def _kind_name(entity: str) -> str:
    return _kind(entity).name


def data_routes(emulator: Emulator) -> list[BaseRoute]:
    """Starlette routes for /v3/company/{realmId}/... (put the gateway middleware in front),
    and the temporary file links the API hands out, which need no token."""
    api = DataApi(emulator)

    def route(path: str, action, methods: list[str]) -> Route:
        async def endpoint(request: Request) -> Response:
            return await api.handle(request, action)

        return Route(PREFIX + path, endpoint, methods=methods)

    return [
        route("/query", api.query, ["GET", "POST"]),
        route("/batch", api.batch, ["POST"]),
        route("/cdc", api.cdc, ["GET"]),
        route("/preferences", api.read_preferences, ["GET"]),
        route("/preferences", api.write_preferences, ["POST"]),
        route("/companyinfo/{entity_id}", api.read_company_info, ["GET"]),
        route("/taxservice/taxcode", api.tax_service, ["POST"]),
        route("/exchangerate", api.exchange_rate, ["GET", "POST"]),
        route("/upload", api.upload, ["POST"]),
        route("/download/{entity_id}", api.download, ["GET"]),
        route("/{entity}/{entity_id}/send", api.send, ["POST"]),
        route("/{entity}/{entity_id}/pdf", api.invoice_pdf, ["GET"]),
        route("/{entity}/{entity_id}", api.read_entity, ["GET"]),
        route("/{entity}", api.write_entity, ["POST"]),
        route("/{path:path}", api.not_found, ["GET", "POST"]),
        *attachments.download_routes(emulator),
    ]
