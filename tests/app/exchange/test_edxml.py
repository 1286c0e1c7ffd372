"""edXML packages: round trips, what is signed, and hostile input refused with a stable code.

Plain functions on values and bytes: no app, no database (edoc.exchange.edxml is pure)."""

from __future__ import annotations

import ast
import base64
import dataclasses
import hashlib
import os
import re
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from edoc.exchange import edxml
from edoc.exchange.edxml import (
    NS,
    STATUS_LABELS,
    Attachment,
    Business,
    EdxmlError,
    Envelope,
    MessageHeader,
    Organ,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusMessage,
    TraceHeader,
    build,
    document_id_for,
    parse,
    signed_content,
    with_signature,
    with_trace,
)

HANOI = timezone(timedelta(hours=7))
SENDER = Organ(
    organ_id="000.00.00.H30",
    organ_name="Ủy ban nhân dân tỉnh Hà Giang",
    organ_add="Số 1 đường Nguyễn Trãi, thành phố Hà Giang",
    email="vanthu@hagiang.gov.vn",
    telephone="0219 3866 888",
    website="https://hagiang.gov.vn",
)
RECEIVER = Organ(organ_id="000.01.22.H30", organ_name="Sở Tài chính tỉnh Hà Giang")
OTHER_RECEIVER = Organ(organ_id="000.02.22.H30", organ_name="Sở Nội vụ", email="snv@hagiang.gov.vn")


def _pdf(marker: bytes, size: int = 20_000) -> bytes:
    body = os.urandom(size)
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + marker + body + b"\n%%EOF\n"


def _header(**changes: object) -> MessageHeader:
    header = MessageHeader(
        from_organ=SENDER,
        to_organs=(RECEIVER, OTHER_RECEIVER),
        code_number="125",
        code_notation="QĐ-UBND",
        promulgation_place="Hà Giang",
        promulgation_date=date(2026, 12, 1),
        document_type=1,
        type_name="Quyết định",
        subject="Về việc phê duyệt kế hoạch chuyển đổi số năm 2027 <&> “đặc biệt”",
        content="Nội dung\ncó nhiều dòng\r\nvà\tký tự tab ",
        signer=SignerInfo(competence="KT. CHỦ TỊCH", position="PHÓ CHỦ TỊCH", full_name="Lê Văn A"),
        due_date=date(2026, 12, 15),
        to_places=("Như Điều 3", "Lưu: VT, KT"),
        priority=2,
        sphere_of_promulgation="Liên thông văn bản quốc gia",
        typer_notation="NVB",
        promulgation_amount=5,
        page_amount=3,
        appendixes=("Phụ lục I", "Phụ lục II"),
        steering_type=1,
        document_id=document_id_for("000.00.00.H30", date(2026, 12, 1), "125/QĐ-UBND"),
        response_for=ResponseFor(
            organ_id="000.01.22.H30",
            code="45/TTr-STC",
            promulgation_date=date(2026, 11, 20),
            document_id="000.01.22.H30,2026/11/20,45/TTr-STC",
        ),
        business=Business(
            doc_type=3,
            reason="Thay thế văn bản ban hành sai thể thức",
            replaces_document_ids=("000.00.00.H30,2026/11/30,120/QĐ-UBND",),
        ),
        secrecy=1,
        urgency=2,
    )
    return dataclasses.replace(header, **changes)


def _envelope(**changes: object) -> Envelope:
    envelope = Envelope(
        message_id=str(uuid.uuid4()),
        header=_header(),
        attachments=(
            Attachment("qd-125", "125-QĐ-UBND.pdf", "application/pdf", _pdf(b"main"), "Văn bản"),
            Attachment("phu-luc", "Phụ lục I.pdf", "application/pdf", _pdf(b"annex", 5_000)),
        ),
        traces=(TraceHeader("000.00.00.H30", datetime(2026, 12, 1, 9, 30, 15, 123456, HANOI)),),
        signature=b"0\x82\x01\x00 not really DER, carried as is",
    )
    return dataclasses.replace(envelope, **changes)


