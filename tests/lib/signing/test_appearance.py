"""ND30 appearances, checked on the rendered page (pdftoppm) read back by Tesseract (vie)."""

from __future__ import annotations

import io
import subprocess
from datetime import date, datetime

import pytest

from signing import pki as demo
from signing.appearance import (
    VN_TZ,
    TextStampAppearance,
    draw_seal_image,
    draw_signature_image,
    iso_vn,
    text_stamp_box,
    text_stamp_lines,
)
from signing.formfields import fill_number_and_date
from signing.pki import DemoPKI
from signing.remote import SignatureFieldSpec, SignatureOptions, finish, prepare
from tests.fixtures.drafts import LEADER_BOX, NUMBER_BOX, draft_pdf
from tests.fixtures.pdfs import A4_HEIGHT, ocr_region
from tests.fixtures.pki import Tokens
from tests.fixtures.signatures import leader_signed, report, sign_on_token


def test_personal_signature_renders_every_diacritic(
    demo_pki: DemoPKI, softhsm_tokens: Tokens
) -> None:
    signed = leader_signed(demo_pki, softhsm_tokens)
    text = ocr_region(signed, LEADER_BOX)
    assert "Nguyễn Văn An" in text
    assert "PHÓ CHỦ TỊCH" in text


def test_filled_number_renders_with_d_stroke(demo_pki: DemoPKI, softhsm_tokens: Tokens) -> None:
    filled = fill_number_and_date(
        leader_signed(demo_pki, softhsm_tokens), "125/QĐ-UBND", date(2026, 2, 5)
    )
    assert "125/QĐ-UBND" in ocr_region(filled, NUMBER_BOX).replace(" ", "")


def test_text_stamp_for_copies_top_right(demo_pki: DemoPKI, softhsm_tokens: Tokens) -> None:
    moment = datetime(2026, 3, 5, 9, 12, 44, tzinfo=VN_TZ)
    appearance = TextStampAppearance(
        agency_name="UBND tỉnh Demo", document_number="125/QĐ-UBND", signing_time=moment
    )
    assert text_stamp_lines(appearance).splitlines() == [
        "UBND tỉnh Demo",
        "125/QĐ-UBND",
        "2026-03-05T09:12:44+07:00",
    ]
    box = text_stamp_box(595, A4_HEIGHT, appearance)
    assert box.x2 == 575 and box.y2 == A4_HEIGHT - 20
    prepared = prepare(
        draft_pdf("PHU LUC"),
        signer_cert=demo_pki.cert(demo.AGENCY),
        options=SignatureOptions(
            field=SignatureFieldSpec("ChuKyCoQuanBanSao", box),
            appearance=appearance,
            chain=demo_pki.chain(demo.AGENCY),
        ),
    )
    signature = sign_on_token(softhsm_tokens, demo.AGENCY, softhsm_tokens.agency_pin, prepared)
    signed = finish(prepared, signature=signature, trust_roots=[demo_pki.root])
    assert report(signed, demo_pki)["ChuKyCoQuanBanSao"].ok
    text = ocr_region(signed, box)
    assert "UBND tỉnh Demo" in text
    assert "125/QĐ-UBND" in text
    # Tesseract sometimes reads a stray apostrophe before the T; the digits must all be there
    assert "2026-03-05T09:12:44+07:00" in text.replace(" ", "").replace("'", "")
    # drawn in blue: the stamp's dark pixels are blue, not black
    png = subprocess.run(
        ["pdftoppm", "-png", "-r", "72", "-f", "1", "-l", "1", "-singlefile", "-"],
        input=signed,
        capture_output=True,
        check=True,
    ).stdout
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    region = image.crop(
        (int(box.x1), int(A4_HEIGHT - box.y2), int(box.x2), int(A4_HEIGHT - box.y1))
    )
    inked = [p for p in region.get_flattened_data() if sum(p) < 600]
    assert inked and all(b > r + 40 for r, _g, b in inked)


def test_iso_time_has_vietnam_offset() -> None:
    assert iso_vn(datetime(2026, 1, 1, 0, 0, tzinfo=VN_TZ)).endswith("+07:00")


@pytest.mark.parametrize(
    ("draw", "colour"),
    [(draw_signature_image, "blue"), (draw_seal_image, "red")],
)
def test_demo_images_are_transparent_pngs(draw: object, colour: str) -> None:
    from PIL import Image

    image = Image.open(io.BytesIO(draw("Nguyễn Văn An"))).convert("RGBA")  # type: ignore[operator]
    pixels = list(image.get_flattened_data())
    assert pixels[0][3] == 0  # transparent background
    inked = [p for p in pixels if p[3] > 128]
    assert len(inked) > 500
    r, _g, b, _a = (sum(c) / len(inked) for c in zip(*inked, strict=True))
    assert (b > r + 80) if colour == "blue" else (r > b + 80)
