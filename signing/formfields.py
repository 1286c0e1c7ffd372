"""Empty text fields for the document number and date, and filling them in after signing.

Why form fields: under ND30 the leader signs the draft first and the clerk gives it a number and
date afterwards. Writing text onto the page would break the leader's signature; filling in a text
form field that already existed when the leader signed is a change pyHanko's difference analysis
classes as FORM_FILLING, which our validation accepts. The fill-in is an incremental update that
sets the field's value and a new appearance stream drawn with an embedded font that has every
Vietnamese glyph (the number carries Đ: ``125/QĐ-UBND``); the place-and-date line is italic, as
ND30 Appendix I sets it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.content import PdfResources, RawContent
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBox, TextBoxStyle

from signing.appearance import Box, nfc, pdf_font
from signing.fonts import FontStyle

NUMBER_FIELD = "so_ky_hieu"
DATE_FIELD = "ngay_ban_hanh"


@dataclass(frozen=True)
class TextFieldSpec:
    """A text field to reserve: name, page (0-based; -1 = last) and box in PDF points."""

    name: str
    box: Box
    page: int = 0
    font_size: int = 13


def format_nd30_date(day: date, place: str | None = None) -> str:
    """``Hà Nội, ngày 05 tháng 02 năm 2026``: ND30 pads days below 10 and months 1-2."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    text = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{place}, {text}" if place else text


def _acroform(writer: IncrementalPdfFileWriter) -> generic.DictionaryObject:
    root = writer.root
    if "/AcroForm" in root:
        form = root["/AcroForm"]
        if "/Fields" not in form:
            form["/Fields"] = generic.ArrayObject()
            writer.update_container(form)
        return form
    form = generic.DictionaryObject({pdf_name("/Fields"): generic.ArrayObject()})
    root[pdf_name("/AcroForm")] = writer.add_object(form)
    writer.update_root()
    return form


def add_text_fields(writer: IncrementalPdfFileWriter, specs: list[TextFieldSpec]) -> None:
    """Add empty, printable text fields (widgets merged into the field dictionaries)."""
    if not specs:
        return
    form = _acroform(writer)
    fields = form["/Fields"]
    for spec in specs:
        page_ref, _ = writer.find_page_for_modification(spec.page)
        widget = generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/Annot"),
                pdf_name("/Subtype"): pdf_name("/Widget"),
                pdf_name("/FT"): pdf_name("/Tx"),
                pdf_name("/T"): pdf_string(spec.name),
                pdf_name("/F"): generic.NumberObject(4),  # print
                pdf_name("/Rect"): generic.ArrayObject(
                    generic.FloatObject(v) for v in spec.box.as_tuple()
                ),
                pdf_name("/P"): page_ref,
                pdf_name("/DA"): pdf_string(f"/F1 {spec.font_size} Tf 0 g"),
            }
        )
        ref = writer.add_object(widget)
        fields.append(ref)
        page = page_ref.get_object()
        annots = page.get("/Annots")
        if annots is None:
            page[pdf_name("/Annots")] = generic.ArrayObject([ref])
            writer.update_container(page)
        else:
            annots.append(ref)
            # the array may be direct in the page or an indirect object of its own
            raw = page.raw_get("/Annots")
            writer.update_container(
                raw.get_object() if isinstance(raw, generic.IndirectObject) else page
            )
    writer.update_container(fields)


def _field_by_name(writer: IncrementalPdfFileWriter, name: str) -> generic.DictionaryObject:
    if "/AcroForm" not in writer.root:
        raise KeyError(f"the PDF has no form (no field {name})")
    for ref in writer.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if str(field.get("/T", "")) == name:
            return field
    raise KeyError(f"no form field named {name}")


def _appearance(
    writer: IncrementalPdfFileWriter,
    field: generic.DictionaryObject,
    text: str,
    style: FontStyle,
) -> generic.IndirectObject:
    x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
    width, height = abs(x2 - x1), abs(y2 - y1)
    size = 13
    da = str(field.get("/DA", ""))
    parts = da.split()
    if "Tf" in parts and parts.index("Tf") >= 1:
        try:
            size = int(float(parts[parts.index("Tf") - 1]))
        except ValueError:
            size = 13
    resources = PdfResources()
    box_style = TextBoxStyle(
        font=pdf_font(style),
        font_size=size,
        box_layout_rule=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(1),
        ),
    )
    box = layout.BoxConstraints(width=width, height=height)
    text_box = TextBox(box_style, writer=writer, resources=resources, box=box, font_name="F1")
    text_box.content = nfc(text)
    commands = text_box.render()
    stream = RawContent(commands, box=box, resources=resources).as_form_xobject()
    return writer.add_object(stream)


def fill_text_fields(
    pdf: bytes, values: Mapping[str, str], *, styles: Mapping[str, FontStyle] | None = None
) -> bytes:
    """Fill existing text fields in one incremental update, keeping earlier signatures valid.

    ``styles`` gives a field's font style (regular when not named)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    for name, text in values.items():
        field = _field_by_name(writer, name)
        field[pdf_name("/V")] = pdf_string(nfc(text))
        style = (styles or {}).get(name, FontStyle.REGULAR)
        field[pdf_name("/AP")] = generic.DictionaryObject(
            {pdf_name("/N"): _appearance(writer, field, text, style)}
        )
        writer.update_container(field)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def fill_number_and_date(
    pdf: bytes,
    number: str,
    issued: date | str,
    *,
    place: str | None = None,
    number_field: str = NUMBER_FIELD,
    date_field: str = DATE_FIELD,
) -> bytes:
    """The clerk's fill-in after the leader signed: ``Số: 125/QĐ-UBND`` and the date line
    (italic)."""
    date_text = issued if isinstance(issued, str) else format_nd30_date(issued, place)
    return fill_text_fields(
        pdf,
        {number_field: f"Số: {number}", date_field: date_text},
        styles={date_field: FontStyle.ITALIC},
    )


def field_values(pdf: bytes) -> dict[str, Any]:
    """Current values of the text fields (for checks and display)."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    if "/AcroForm" not in reader.root:
        return {}
    out: dict[str, Any] = {}
    for ref in reader.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if field.get("/FT") == "/Tx":
            value = field.get("/V")
            out[str(field.get("/T"))] = str(value) if value is not None else None
    return out
