"""Files in the attachment list: the /upload body, the rules on a file, and temporary download
links (Intuit's TempDownloadUri: a signed URL that works without the OAuth token and expires
after 15 minutes).

Intuit documents uploads of up to 100 MB of these types: ai, csv, doc, docx, eps, gif, jpeg,
jpg, ods, pages, pdf, png, rtf, tif, txt, xls, xlsx, xml (sources in COVERAGE.md).
"""

import hashlib
import hmac
import json
import re
from pathlib import PurePosixPath
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from qbo_emulator import faults, jsonbody, multipart

MAX_FILE_BYTES = 100 * 1024 * 1024
LINK_SECONDS = 15 * 60
# Content type → the file name extensions QBO accepts for it.
CONTENT_TYPES = {
    "application/pdf": {"pdf"},
    "image/jpeg": {"jpg", "jpeg"},
    "image/jpg": {"jpg", "jpeg"},
    "image/png": {"png"},
    "image/gif": {"gif"},
    "image/tiff": {"tif", "tiff"},
    "text/plain": {"txt"},
    "text/csv": {"csv"},
    "text/xml": {"xml"},
    "application/xml": {"xml"},
    "application/rtf": {"rtf"},
    "text/rtf": {"rtf"},
    "application/msword": {"doc"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"docx"},
    "application/vnd.ms-excel": {"xls"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"xlsx"},
    "application/vnd.oasis.opendocument.spreadsheet": {"ods"},
    "application/postscript": {"ai", "eps"},
    "application/illustrator": {"ai"},
    "application/vnd.apple.pages": {"pages"},
    "application/x-iwork-pages-sffpages": {"pages"},
}
PART_NAME = re.compile(r"^file_(metadata|content)_(\w+)$")


def parse_upload(raw: bytes, content_type: str) -> list[tuple[dict, str, bytes]]:
    """The files of an /upload body as (Attachable metadata, content type, bytes), in the order
    of their `file_content_NN` parts; `file_metadata_NN` describes the content part of the same
    NN and may be left out (QBO then makes the Attachable from the part itself)."""
    try:
        parts = multipart.parse(raw, content_type)
    except multipart.MultipartError as error:
        raise faults.invalid_value(None, f"Upload body is not readable: {error}") from None
    metadata, contents = {}, {}
    for part in parts:
        match = PART_NAME.match(part.name)
        if match is None:
            raise faults.invalid_value(
                part.name, f"Unknown upload part {part.name!r}: expected file_metadata_NN or "
                "file_content_NN"
            )  # fmt: skip
        kind, key = match.groups()
        (metadata if kind == "metadata" else contents)[key] = part
    orphans = sorted(metadata.keys() - contents.keys())
    if orphans:
        raise faults.required(f"file_content_{orphans[0]}")
    if not contents:
        raise faults.required("file_content_01")
    return [_file(metadata.get(key), contents[key], key) for key in contents]


def _file(meta_part, content_part, key: str) -> tuple[dict, str, bytes]:
    element = f"file_metadata_{key}"
    body = {}
    if meta_part is not None:
        try:
            body = jsonbody.loads(meta_part.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise faults.invalid_value(element, f"{element} is not valid JSON: {error}") from None
        if not isinstance(body, dict):
            raise faults.invalid_value(element, f"{element} must be a JSON object")
        body = body.get("Attachable", body) if isinstance(body.get("Attachable"), dict) else body
    file_name = body.get("FileName") or content_part.filename
    if not file_name:
        raise faults.required("FileName")
    content_type = str(body.get("ContentType") or content_part.content_type or "").lower()
    check_file(str(file_name), content_type, content_part.content)
    return {**body, "FileName": str(file_name)}, content_type, content_part.content


def check_file(file_name: str, content_type: str, content: bytes) -> None:
    """QBO's rules on a file: a supported type, a matching extension, at most 100 MB. The fault
    codes QBO gives for these are UNCONFIRMED (2010 and 2020 chosen)."""
    if not content_type:
        raise faults.required("ContentType")
    extensions = CONTENT_TYPES.get(content_type)
    if extensions is None:
        raise faults.invalid_value(
            "ContentType", f"Unsupported file type {content_type}: QuickBooks accepts "
            + ", ".join(sorted({e for es in CONTENT_TYPES.values() for e in es}))
        )  # fmt: skip
    extension = PurePosixPath(file_name).suffix.lower().lstrip(".")
    if extension and extension not in extensions:
        raise faults.invalid_value(
            "FileName", f"The file name {file_name} does not match the content type {content_type}"
        )
    if not content:
        raise faults.invalid_value("file_content", "The uploaded file is empty")
    if len(content) > MAX_FILE_BYTES:
        raise faults.invalid_value(
            "file_content",
            f"The file is {len(content):,} bytes; the maximum is {MAX_FILE_BYTES:,} (100 MB)",
        )


# -- temporary download links --------------------------------------------------------------------


def _signature(secret: bytes, realm_id: str, attachable_id: str, expires: int) -> str:
    message = f"{realm_id}/{attachable_id}/{expires}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def download_link(company, record: dict, base_url: str) -> str:
    """A TempDownloadUri for `record`, valid LINK_SECONDS on the emulator clock."""
    expires = int(company.now().timestamp()) + LINK_SECONDS
    signature = _signature(company.emulator.link_secret, company.realm_id, record["Id"], expires)
    name = quote(record.get("FileName") or "file", safe="")
    return (
        f"{base_url}/_files/{company.realm_id}/{record['Id']}/{name}"
        f"?Expires={expires}&Signature={signature}"
    )


ENVELOPES = ("QueryResponse", "AttachableResponse", "BatchItemResponse", "CDCResponse")


def add_download_links(company, payload, base_url: str) -> None:
    """Give every file Attachable in a data API answer a fresh TempDownloadUri."""
    if isinstance(payload, list):
        for item in payload:
            add_download_links(company, item, base_url)
        return
    if not isinstance(payload, dict):
        return
    found = payload.get("Attachable")
    for record in found if isinstance(found, list) else [found]:
        if isinstance(record, dict) and record.get("Id") in company.files:
            record["TempDownloadUri"] = download_link(company, record, base_url)
    for key in ENVELOPES:
        if key in payload:
            add_download_links(company, payload[key], base_url)


def download_routes(emulator) -> list[Route]:
    async def serve(request: Request) -> Response:
        realm_id = request.path_params["realm_id"]
        attachable_id = request.path_params["attachable_id"]
        try:
            expires = int(request.query_params.get("Expires", ""))
        except ValueError:
            return PlainTextResponse("AccessDenied: the link has no valid Expires", 403)
        given = request.query_params.get("Signature", "")
        wanted = _signature(emulator.link_secret, realm_id, attachable_id, expires)
        if not hmac.compare_digest(given, wanted):
            return PlainTextResponse("AccessDenied: the signature does not match", 403)
        if emulator.clock.now().timestamp() > expires:
            return PlainTextResponse("AccessDenied: Request has expired", 403)
        with emulator.lock:
            try:
                company = emulator.company(realm_id)
            except KeyError:
                company = None
            content = company.files.get(attachable_id) if company else None
            record = company.tables["Attachable"].get(attachable_id) if company else None
        if content is None or record is None:
            return PlainTextResponse("NoSuchKey: the file no longer exists", 404)
        name = json.dumps(record.get("FileName") or "file", ensure_ascii=True)
        return Response(
            content,
            media_type=record.get("ContentType") or "application/octet-stream",
            headers={"Content-Disposition": f"inline; filename={name}"},
        )

    return [Route("/_files/{realm_id}/{attachable_id}/{name}", serve, methods=["GET"])]
