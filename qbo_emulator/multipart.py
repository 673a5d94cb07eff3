"""multipart/form-data bodies as QBO's /upload receives them (RFC 7578), parsed from the raw bytes.

Starlette's own form parser is not used: python-quickbooks sends the file part without a
filename and base64-encoded with `Content-Transfer-Encoding: base64`, and separates lines with a
bare LF; that parser would treat such a part as a small text field and never decode it.
"""

import base64
import binascii
from dataclasses import dataclass
from email.message import Message


class MultipartError(ValueError):
    """The body is not multipart/form-data the emulator can read."""


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str | None
    content: bytes


def boundary_of(content_type: str) -> str:
    message = Message()
    message["Content-Type"] = content_type
    if message.get_content_type() != "multipart/form-data":
        raise MultipartError("Content-Type must be multipart/form-data")
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise MultipartError("the multipart Content-Type has no boundary")
    return boundary


def parse(body: bytes, content_type: str) -> list[Part]:
    delimiter = b"--" + boundary_of(content_type).encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 2:
        raise MultipartError("the body holds no part")
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            return parts  # the closing delimiter
        parts.append(_part(_trim_line_breaks(chunk)))
    raise MultipartError("the body ends without its closing boundary")


def _trim_line_breaks(chunk: bytes) -> bytes:
    """Drop the line break after a delimiter and the one before the next: they belong to the
    delimiters, not to the part (CRLF per the RFC, a bare LF from python-quickbooks)."""
    for ending in (b"\r\n", b"\n"):
        if chunk.startswith(ending):
            chunk = chunk[len(ending) :]
            break
    for ending in (b"\r\n", b"\n"):
        if chunk.endswith(ending):
            return chunk[: -len(ending)]
    return chunk


def _part(chunk: bytes) -> Part:
    separators = [s for s in (b"\r\n\r\n", b"\n\n") if s in chunk]
    if not separators:
        raise MultipartError("a part has no blank line after its headers")
    separator = min(separators, key=chunk.index)
    head, _, content = chunk.partition(separator)
    headers = Message()
    for line in head.decode("utf-8", "replace").splitlines():
        name, colon, value = line.partition(":")
        if not colon:
            raise MultipartError(f"a part header is not 'Name: value': {line[:60]!r}")
        headers[name.strip()] = value.strip()
    if headers.get_content_disposition() != "form-data":
        raise MultipartError("each part needs Content-Disposition: form-data")
    name = headers.get_param("name", header="content-disposition")
    if not isinstance(name, str) or not name:
        raise MultipartError("a part has no name")
    encoding = (headers.get("Content-Transfer-Encoding") or "").strip().lower()
    if encoding == "base64":
        try:
            content = base64.b64decode(content)  # line breaks inside are skipped
        except binascii.Error:
            raise MultipartError(f"part {name} is not valid base64") from None
    elif encoding not in ("", "binary", "8bit", "7bit"):
        raise MultipartError(f"part {name}: Content-Transfer-Encoding {encoding} is not supported")
    filename = headers.get_filename()
    content_type = headers.get_content_type() if headers.get("Content-Type") else None
    return Part(name, filename, content_type, content)
