"""The logo check: what a file is, not what it is called (documents/logo.py)."""

import pytest

from billbridge.core.errors import InvalidInput
from billbridge.documents.logo import checked_logo
from billbridge.documents.tests.conftest import CLEAN_SVG, image_bytes


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [
        ("PNG", "image/png"),
        ("JPEG", "image/jpeg"),
        ("GIF", "image/gif"),
        ("WEBP", "image/webp"),
    ],
)
def test_raster_images_are_taken_for_what_they_are(kind, content_type):
    logo = checked_logo(image_bytes(kind))
    assert logo.content_type == content_type


def test_a_clean_svg_is_taken():
    assert checked_logo(CLEAN_SVG).content_type == "image/svg+xml"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"just some text, named logo.png", "not an image"),
        (b"", "empty"),
        (image_bytes("BMP"), "BMP image"),
        (image_bytes("PNG", (2400, 100)), "2400 × 100 pixels"),
        (b"\0" * (2 * 1024 * 1024), "2.0 MB"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "<script>"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "onload"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)">x</a></svg>',
            "javascript:",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>',
            "foreignObject",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            b'<image xlink:href="http://tracker.example/p.png"/></svg>',
            "another file",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(http://x.example/f)"/></svg>',
            "another file",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import "x.css";</style></svg>', "style"),
        (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg>&x;</svg>', "DOCTYPE"),
        (b"<svg><rect></svg>", "could not be read"),
    ],
)
def test_what_is_not_a_safe_image_is_refused_saying_why(data, says):
    with pytest.raises(InvalidInput) as refused:
        checked_logo(data)
    assert says in refused.value.message
    assert refused.value.field_errors == {"logo": [refused.value.message]}
