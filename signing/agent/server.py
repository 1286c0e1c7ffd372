"""The agent's HTTP server: 127.0.0.1 only, CORS locked to the edoc server's origin.

Every request is checked for its ``Origin`` and ``Host``; Chromium's Private Network Access
preflight is answered for allowed origins; one batch at a time; the PIN is used for one login and
dropped. Why each check: docs/signing.md ("The local signing agent"); protocol: signing/AGENT.md.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from signing import errors
from signing.batch import DigestItem, sign_digests
from signing.tokens import CertificateSelector, list_tokens

log = logging.getLogger("edoc_signer")

PROTOCOL_VERSION = 1
MAX_BODY = 2 * 1024 * 1024
MAX_ITEMS = 500

ERROR_STATUS = {
    "bad_request": HTTPStatus.BAD_REQUEST,
    "origin_not_allowed": HTTPStatus.FORBIDDEN,
    "host_not_allowed": HTTPStatus.FORBIDDEN,
    "not_found": HTTPStatus.NOT_FOUND,
    "token_not_found": HTTPStatus.NOT_FOUND,
    "certificate_not_found": HTTPStatus.NOT_FOUND,
    "certificate_expired": HTTPStatus.CONFLICT,
    "certificate_not_yet_valid": HTTPStatus.CONFLICT,
    "wrong_key_usage": HTTPStatus.CONFLICT,
    "pin_incorrect": HTTPStatus.UNAUTHORIZED,
    "pin_locked": HTTPStatus.LOCKED,
    "pin_required": HTTPStatus.UNAUTHORIZED,
    "token_removed": HTTPStatus.SERVICE_UNAVAILABLE,
    "busy": HTTPStatus.CONFLICT,
}


@dataclass
class AgentConfig:
    """What the agent needs: the token's PKCS#11 module and the edoc origins it serves."""

    module_path: str
    allowed_origins: Sequence[str]
    host: str = "127.0.0.1"
    port: int = 8787
    pin_mode: str = "request"  # or "console"
    console_pin: Callable[[str], str] = field(default=getpass.getpass)

    def __post_init__(self) -> None:
        if self.host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("the agent listens on the loopback interface only")
        if self.pin_mode not in ("request", "console"):
            raise ValueError("pin_mode is 'request' or 'console'")
        self.allowed_origins = tuple(o.rstrip("/") for o in self.allowed_origins)


