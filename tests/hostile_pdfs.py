"""Hostile PDFs built at test time: decompression bombs and files with active content.

Each is a small, well-formed file; what makes it hostile is what a reader does with it.
"""

from __future__ import annotations

import zlib

MB = 1024 * 1024


def _adler32_combine(first: int, second: int, second_length: int) -> int:
    """zlib's adler32_combine: the checksum of A+B from those of A and B (Python has none)."""
    base = 65521
    remainder = second_length % base
    low = first & 0xFFFF
    high = (remainder * low) % base
    low += (second & 0xFFFF) + base - 1
    high += ((first >> 16) & 0xFFFF) + ((second >> 16) & 0xFFFF) + base - remainder
    return (low % base) | ((high % base) << 16)


def _bomb_stream(prefix: bytes, block: bytes, total: int) -> bytes:
    """zlib data inflating to ``prefix`` then ``block`` repeated up to ``total`` bytes, built
    without compressing it all: after a full flush a block compresses to the same bytes."""
    compressor = zlib.compressobj(9)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    body = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert body == again
    repeats = total // len(block)
    block_sum = zlib.adler32(block)
    checksum = zlib.adler32(prefix)
    for _ in range(repeats):
        checksum = _adler32_combine(checksum, block_sum, len(block))
    tail = compressor.flush(zlib.Z_FINISH)[:-4] + checksum.to_bytes(4, "big")
    return head + body * repeats + tail


def pdf_from_objects(objects: list[bytes], *, root: int = 1) -> bytes:
    """A PDF of these objects, numbered from 1, with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        xref,
    )
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def _page_objects(
    content: bytes, *, catalog_extra: bytes = b"", page_extra: bytes = b""
) -> list[bytes]:
    return [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> " + page_extra + b" >>",
        content,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]


def text_bomb_pdf(inflated_mb: int = 2048) -> bytes:
    """One page whose content stream is a text string of ``inflated_mb`` letters, compressed
    twice (about 5 kB on disk): poppler reads the whole string into memory (pdftotext reached
    2.1 GB resident on this file)."""
    once = _bomb_stream(b"BT /F1 12 Tf 72 720 Td (", b"A" * MB, inflated_mb * MB)
    twice = zlib.compress(once, 9)
    return pdf_from_objects(_page_objects(_stream(twice, b"/Filter [/FlateDecode /FlateDecode]")))


def object_stream_bomb_pdf(inflated_mb: int = 4096, *, layers: int = 2) -> bytes:
    """The catalog sits in an object stream that goes on with ``inflated_mb`` of spaces: a reader
    that decodes the whole stream to find one object (pyHanko does) runs out of memory. One layer
    of compression stays under pyHanko's ratio cap (1100:1); two go far over it."""
    objects = _page_objects(_stream(b"BT /F1 12 Tf 72 720 Td (Van ban) Tj ET"))
    catalog = b"1 0 " + b" " * 16
    once = _bomb_stream(catalog + objects[0], b" " * MB, inflated_mb * MB)
    data = zlib.compress(once, 9) if layers == 2 else once
    filters = b"[/FlateDecode /FlateDecode]" if layers == 2 else b"/FlateDecode"
    objects[0] = b"null"  # object 1 lives in the object stream (number 6)
    object_stream = _stream(data, b"/Type /ObjStm /N 1 /First 20 /Filter " + filters)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in enumerate([*objects, object_stream], start=1):
        if number == 1:
            continue
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    offsets[7] = len(out)
    rows = b"\x00" + b"\x00" * 4 + b"\xff\xff"  # object 0: free
    rows += b"\x02" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big")  # 1: in stream 6
    rows += b"".join(b"\x01" + offsets[n].to_bytes(4, "big") + b"\x00\x00" for n in range(2, 8))
    out += (
        b"7 0 obj\n" + _stream(rows, b"/Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R") + b"\nendobj\n"
    )
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[7]
    return bytes(out)


def plain_pdf(text: str = "Van ban thu nghiem") -> bytes:
    content = b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text.encode("latin-1")
    return pdf_from_objects(_page_objects(_stream(content)))


ALERT = b"<< /S /JavaScript /JS (app.alert\\('edoc'\\)) >>"
# What each crafted file carries, and what the inspection must report for it.
ACTIVE_CONTENT: dict[str, tuple[dict[str, bytes], list[str]]] = {
    "javascript-name-tree": (
        {"catalog_extra": b"/Names << /JavaScript << /Names [(mo) " + ALERT + b"] >> >>"},
        ["javascript"],
    ),
    "open-action-javascript": (
        {"catalog_extra": b"/OpenAction " + ALERT},
        ["javascript", "open_action"],
    ),
    "launch-link": (
        {
            "page_extra": b"/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] "
            b"/A << /S /Launch /F (C:\\\\Windows\\\\System32\\\\cmd.exe) >> >>]"
        },
        ["launch"],
    ),
    "page-additional-actions": (
        {"page_extra": b"/AA << /O " + ALERT + b" >>"},
        ["additional_actions", "javascript"],
    ),
}


def active_content_pdf(kind: str) -> bytes:
    """A one-page PDF carrying the active content named by ``kind`` (a key of ACTIVE_CONTENT)."""
    parts, _expected = ACTIVE_CONTENT[kind]
    content = _stream(b"BT /F1 12 Tf 72 720 Td (Van ban co ma) Tj ET")
    return pdf_from_objects(_page_objects(content, **parts))


def open_at_first_page_pdf() -> bytes:
    """A harmless /OpenAction: a destination (show page 1 whole), not an action."""
    content = _stream(b"BT /F1 12 Tf 72 720 Td (Van ban) Tj ET")
    return pdf_from_objects(_page_objects(content, catalog_extra=b"/OpenAction [3 0 R /Fit]"))