def _status(code: str = "03", **changes: object) -> StatusMessage:
    status = StatusMessage(
        message_id=str(uuid.uuid4()),
        about_message_id=str(uuid.uuid4()),
        response_for=ResponseFor(
            organ_id="000.00.00.H30",
            code="125/QĐ-UBND",
            promulgation_date=date(2026, 12, 1),
            document_id="000.00.00.H30,2026/12/01,125/QĐ-UBND",
        ),
        from_organ=RECEIVER,
        to_organ=SENDER,
        status_code=code,
        description=STATUS_LABELS[code],
        timestamp=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        staff=StaffInfo(department="Văn phòng", staff="Trần Thị B", mobile="0912345678"),
        arrival_number="215" if code == "03" else "",
    )
    return dataclasses.replace(status, **changes)


def _refused(code: str, data: bytes, **kwargs: object) -> EdxmlError:
    with pytest.raises(EdxmlError) as caught:
        parse(data, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == code, caught.value.message
    return caught.value


def _edit(package: bytes, path: str, change: object) -> bytes:
    """The package with ``change(element)`` applied to every element at ``path`` (an XPath
    with the ``e:`` prefix for the standard's namespace and ``x:`` for ours)."""
    root = etree.fromstring(package)
    found = root.xpath(path, namespaces={"e": NS, "x": edxml.EXT_NS})
    assert found, path
    for element in found:
        change(element)  # type: ignore[operator]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _set_text(value: str):  # type: ignore[no-untyped-def]
    def change(element: etree._Element) -> None:
        element.text = value

    return change


def _remove(element: etree._Element) -> None:
    element.getparent().remove(element)


# --- round trips ------------------------------------------------------------------------------


def test_a_full_header_with_two_attachments_round_trips_every_field() -> None:
    message = _envelope()
    package = build(message)

    back = parse(package)

    assert back == message
    assert [a.data for a in back.attachments] == [a.data for a in message.attachments]
    assert back.header.business.replaces_document_ids == ("000.00.00.H30,2026/11/30,120/QĐ-UBND",)
    assert back.header.content == "Nội dung\ncó nhiều dòng\r\nvà\tký tự tab "
    assert signed_content(back) == signed_content(message)
    assert build(back) == package


def test_the_package_has_the_standards_shape() -> None:
    root = etree.fromstring(build(_envelope()))
    ns = {"e": NS, "x": edxml.EXT_NS}

    assert root.tag == f"{{{NS}}}edXMLEnvelope"
    assert root.xpath("e:edXMLHeader/e:MessageHeader/e:Code/e:CodeNotation/text()", namespaces=ns)
    assert root.xpath("string(e:edXMLHeader/e:MessageHeader/e:From/e:OrganId)", namespaces=ns) == (
        "000.00.00.H30"
    )
    assert root.xpath(
        "string(e:edXMLHeader/e:MessageHeader/e:PromulgationInfo/e:PromulgationDate)",
        namespaces=ns,
    ) == ("2026/12/01")
    assert root.xpath(
        "string(e:edXMLHeader/e:TraceHeaderList/e:Bussiness/e:BussinessDocType)", namespaces=ns
    ) == ("3")
    references = root.xpath("e:edXMLBody/e:edXMLManifest/e:Reference", namespaces=ns)
    assert [r.findtext(f"{{{NS}}}ContentId") for r in references] == ["qd-125", "phu-luc"]
    digest = references[0].findtext(f"{{{edxml.EXT_NS}}}Sha256")
    encoded = root.xpath(
        "string(e:AttachmentEncoded/e:Attachment[e:ContentId='qd-125']/e:ContentTransferEncoded)",
        namespaces=ns,
    )
    assert hashlib.sha256(base64.b64decode(encoded)).hexdigest() == digest


@pytest.mark.parametrize("code", sorted(STATUS_LABELS))
def test_a_status_round_trips_for_each_code(code: str) -> None:
    status = with_trace(_status(code), TraceHeader("000.01.22.H30", datetime.now(HANOI)))
    status = with_signature(status, b"cms")

    back = parse(build(status))

    assert back == status
    assert isinstance(back, StatusMessage) and back.status_code == code
    assert signed_content(back) == signed_content(status)


def test_a_minimal_envelope_without_attachments_round_trips_with_defaults() -> None:
    header = MessageHeader(
        from_organ=Organ("000.00.00.H30", "UBND"),
        to_organs=(Organ("000.00.01.H30", "Sở"),),
        code_number="05",
        code_notation="UBND-VP",
        promulgation_place="Hà Nội",
        promulgation_date=date(2026, 1, 5),
        document_type=18,
        type_name="Công văn",
        subject="V/v họp",
    )
    message = Envelope(str(uuid.uuid4()), header, ())

    assert parse(build(message)) == message


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=40,
    ).filter(lambda s: not edxml._NOT_XML_CHAR.search(s) and s.strip()),
    when=st.datetimes(
        min_value=datetime(1900, 1, 1),
        timezones=st.sampled_from([UTC, HANOI, timezone(timedelta(hours=-3, minutes=-30))]),
    ),
)
def test_any_xml_text_and_instant_survive_the_round_trip(text: str, when: datetime) -> None:
    message = _envelope(
        header=_header(subject=text, content=text, to_places=(text,), document_id=text),
        traces=(TraceHeader("000.00.00.H30", when),),
    )

    back = parse(build(message))

    assert back == message
    assert signed_content(back) == signed_content(message)