class AgentError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class _Handler(BaseHTTPRequestHandler):
    server: AgentServer
    protocol_version = "HTTP/1.1"
    server_version = "edoc-signer"

    # ------------------------------------------------------------------ plumbing

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _origin(self) -> str:
        return (self.headers.get("Origin") or "").rstrip("/")

    def _cors_headers(self) -> dict[str, str]:
        origin = self._origin()
        if origin and origin in self.server.config.allowed_origins:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return {"Vary": "Origin"}

    def _send(self, status: int, body: dict[str, Any], extra: dict[str, str] | None = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Content-Length": str(len(data)),
            "Cache-Control": "no-store",
            **self._cors_headers(),
            **(extra or {}),
        }
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, code: str, message: str) -> None:
        self._send(
            ERROR_STATUS.get(code, HTTPStatus.INTERNAL_SERVER_ERROR),
            {"error": {"code": code, "message": message}},
        )

    def _check_host_and_origin(self) -> None:
        port = self.server.server_address[1]
        host = self.headers.get("Host", "")
        if host not in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
            raise AgentError("host_not_allowed", f"Host {host!r} is not this agent")
        if self._origin() not in self.server.config.allowed_origins:
            raise AgentError("origin_not_allowed", "this page's origin may not use the agent")

    def _read_json(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            raise AgentError("bad_request", "a JSON body up to 2 MB is required")
        if not (self.headers.get("Content-Type") or "").startswith("application/json"):
            raise AgentError("bad_request", "Content-Type must be application/json")
        try:
            data = json.loads(self.rfile.read(length))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise AgentError("bad_request", f"invalid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise AgentError("bad_request", "the body must be a JSON object")
        return data

    def _dispatch(self, routes: dict[str, Callable[[], dict[str, Any]]]) -> None:
        try:
            self._check_host_and_origin()
            route = routes.get(self.path.split("?")[0])
            if route is None:
                raise AgentError("not_found", f"no endpoint {self.path}")
            self._send(HTTPStatus.OK, route())
        except AgentError as exc:
            self._error(exc.code, str(exc))
        except errors.SigningError as exc:
            self._error(exc.code, str(exc))

    # ------------------------------------------------------------------ verbs

    def do_OPTIONS(self) -> None:
        """CORS and Private Network Access preflight."""
        try:
            self._check_host_and_origin()
        except AgentError as exc:
            self._error(exc.code, str(exc))
            return
        headers = {
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
            "Content-Length": "0",
            **self._cors_headers(),
        }
        if self.headers.get("Access-Control-Request-Private-Network") == "true":
            headers["Access-Control-Allow-Private-Network"] = "true"
        self.send_response(HTTPStatus.NO_CONTENT)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()

    def do_GET(self) -> None:
        self._dispatch({"/v1/status": self._status, "/v1/tokens": self._tokens})

    def do_POST(self) -> None:
        self._dispatch({"/v1/sign": self._sign})

    # ------------------------------------------------------------------ endpoints

    def _status(self) -> dict[str, Any]:
        return {
            "agent": "edoc-signer",
            "protocol": PROTOCOL_VERSION,
            "pin_mode": self.server.config.pin_mode,
            "busy": self.server.signing_lock.locked(),
        }

    def _tokens(self) -> dict[str, Any]:
        tokens = list_tokens(self.server.config.module_path)
        return {"tokens": [t.to_dict() for t in tokens]}

    def _sign(self) -> dict[str, Any]:
        body = self._read_json()
        selector = _selector(body.get("certificate"))
        items = _items(body.get("items"))
        config = self.server.config
        pin = body.pop("pin", None)
        if config.pin_mode == "request":
            if not isinstance(pin, str) or not pin:
                raise AgentError("pin_required", "the request must carry the token PIN")
            request_pin: str = pin

            def pin_source() -> str:
                return request_pin

        else:

            def pin_source() -> str:
                return config.console_pin(
                    f"edoc-signer: PIN to sign {len(items)} document(s) from {self._origin()}: "
                )

        if not self.server.signing_lock.acquire(blocking=False):
            raise AgentError("busy", "another batch is being signed")
        try:
            result = sign_digests(config.module_path, selector, items, pin_source)
        finally:
            self.server.signing_lock.release()
        log.info(
            "signed %d of %d digest(s) with certificate %s",
            len(result.signatures),
            len(items),
            result.certificate.serial,
        )
        return result.to_dict()


def _selector(data: Any) -> CertificateSelector:
    if not isinstance(data, dict) or not data:
        raise AgentError("bad_request", "certificate: give serial, label or token_label")
    allowed = {"token_label", "token_serial", "label", "serial", "subject_contains"}
    if set(data) - allowed or not all(isinstance(v, str) for v in data.values()):
        raise AgentError("bad_request", f"certificate: only string keys from {sorted(allowed)}")
    return CertificateSelector(**data)


def _items(data: Any) -> list[DigestItem]:
    if not isinstance(data, list) or not data or len(data) > MAX_ITEMS:
        raise AgentError("bad_request", f"items: a list of 1 to {MAX_ITEMS} digests")
    try:
        items = [DigestItem.from_dict(entry) for entry in data]
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise AgentError("bad_request", f"items: {exc}") from None
    if len({i.id for i in items}) != len(items):
        raise AgentError("bad_request", "items: ids must be unique")
    return items


class AgentServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` carrying the agent's config and signing lock."""

    daemon_threads = True

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.signing_lock = threading.Lock()
        super().__init__((config.host, config.port), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="edoc-signer", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def encode_digest(digest: bytes) -> str:
    """How digests travel in the protocol (standard base64)."""
    return base64.b64encode(digest).decode("ascii")
