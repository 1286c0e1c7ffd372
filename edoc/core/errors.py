"""One error type for services, rendered as a Vietnamese page in the UI and as JSON in the API.

Services raise :class:`AppError` with a stable machine ``code`` and a human message; the web
layer and ``/api/v1`` render the same error, so both always agree on what went wrong.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from edoc.core.signals import security_refused


class AppError(Exception):
    status = 400

    def __init__(
        self, code: str, message: str, status: int | None = None, details: Any = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        if status is not None:
            self.status = status


class ValidationError(AppError):
    """What the user sent does not pass a rule (a field, a file, a state transition)."""

    status = 422


class NotFound(AppError):
    status = 404


class Forbidden(AppError):
    status = 403


class Unauthorized(AppError):
    status = 401


class Conflict(AppError):
    status = 409


class ServiceUnavailable(AppError):
    status = 503


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/healthz", "/metrics"))


def error_response(code: str, message: str, status: int, details: Any = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    response = jsonify({"error": body})
    response.status_code = status
    return response


def render_error(code: str, message: str, status: int, details: Any = None) -> Any:
    if wants_json():
        return error_response(code, message, status, details)
    return render_template("error.html", code=code, message=message, status=status), status


HTTP_MESSAGES = {
    400: ("bad_request", "Yêu cầu không hợp lệ."),
    401: ("unauthorized", "Bạn cần đăng nhập."),
    403: ("forbidden", "Bạn không có quyền thực hiện thao tác này."),
    404: ("not_found", "Không tìm thấy trang hoặc tài nguyên yêu cầu."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ."),
    413: ("file_too_large", "Tệp tải lên vượt quá dung lượng cho phép."),
    422: ("validation_error", "Dữ liệu gửi lên không hợp lệ."),
    429: ("too_many_requests", "Quá nhiều yêu cầu, vui lòng thử lại sau."),
    500: ("internal_error", "Lỗi hệ thống. Sự cố đã được ghi nhận."),
}


def handle_http_exception(error: HTTPException) -> Any:
    status = error.code or 500
    code, message = HTTP_MESSAGES.get(status, ("http_error", error.description or ""))
    details = None
    data = getattr(error, "data", None)  # flask-smorest / webargs validation messages
    if isinstance(data, dict) and data.get("messages"):
        details = data["messages"]
    if status == 413:
        limit = current_app.config["EDOC"].max_upload_mb
        message = _("Tệp tải lên vượt quá %(mb)s MB.", mb=limit)
    return render_error(code, _(message), status, details)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def _app_error(error: AppError) -> Any:
        return render_error(error.code, error.message, error.status, error.details)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> Any:
        signed_in = current_user and current_user.is_authenticated
        security_refused.send(
            app,
            action="security.csrf_rejected",
            user=current_user._get_current_object() if signed_in else None,
            path=request.path,
        )
        return render_error(
            "csrf_failed",
            _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang."),
            400,
        )

    app.register_error_handler(HTTPException, handle_http_exception)

    @app.errorhandler(PoolTimeout)
    @app.errorhandler(OperationalError)
    def _database_busy(error: Exception) -> Any:
        # SQLite's write lock not granted within busy_timeout, no pooled connection free within
        # pool_timeout, PostgreSQL restarting: the request changed nothing (the transaction is
        # rolled back) and may simply be sent again, which is what the person is told.
        app.logger.warning(
            "database unavailable on %s %s: %s", request.method, request.path, str(error)[:200]
        )
        message = _("Máy chủ đang bận, vui lòng thử lại sau ít phút.")
        if wants_json():
            return error_response("database_busy", message, 503)
        # Not the site's frame: it shows who is signed in, which needs the database.
        page = (
            f"<!doctype html><html lang=vi><meta charset=utf-8><title>{escape(message)}</title>"
            f"<h1>{escape(message)}</h1><p><a href=''>"
            f"{escape(_('Thử lại'))}</a></p></html>"
        )
        return Response(page, status=503, headers={"Retry-After": "5"}, mimetype="text/html")

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        code, message = HTTP_MESSAGES[500]
        return render_error(code, _(message), 500)