def test_a_package_wrapped_in_an_edxml_root_with_attachments_beside_the_envelope_is_read() -> None:
    message = _envelope()
    root = etree.fromstring(build(message))
    wrapper = etree.Element(f"{{{NS}}}edXML", nsmap={None: NS})
    encoded = root.find(f"{{{NS}}}AttachmentEncoded")
    root.remove(encoded)
    wrapper.append(root)
    wrapper.append(encoded)

    assert parse(etree.tostring(wrapper, xml_declaration=True, encoding="UTF-8")) == message


def test_line_wrapped_base64_and_a_cid_prefixed_manifest_id_are_read() -> None:
    message = _envelope()
    package = _edit(
        build(message),
        "//e:Attachment/e:ContentTransferEncoded",
        lambda e: setattr(e, "text", base64.encodebytes(base64.b64decode(e.text)).decode()),
    )
    package = _edit(
        package, "//e:Reference/e:ContentId", lambda e: setattr(e, "text", "cid:" + e.text)
    )

    assert parse(package) == message


def test_the_other_systems_time_stamp_form_is_read_as_vietnam_time() -> None:
    package = _edit(
        build(_envelope()), "//e:TraceHeader/e:Timestamp", _set_text("2026/12/01 09:30:00")
    )

    (trace,) = parse(package).traces

    assert trace.timestamp == datetime(2026, 12, 1, 2, 30, tzinfo=UTC)


# --- what is signed ---------------------------------------------------------------------------


def test_traces_and_signature_are_not_signed_and_with_trace_appends_one() -> None:
    message = _envelope()
    trace = TraceHeader("000.00.99.H30", datetime(2026, 12, 1, 10, 0, tzinfo=HANOI))

    relayed = with_trace(message, trace)
    resigned = with_signature(message, b"another signature")

    assert relayed.traces == (*message.traces, trace)
    assert message.traces == _envelope(message_id=message.message_id).traces  # not mutated
    assert signed_content(relayed) == signed_content(message)
    assert signed_content(resigned) == signed_content(message)
    assert signed_content(parse(build(relayed))) == signed_content(message)


HEADER_CHANGES: list[dict[str, object]] = [
    {"from_organ": dataclasses.replace(SENDER, organ_name="UBND tỉnh khác")},
    {"from_organ": dataclasses.replace(SENDER, email="khac@hagiang.gov.vn")},
    {"to_organs": (RECEIVER,)},
    {"code_number": "126"},
    {"code_notation": "QĐ-STC"},
    {"promulgation_place": "Hà Nội"},
    {"promulgation_date": date(2026, 12, 2)},
    {"document_type": 2},
    {"type_name": "Chỉ thị"},
    {"subject": "Về việc khác"},
    {"content": ""},
    {"signer": SignerInfo(competence="TM. ỦY BAN NHÂN DÂN", position="CHỦ TỊCH", full_name="A")},
    {"due_date": None},
    {"to_places": ()},
    {"priority": 0},
    {"sphere_of_promulgation": ""},
    {"typer_notation": "X"},
    {"promulgation_amount": 6},
    {"page_amount": 4},
    {"appendixes": ("Phụ lục I",)},
    {"steering_type": 2},
    {"document_id": ""},
    {"response_for": None},
    {"business": Business()},
    {"secrecy": 0},
    {"urgency": 3},
]


