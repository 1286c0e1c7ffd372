"""Tokens on real SoftHSM2: listing, certificate choice, refusals before the PIN, wrong PIN."""

from __future__ import annotations

import pytest

from signing import errors
from signing import pki as demo
from signing.tokens import (
    LOGINS,
    CertificateSelector,
    find_private_key,
    list_tokens,
    open_session,
    select_certificate,
)
from tests.fixtures.pki import Tokens


def test_lists_tokens_and_decodes_vietnamese_subjects(softhsm_tokens: Tokens) -> None:
    tokens = {t.label: t for t in list_tokens(softhsm_tokens.module)}
    assert {softhsm_tokens.leader_label, softhsm_tokens.agency_label} <= set(tokens)
    leader_token = tokens[softhsm_tokens.leader_label]
    certs = {c.label: c for c in leader_token.certificates}
    assert set(certs) == {demo.LEADER, demo.EXPIRED, demo.NOT_YET_VALID, demo.WRONG_USAGE}
    leader = certs[demo.LEADER]
    assert leader.common_name == "Nguyễn Văn An"
    assert leader.title == "Phó Chủ tịch"
    assert "CN=Nguyễn Văn An" in leader.subject and "O=UBND tỉnh Demo" in leader.subject
    assert leader.issuer.startswith("CN=Edoc Demo Issuing CA")
    assert leader.key_usage == ["digital_signature", "non_repudiation"]
    assert leader.has_key and leader.serial == format(leader.cert.serial_number, "X")
    data = leader_token.to_dict()
    assert data["certificates"][0]["not_after"] and data["serial"] == leader_token.serial
    agency = tokens[softhsm_tokens.agency_label]
    assert any(c.common_name == "UBND tỉnh Demo" for c in agency.certificates)


def test_selects_by_label_serial_and_subject(softhsm_tokens: Tokens) -> None:
    _token, by_label = select_certificate(
        softhsm_tokens.module, CertificateSelector(label=demo.LEADER)
    )
    _token, by_serial = select_certificate(
        softhsm_tokens.module, CertificateSelector(serial=by_label.serial.lower())
    )
    token, by_subject = select_certificate(
        softhsm_tokens.module, CertificateSelector(subject_contains="nguyễn văn an")
    )
    assert by_label == by_serial == by_subject
    assert token.label == softhsm_tokens.leader_label


@pytest.mark.parametrize(
    ("label", "code"),
    [
        (demo.EXPIRED, "certificate_expired"),
        (demo.NOT_YET_VALID, "certificate_not_yet_valid"),
        (demo.WRONG_USAGE, "wrong_key_usage"),
    ],
)
def test_unusable_certificates_refused_before_pin(
    softhsm_tokens: Tokens, label: str, code: str
) -> None:
    from signing.batch import DigestItem, sign_digests

    asked: list[bool] = []

    def pin() -> str:
        asked.append(True)
        return softhsm_tokens.leader_pin

    with pytest.raises(errors.TokenError) as info:
        sign_digests(
            softhsm_tokens.module,
            CertificateSelector(label=label),
            [DigestItem("x", b"\0" * 32)],
            pin,
        )
    assert info.value.code == code
    assert asked == []


def test_unknown_token_and_certificate(softhsm_tokens: Tokens) -> None:
    with pytest.raises(errors.TokenNotFound) as info:
        select_certificate(softhsm_tokens.module, CertificateSelector(token_label="khong-co"))
    assert info.value.code == "token_not_found"
    with pytest.raises(errors.CertificateNotFound):
        select_certificate(softhsm_tokens.module, CertificateSelector(label="khong-co"))


def test_wrong_pin_is_reported_once_and_not_retried(softhsm_tokens: Tokens) -> None:
    token, cert = select_certificate(softhsm_tokens.module, CertificateSelector(label=demo.LEADER))
    asked: list[bool] = []

    def pin() -> str:
        asked.append(True)
        return "000000"

    before = LOGINS.count
    module = softhsm_tokens.module
    with pytest.raises(errors.PinIncorrect) as info, open_session(module, token, pin):
        pass
    assert info.value.code == "pin_incorrect"
    assert "000000" not in str(info.value)
    assert asked == [True]
    assert LOGINS.count == before
    # the right PIN still works afterwards
    with open_session(softhsm_tokens.module, token, softhsm_tokens.leader_pin) as session:
        assert find_private_key(session, cert) is not None
