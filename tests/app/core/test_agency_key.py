"""Where the agency key is: the EDOC_AGENCY_TOKEN_* variables, else the operator's file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask

from edoc.config import Settings
from edoc.core.agency_key import AgencyToken, agency_signer, agency_token, write_agency_token_file
from edoc.core.errors import ServiceUnavailable
from signing.server_signer import ServerTokenConfig


def _settings(data_dir: Path, **env: str) -> Settings:
    return Settings.from_env({"EDOC_DATA_DIR": str(data_dir), **env})


def test_the_operators_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert settings.agency_token_path() == tmp_path / "agency_token.json"
    token = AgencyToken(
        ServerTokenConfig("/lib/p11.so", "seal", cert_label="agency", pin_env=None, pin_file="p"),
        tmp_path / "store" / "softhsm2.conf",
    )
    write_agency_token_file(settings.agency_token_path(), token)
    written = json.loads(settings.agency_token_path().read_text(encoding="utf-8"))
    assert "pin" not in written and written["pin_file"] == "p"
    assert agency_token(settings, environ={}) == token


def test_the_variables_take_precedence_over_the_file(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    write_agency_token_file(
        settings.agency_token_path(), AgencyToken(ServerTokenConfig("/lib/a.so", "from-file"))
    )
    env = {
        "EDOC_AGENCY_TOKEN_MODULE": "/lib/b.so",
        "EDOC_AGENCY_TOKEN_LABEL": "from-env",
        "EDOC_AGENCY_TOKEN_PIN": "123456",
        "EDOC_AGENCY_TOKEN_SOFTHSM2_CONF": "/etc/softhsm/softhsm2.conf",
    }
    token = agency_token(settings, environ=env)
    assert (token.config.module_path, token.config.token_label) == ("/lib/b.so", "from-env")
    assert token.config.pin_env == "EDOC_AGENCY_TOKEN_PIN"
    assert token.softhsm2_conf == Path("/etc/softhsm/softhsm2.conf")


def test_the_file_can_live_elsewhere(tmp_path: Path) -> None:
    elsewhere = tmp_path / "etc" / "edoc-agency.json"
    elsewhere.parent.mkdir()
    settings = _settings(tmp_path / "var", EDOC_AGENCY_TOKEN_FILE=str(elsewhere))
    write_agency_token_file(elsewhere, AgencyToken(ServerTokenConfig("/lib/a.so", "seal")))
    assert agency_token(settings, environ={}).config.token_label == "seal"
    assert agency_token(settings, environ={}).softhsm2_conf is None


def test_nothing_or_a_broken_file_says_what_is_wrong(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with pytest.raises(ValueError, match="EDOC_AGENCY_TOKEN_MODULE is not set"):
        agency_token(settings, environ={})
    settings.agency_token_path().write_text('{"module": "/lib/a.so"}', encoding="utf-8")
    with pytest.raises(ValueError, match="token_label"):
        agency_token(settings, environ={})


def test_no_agency_key_is_a_503(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EDOC_AGENCY_TOKEN_MODULE", raising=False)
    with app.app_context(), pytest.raises(ServiceUnavailable) as caught:
        agency_signer()
    assert caught.value.code == "agency_signer_not_configured"
