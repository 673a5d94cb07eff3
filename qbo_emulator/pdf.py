"""A minimal PDF writer: one A4-or-Letter page of Helvetica text lines, no dependencies.

Enough for the emulator's invoice PDF (GET /invoice/{id}/pdf): valid PDF 1.4 with a correct
cross-reference table, text in WinAnsi (Latin-1) encoding; characters outside it print as "?".
"""

from dataclasses import dataclass

LETTER = (612, 792)  # points; QBO's US PDFs are Letter size


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # from the bottom of the page, as PDF counts
    text: str
    size: float = 10
    bold: bool = False


def _literal(text: str) -> bytes:
    raw = text.encode("latin-1", "replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _content(texts: list[Text]) -> bytes:
    ops = []
    for item in texts:
        font = b"/F2" if item.bold else b"/F1"
        ops.append(
            b"BT %s %.1f Tf %.1f %.1f Td %s Tj ET"
            % (font, item.size, item.x, item.y, _literal(item.text))
        )
    return b"\n".join(ops)


def page(texts: list[Text], size: tuple[int, int] = LETTER, title: str = "") -> bytes:
    """One page showing `texts`; `title` goes in the document information."""
    content = _content(texts)
    width, height = size
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>" % (width, height),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Title %s /Producer (qbo_emulator) >>" % _literal(title),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        len(objects),
        xref,
    )
    return bytes(out)
