"""The practice's logo, checked when it is uploaded: it is printed on every invoice and kept in
the database, so only a real, modest image is taken. A raster image is opened with Pillow for
what it is (its name and the browser's content type prove nothing); an SVG is XML that could
carry scripts or fetch other files, so it is taken only when it holds none of that."""

import io
import re
import xml.etree.ElementTree as ET  # noqa: N817 - the usual name
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from billbridge.core.errors import InvalidInput

MAX_BYTES = 1024 * 1024
MAX_SIDE = 2000
# Pillow's format name → the content type the data: URI carries.
RASTER_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
SVG_TYPE = "image/svg+xml"
# What an SVG may not hold: running code, or reaching outside itself.
SCRIPTED_TAGS = {"script", "foreignObject", "iframe", "embed", "object", "handler", "listener"}
REFERENCE_ATTRIBUTES = {"href", "src"}
EXTERNAL_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)


@dataclass(frozen=True)
class Logo:
    data: bytes
    content_type: str


def _refused(message: str) -> InvalidInput:
    return InvalidInput(message, {"logo": [message]})


def size_problem(size: int) -> str:
    """Why a file of `size` bytes is too large for a logo; "" when it is not."""
    if size <= MAX_BYTES:
        return ""
    return (
        f"The logo is {size / 1024 / 1024:.1f} MB; it can be at most 1 MB. Save it smaller "
        "and upload it again."
    )


def checked_logo(data: bytes) -> Logo:
    """The logo if it is a PNG, JPEG, GIF or WebP image, or an SVG without scripts or external
    references, at most 1 MB and 2000 × 2000 pixels; InvalidInput saying why otherwise."""
    if not data:
        raise _refused("The logo file is empty.")
    if problem := size_problem(len(data)):
        raise _refused(problem)
    if _looks_like_svg(data):
        return Logo(_checked_svg(data), SVG_TYPE)
    return Logo(data, _checked_raster(data))


def _checked_raster(data: bytes) -> str:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _refused(
            "The logo is not an image Billbridge can read: upload a PNG, JPEG, GIF, WebP or "
            "SVG file."
        ) from exc
    except Image.DecompressionBombError as exc:
        raise _refused(f"The logo is too large: at most {MAX_SIDE} × {MAX_SIDE} pixels.") from exc
    if image_format not in RASTER_TYPES:
        raise _refused(
            f"The logo is a {image_format} image; upload a PNG, JPEG, GIF, WebP or SVG file."
        )
    if width > MAX_SIDE or height > MAX_SIDE:
        raise _refused(
            f"The logo is {width} × {height} pixels; it can be at most {MAX_SIDE} × {MAX_SIDE}."
        )
    return RASTER_TYPES[image_format]


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in data


def _local(name: str) -> str:
    """A tag or attribute without its namespace: {http://www.w3.org/2000/svg}script → script."""
    return name.rsplit("}", 1)[-1]


def _checked_svg(data: bytes) -> bytes:
    # A DOCTYPE can declare entities (the "billion laughs", or files read from disk): an SVG
    # logo needs none, so one is refused before the XML is parsed.
    if b"<!doctype" in data.lower() or b"<!entity" in data.lower():
        raise _refused("The SVG logo declares a DOCTYPE or entities; save it without them.")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DOCTYPE or entities, checked above
    except ET.ParseError as exc:
        raise _refused(f"The SVG logo could not be read as XML ({exc}).") from exc
    if _local(root.tag) != "svg":
        raise _refused("The logo file is XML but not an SVG image.")
    for element in root.iter():
        tag = _local(element.tag)
        if tag in SCRIPTED_TAGS:
            raise _refused(f"The SVG logo holds a <{tag}> element; upload it without scripts.")
        for name, value in element.attrib.items():
            attribute = _local(name).lower()
            if attribute.startswith("on"):
                raise _refused(
                    f"The SVG logo has an {attribute} attribute (a script); upload it without."
                )
            stripped = "".join(value.split()).lower()
            if stripped.startswith(("javascript:", "data:text/html")):
                raise _refused("The SVG logo holds a javascript: link; upload it without.")
            if attribute in REFERENCE_ATTRIBUTES and not stripped.startswith("#"):
                raise _refused(
                    "The SVG logo refers to another file or address; upload it with everything "
                    "it shows inside it."
                )
            if EXTERNAL_URL.search(value):
                raise _refused(
                    "The SVG logo refers to another file or address; upload it with everything "
                    "it shows inside it."
                )
        if (
            tag == "style"
            and element.text
            and (EXTERNAL_URL.search(element.text) or "@import" in element.text.lower())
        ):
            raise _refused(
                "The SVG logo's style refers to another file or address; upload it without."
            )
    return data