@pytest.mark.parametrize("change", HEADER_CHANGES, ids=lambda c: next(iter(c)))
def test_changing_any_header_field_changes_the_signed_content(change: dict[str, object]) -> None:
    message = _envelope()
    changed = dataclasses.replace(message, header=dataclasses.replace(message.header, **change))

    assert changed != message
    assert signed_content(changed) != signed_content(message)
    assert signed_content(parse(build(changed))) == signed_content(changed)


def test_a_tampered_header_in_the_package_changes_the_signed_content() -> None:
    message = _envelope()
    tampered = _edit(build(message), "//e:MessageHeader/e:Subject", _set_text("Về việc khác"))

    assert signed_content(parse(tampered)) != signed_content(message)


def test_changing_the_message_id_or_a_status_field_changes_the_signed_content() -> None:
    message = _envelope()
    status = _status("05")

    assert signed_content(_envelope(message_id=str(uuid.uuid4()))) != signed_content(message)
    for change in (
        {"status_code": "06"},
        {"description": "Khác"},
        {"about_message_id": str(uuid.uuid4())},
        {"arrival_number": "9"},
        {"timestamp": status.timestamp + timedelta(seconds=1)},
        {"staff": StaffInfo()},
    ):
        assert signed_content(dataclasses.replace(status, **change)) != signed_content(status)


def test_one_changed_attachment_byte_changes_the_signed_content() -> None:
    message = _envelope()
    first = message.attachments[0]
    data = bytearray(first.data)
    data[100] ^= 0x01
    changed = _envelope(
        message_id=message.message_id,
        attachments=(dataclasses.replace(first, data=bytes(data)), message.attachments[1]),
    )

    assert signed_content(changed) != signed_content(message)


def test_a_tampered_attachment_byte_is_refused_as_a_digest_mismatch() -> None:
    message = _envelope()
    data = bytearray(message.attachments[0].data)
    data[100] ^= 0x01
    forged = base64.b64encode(bytes(data)).decode()
    package = _edit(
        build(message),
        "//e:Attachment[e:ContentId='qd-125']/e:ContentTransferEncoded",
        _set_text(forged),
    )

    error = _refused("attachment_digest_mismatch", package)

    assert "125-QĐ-UBND.pdf" in error.message


def test_signed_content_equal_for_equal_instants_in_other_time_zones() -> None:
    status = _status()
    shifted = dataclasses.replace(status, timestamp=status.timestamp.astimezone(HANOI))

    assert signed_content(shifted) == signed_content(status)


