"""Where a webhook may point, and posting to it without being turned against our own network.

An admin types the URL, but whoever controls the target's DNS decides where it leads. So the
URL is checked when saved (http or https, a host, no credentials in it) and the address is
checked again at every delivery: the host is resolved once, every address it resolves to must
be public (unless ``EDOC_WEBHOOK_ALLOW_PRIVATE``), and the connection is made to that very
address (the name is kept for the ``Host`` header and TLS), so a name that resolves to a public
address when checked and to 127.0.0.1 a moment later (DNS rebinding) cannot slip through.
Redirects are never followed (``http.client`` does not): a 3xx is a failed attempt.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import gettext as _

from edoc.core.errors import ValidationError

TIMEOUT_SECONDS = 10
MAX_ANSWER_BYTES = 2048  # of the receiver's answer, kept in the delivery log


class TargetRefused(Exception):
    """The target resolves to an address webhooks may not reach."""


def check_url(url: str, *, allow_private: bool) -> str:
    """The URL as saved, or ValidationError 422. A host that is a literal non-public address
    (or ``localhost``) is refused now; a name is checked at each delivery, when it is resolved."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError(
            "webhook_url_invalid",
            _("Địa chỉ webhook phải là URL http:// hoặc https:// có tên máy chủ."),
            details={"url": _("Địa chỉ webhook phải là URL http:// hoặc https://.")},
        )
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            "webhook_url_credentials",
            _("Không đưa tên đăng nhập, mật khẩu vào địa chỉ webhook."),
            details={"url": _("Không đưa tên đăng nhập, mật khẩu vào địa chỉ webhook.")},
        )
    if not allow_private and not _public_literal(parts.hostname):
        raise ValidationError(
            "webhook_url_private",
            _("Địa chỉ webhook trỏ vào mạng nội bộ hoặc chính máy chủ; không được phép."),
            details={"url": _("Địa chỉ webhook trỏ vào mạng nội bộ hoặc chính máy chủ.")},
        )
    if port == 0 or parts.fragment:
        raise ValidationError(
            "webhook_url_invalid",
            _("Địa chỉ webhook không hợp lệ."),
            details={"url": _("Địa chỉ webhook không hợp lệ.")},
        )
    return url


def shown(url: str) -> str:
    """The URL without its query (which may carry a token): for audit entries and logs."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?…" if parts.query else "")


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _public_literal(host: str) -> bool:
    """False for ``localhost`` names and literal addresses that are not public; True for any
    other name (resolved later)."""
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return False
    try:
        return _public(ipaddress.ip_address(host))
    except ValueError:
        return True


def resolve(host: str, port: int, allow_private: bool) -> str:
    """The one address to connect to; TargetRefused when any address of ``host`` is not public
    (all must pass: the connection could otherwise be steered to the private one)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise OSError(f"{host} does not resolve")
    if not allow_private:
        for address in addresses:
            if not _public(ipaddress.ip_address(address.split("%", 1)[0])):
                raise TargetRefused(f"{host} resolves to a non-public address ({address})")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Answer:
    status: int
    body: str


def post(url: str, body: bytes, headers: dict[str, str], *, allow_private: bool) -> Answer:
    """POST ``body`` to ``url`` (checked address, 10 s timeout, no redirects). Raises
    TargetRefused or OSError/HTTPException when no answer came."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve(host, port, allow_private)
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = kind(host, port, address, TIMEOUT_SECONDS)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read(MAX_ANSWER_BYTES).decode("utf-8", "replace")
        return Answer(response.status, text)
    finally:
        connection.close()
