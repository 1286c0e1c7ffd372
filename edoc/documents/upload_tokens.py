"""Signed tokens for files already checked and stored, so a form can be confirmed without
sending the file again. The token only names a blob by hash and carries the check results;
the signature makes it tamper-proof and it expires after a day."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from edoc.documents.files import CheckedFile, FileRejected

MAX_AGE_SECONDS = 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="edoc.upload")


def issue(checked: CheckedFile, user_id: int) -> str:
    payload = asdict(checked)
    payload.pop("first_page_text", None)
    return _serializer().dumps({"file": payload, "user": user_id})


def redeem(token: str, user_id: int) -> CheckedFile:
    try:
        data: dict[str, Any] = _serializer().loads(token, max_age=MAX_AGE_SECONDS)
    except SignatureExpired:
        raise FileRejected(
            "upload_expired", _("Tệp tải lên đã quá hạn; vui lòng chọn lại tệp.")
        ) from None
    except BadSignature:
        raise FileRejected("upload_invalid", _("Mã tệp tải lên không hợp lệ.")) from None
    if data.get("user") != user_id:
        raise FileRejected("upload_invalid", _("Mã tệp tải lên không hợp lệ."))
    return CheckedFile(**data["file"])