# --- hostile input ----------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">
<edXML:edXMLHeader><edXML:MessageHeader><edXML:Subject>&lol9;</edXML:Subject>
</edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope>"""


def _with_entity(system_id: str) -> bytes:
    package = build(_envelope()).decode()
    package = package.replace(
        "<edXML:edXMLEnvelope",
        f'<!DOCTYPE edXML:edXMLEnvelope [<!ENTITY xxe SYSTEM "{system_id}">]>\n'
        "<edXML:edXMLEnvelope",
        1,
    )
    return re.sub(r"<edXML:Subject>[^<]*<", "<edXML:Subject>&xxe;<", package, count=1).encode()


def test_a_billion_laughs_entity_bomb_is_refused() -> None:
    _refused("xml_forbidden", BILLION_LAUGHS)


@pytest.mark.parametrize("system_id", ["file:///etc/passwd", "http://127.0.0.1:9/secret"])
def test_an_external_entity_is_refused(system_id: str) -> None:
    error = _refused("xml_forbidden", _with_entity(system_id))

    assert "root:" not in error.message


def test_a_doctype_alone_is_refused() -> None:
    package = build(_envelope()).replace(
        b"<edXML:edXMLEnvelope", b"<!DOCTYPE edXMLEnvelope>\n<edXML:edXMLEnvelope", 1
    )

    _refused("xml_forbidden", package)


def test_the_parser_itself_refuses_a_doctype_should_the_byte_scan_miss_one() -> None:
    with pytest.raises(EdxmlError) as caught:
        edxml._tree(b"<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>")

    assert caught.value.code == "xml_forbidden"


def test_an_undeclared_entity_reference_is_malformed() -> None:
    package = re.sub(
        rb"<edXML:Subject>[^<]*<", b"<edXML:Subject>&xxe;<", build(_envelope()), count=1
    )

    _refused("xml_malformed", package)


@pytest.mark.parametrize(
    "package",
    [
        "<?xml version='1.0' encoding='UTF-16'?><a/>".encode("utf-16"),
        "<a/>".encode("utf-16-le"),
        b"<?xml version='1.0' encoding='ISO-8859-1'?><a/>",
    ],
)
def test_a_package_in_another_encoding_than_utf8_is_refused(package: bytes) -> None:
    _refused("xml_forbidden", package)


def test_a_package_over_the_size_limit_is_refused_before_parsing() -> None:
    package = build(_envelope())

    _refused("package_too_large", package, max_bytes=len(package) - 1)
    _refused("package_too_large", b"<not even xml" * 100, max_bytes=1000)
    assert parse(package, max_bytes=len(package)).header.code_number == "125"


@pytest.mark.parametrize(
    "package",
    [
        b"",
        b"not xml at all",
        b"<edXML:edXMLEnvelope",
        b"<a><b></a>",
        b"<a/><b/>",
        b"<a>\xff\xfe</a>",
        b"<a>&#0;</a>",
        b"\x4c\x6f\xa7\x94",  # "<?xm" in EBCDIC
    ],
)
def test_malformed_xml_is_refused(package: bytes) -> None:
    error = _refused("xml_malformed", package)

    assert error.message.startswith("Gói tin không phải XML hợp lệ")


def test_a_root_that_is_not_an_edxml_envelope_is_invalid() -> None:
    error = _refused("edxml_invalid", b"<html><body/></html>")

    assert "html" in error.message


@pytest.mark.parametrize("name", ["../x.pdf", "a/b.pdf", "a\\b.pdf", "..", ".", "x\u202egpj.exe"])
def test_an_attachment_name_that_is_not_a_plain_file_name_is_refused(name: str) -> None:
    package = _edit(
        build(_envelope()),
        "//*[e:ContentId='qd-125']/e:AttachmentName",
        _set_text(name),
    )

    _refused("attachment_name_invalid", package)


@pytest.mark.parametrize(
    "name", ["a\x00.pdf", "", " x.pdf", "x" * 256 + ".pdf", "../x.pdf", "a/b.pdf", "a\nb.pdf"]
)
def test_an_attachment_name_that_is_not_a_plain_file_name_is_never_built(name: str) -> None:
    message = _envelope()
    bad = dataclasses.replace(message.attachments[0], name=name)

    with pytest.raises(EdxmlError) as caught:
        build(dataclasses.replace(message, attachments=(bad,)))

    assert caught.value.code == "attachment_name_invalid"


def test_a_nul_in_an_attachment_name_cannot_even_be_written_in_xml() -> None:
    package = build(_envelope()).replace(b"125-Q", b"125&#0;-Q")

    _refused("xml_malformed", package)
    _refused("xml_forbidden", build(_envelope()).replace(b"125-Q", b"125\x00-Q"))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("//e:MessageHeader/e:From/e:OrganId", "H30"),
        ("//e:MessageHeader/e:To[1]/e:OrganId", "000.00.00.h30"),
        ("//e:MessageHeader/e:ResponseFor/e:OrganId", "000.00.00.H30 "),
        ("//e:TraceHeader/e:OrganId", "000-00-00-H30"),
    ],
)
def test_a_wrong_organ_code_is_invalid_and_named(path: str, value: str) -> None:
    package = _edit(build(_envelope()), path, _set_text(value))

    error = _refused("edxml_invalid", package)

    assert "OrganId" in error.element and "000.00.00.H30" in error.message


def test_a_wrong_organ_code_is_never_built() -> None:
    with pytest.raises(EdxmlError) as caught:
        build(_envelope(header=_header(from_organ=Organ("H30", "UBND"))))

    assert (caught.value.code, caught.value.element) == ("edxml_invalid", "From/OrganId")


@pytest.mark.parametrize(
    "element",
    ["Subject", "From", "Code", "PromulgationInfo", "DocumentType", "x:MessageId"],
)
def test_a_missing_required_element_is_invalid_and_named(element: str) -> None:
    prefixed = element if element.startswith("x:") else f"e:{element}"
    package = _edit(build(_envelope()), f"//e:MessageHeader/{prefixed}", _remove)

    error = _refused("edxml_invalid", package)

    assert element.removeprefix("x:") in error.message
    assert "thiếu phần tử" in error.message


def test_an_empty_subject_is_invalid() -> None:
    package = _edit(build(_envelope()), "//e:MessageHeader/e:Subject", _set_text("  "))

    error = _refused("edxml_invalid", package)

    assert "Subject" in error.message and "để trống" in error.message


def test_a_repeated_single_element_is_invalid() -> None:
    def twice(element: etree._Element) -> None:
        element.addnext(etree.fromstring(etree.tostring(element)))

    package = _edit(build(_envelope()), "//e:MessageHeader/e:Subject", twice)

    assert "Subject" in _refused("edxml_invalid", package).message


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("//e:PromulgationInfo/e:PromulgationDate", "2026-12-01"),
        ("//e:PromulgationInfo/e:PromulgationDate", "2026/02/30"),
        ("//e:MessageHeader/e:DueDate", "1/12/2026"),
        ("//e:TraceHeader/e:Timestamp", "2026-12-01T09:30:00"),
        ("//e:TraceHeader/e:Timestamp", "yesterday"),
        ("//e:OtherInfo/e:Priority", "5"),
        ("//e:OtherInfo/e:Priority", "-1"),
        ("//e:MessageHeader/e:SteeringType", "1.0"),
        ("//e:Bussiness/e:BussinessDocType", "4"),
        ("//e:MessageHeader/x:MessageId", "not-a-uuid"),
        ("//e:MessageHeader/x:Secrecy", "9"),
        ("//e:Reference[e:ContentId='qd-125']/x:Sha256", "abc"),
        ("//e:Reference[e:ContentId='qd-125']/e:ContentType", "pdf"),
    ],
)
def test_values_are_read_strictly(path: str, value: str) -> None:
    package = _edit(build(_envelope()), path, _set_text(value))

    _refused("edxml_invalid", package)


@pytest.mark.parametrize(
    "junk",
    [
        lambda text: text[:40] + "!!" + text[42:],
        lambda text: text[:40] + "é" + text[41:],
        lambda text: text[:8] + "====" + text[8:],
        lambda text: text[:-1],
        lambda text: text + "A",
    ],
)
def test_base64_with_junk_is_refused(junk) -> None:  # type: ignore[no-untyped-def]
    package = _edit(
        build(_envelope()),
        "//e:Attachment[e:ContentId='phu-luc']/e:ContentTransferEncoded",
        lambda e: setattr(e, "text", junk(e.text)),
    )

    error = _refused("edxml_invalid", package)

    assert "ContentTransferEncoded" in error.message


def test_a_signature_that_is_not_base64_is_refused() -> None:
    package = _edit(build(_envelope()), "//e:edXMLHeader/e:Signature", _set_text("@@@"))

    _refused("edxml_invalid", package)


def test_a_reference_without_content_and_content_without_reference_are_missing() -> None:
    package = build(_envelope())
    without_content = _edit(package, "//e:Attachment[e:ContentId='phu-luc']", _remove)
    without_reference = _edit(package, "//e:Reference[e:ContentId='phu-luc']", _remove)

    assert "phu-luc" in _refused("attachment_missing", without_content).message
    assert "phu-luc" in _refused("attachment_missing", without_reference).message


def test_an_attachment_whose_name_disagrees_with_the_manifest_is_invalid() -> None:
    package = _edit(
        build(_envelope()),
        "//e:Attachment[e:ContentId='qd-125']/e:AttachmentName",
        _set_text("khac.pdf"),
    )

    _refused("edxml_invalid", package)


def test_a_status_with_attachments_is_invalid() -> None:
    status_package = build(_status())
    envelope = etree.fromstring(build(_envelope()))
    root = etree.fromstring(status_package)
    root.append(envelope.find(f"{{{NS}}}AttachmentEncoded"))

    _refused("edxml_invalid", etree.tostring(root))


def test_a_status_with_an_unknown_code_is_invalid() -> None:
    package = _edit(build(_status()), "//e:Status/e:StatusCode", _set_text("99"))

    _refused("edxml_invalid", package)


def test_naive_time_stamps_and_wrong_types_are_never_built() -> None:
    naive = _envelope(traces=(TraceHeader("000.00.00.H30", datetime(2026, 12, 1, 9, 0)),))

    for message in (naive, _status(timestamp=datetime(2026, 12, 1)), _status(status_code="07")):
        with pytest.raises(EdxmlError) as caught:
            build(message)
        assert caught.value.code == "edxml_invalid"
    with pytest.raises(EdxmlError):
        build(_envelope(header=_header(priority=True)))
    with pytest.raises(EdxmlError):
        build(_envelope(header=_header(subject="tab\x0bvertical")))


def test_a_30_mb_attachment_is_built_and_parsed() -> None:
    big = os.urandom(30 * 1024 * 1024)
    message = _envelope(attachments=(Attachment("big", "Hồ sơ quét.pdf", "application/pdf", big),))

    package = build(message)
    back = parse(package)

    assert len(package) > 40 * 1024 * 1024
    assert back.attachments[0].data == big


# --- the rest of the interface ----------------------------------------------------------------


def test_document_id_for_joins_organ_date_and_number() -> None:
    assert document_id_for("000.00.00.H30", date(2026, 12, 1), "125/QĐ-UBND") == (
        "000.00.00.H30,2026/12/01,125/QĐ-UBND"
    )
    with pytest.raises(EdxmlError):
        document_id_for("H30", date(2026, 12, 1), "125/QĐ-UBND")


def test_every_refusal_code_is_one_of_the_documented_codes_with_a_vietnamese_message() -> None:
    codes = {key.partition(":")[0] for key in edxml.MESSAGES}

    assert codes == {
        "package_too_large",
        "xml_forbidden",
        "xml_malformed",
        "edxml_invalid",
        "attachment_name_invalid",
        "attachment_digest_mismatch",
        "attachment_missing",
    }
    assert all(
        re.search("[ăâđêôơưạảấầẩậắằặẹẻếềệỉịọỏốồộớờợụủứừửữựỳỹ]", m) for m in edxml.MESSAGES.values()
    )


def test_the_module_imports_nothing_from_edoc_flask_or_sqlalchemy() -> None:
    source = Path(edxml.__file__).read_text(encoding="utf-8")
    imported: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import"
            imported.append(node.module or "")

    assert "lxml" in imported
    assert [
        name for name in imported if name.split(".")[0] in ("edoc", "flask", "sqlalchemy")
    ] == []


def test_deep_nesting_is_refused_by_the_parsers_limit() -> None:
    deep = b"<a>" * 1_000 + b"</a>" * 1_000  # libxml2 allows 256 levels, 2048 with huge_tree

    _refused("xml_malformed", deep)


def test_a_package_of_countless_tiny_elements_is_refused_before_it_costs_memory() -> None:
    flood = b"<edXML:edXMLEnvelope xmlns:edXML='" + NS.encode() + b"'>"
    flood += b"<b/>" * (edxml.MAX_ELEMENTS + 1) + b"</edXML:edXMLEnvelope>"

    _refused("package_too_large", flood)


def test_an_overlong_text_outside_an_attachment_is_refused() -> None:
    package = _edit(
        build(_envelope()),
        "//e:MessageHeader/e:Subject",
        _set_text("ạ" * (edxml.MAX_TEXT_CHARS + 1)),
    )

    error = _refused("package_too_large", package)

    assert "Subject" in error.message


def test_an_ellipsis_in_a_title_is_a_valid_attachment_name() -> None:
    assert edxml.check_attachment_name("Tờ trình...pdf") == "Tờ trình...pdf"


@pytest.mark.parametrize(
    ("kind", "path", "limit"),
    [
        ("document", "//e:CodeNotation", edxml.MAX_CODE_CHARS),
        ("document", "//e:DocumentId", edxml.MAX_DOCUMENT_ID_CHARS),
        ("status", "//e:ResponseFor/e:Code", edxml.MAX_CODE_CHARS),
        ("status", "//e:ResponseFor/e:DocumentId", edxml.MAX_DOCUMENT_ID_CHARS),
        ("status", "//x:ArrivalNumber", edxml.MAX_ARRIVAL_NUMBER_CHARS),
    ],
)
def test_values_longer_than_the_receivers_columns_are_refused(
    kind: str, path: str, limit: int
) -> None:
    """A hostile package must not make the receiving database's write fail (a DataError, a
    500 on PostgreSQL): what is stored in a fixed-width column is refused when too long."""
    package = build(_envelope() if kind == "document" else _status("03"))
    error = _refused("edxml_invalid", _edit(package, path, _set_text("9" * (limit + 1))))
    assert str(limit) in error.message
