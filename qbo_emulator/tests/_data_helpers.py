"""Helpers shared by the data-side tests: a small QBO client over TestClient, fault checks."""

import json
from decimal import Decimal

from starlette.testclient import TestClient


class Api:
    """A thin QBO client over the test client: paths relative to /v3/company/{realm}."""

    def __init__(self, client: TestClient, realm_id: str) -> None:
        self.client = client
        self.realm_id = realm_id

    def url(self, path: str) -> str:
        return f"/v3/company/{self.realm_id}/{path.lstrip('/')}"

    def post(self, path: str, body, **params):
        params.setdefault("minorversion", "75")
        return self.client.post(self.url(path), json=body, params=params)

    def get(self, path: str, **params):
        params.setdefault("minorversion", "75")
        return self.client.get(self.url(path), params=params)

    def query(self, sql: str):
        return self.client.post(
            self.url("query"),
            content=sql.encode(),
            headers={"Content-Type": "application/text"},
            params={"minorversion": "75"},
        )

    def ok(self, response) -> dict:
        assert response.status_code == 200, response.text
        body = response.json()
        assert "time" in body
        return body

    def create(self, entity: str, body: dict, **params) -> dict:
        return self.ok(self.post(entity.lower(), body, **params))[entity]

    def read(self, entity: str, entity_id: str) -> dict:
        return self.ok(self.get(f"{entity.lower()}/{entity_id}"))[entity]

    def rows(self, sql: str, entity: str) -> list[dict]:
        return self.ok(self.query(sql))["QueryResponse"].get(entity, [])


def fault_of(response, status: int = 400) -> dict:
    """The single Error of a Fault response, after checking the envelope QBO.md §2.13 shows."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"Fault", "time"}
    assert body["Fault"]["type"] == "ValidationFault"
    errors = body["Fault"]["Error"]
    assert set(errors[0]) == {"Message", "Detail", "code", "element"}
    return errors[0]


def money(value) -> Decimal:
    """JSON numbers as Decimal, for exact comparisons."""
    return Decimal(str(value))


def line(item_id: str, amount, *, qty=None, price=None, tax: str | None = None) -> dict:
    detail: dict = {"ItemRef": {"value": item_id}}
    if qty is not None:
        detail["Qty"] = qty
    if price is not None:
        detail["UnitPrice"] = price
    if tax is not None:
        detail["TaxCodeRef"] = {"value": tax}
    result = {"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}
    if amount is not None:
        result["Amount"] = amount
    return result


# -- uploads (multipart/form-data, as QBO's /upload takes them) ------------------------------

PDF = b"%PDF-1.4\n" + bytes(range(256)) + b"\n%%EOF\n"  # every byte value survives the trip


def multipart(*parts: tuple[str, dict, bytes], boundary: str = "b0undary", eol: bytes = b"\r\n"):
    """A multipart/form-data body: (part name, extra headers, content) per part."""
    body = b""
    for name, headers, content in parts:
        body += b"--" + boundary.encode() + eol
        disposition = f'form-data; name="{name}"'
        if "filename" in headers:
            disposition += f'; filename="{headers["filename"]}"'
        body += f"Content-Disposition: {disposition}".encode() + eol
        for key, value in headers.items():
            if key != "filename":
                body += f"{key}: {value}".encode() + eol
        body += eol + content + eol
    body += b"--" + boundary.encode() + b"--" + eol
    return body, f"multipart/form-data; boundary={boundary}"


def metadata(entity="Invoice", entity_id="1", **fields) -> tuple[str, dict, bytes]:
    body = {"FileName": "invoice-1001.pdf", "ContentType": "application/pdf", **fields}
    if entity:
        body["AttachableRef"] = [{"EntityRef": {"type": entity, "value": entity_id},
                                  "IncludeOnSend": True}]  # fmt: skip
    return ("file_metadata_01", {"Content-Type": "application/json"}, json.dumps(body).encode())


def content(data: bytes = PDF, content_type="application/pdf", name="file_content_01", **headers):
    return (name, {"Content-Type": content_type, "filename": "invoice-1001.pdf", **headers}, data)
