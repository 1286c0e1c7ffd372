"""How a package leaves this installation: one small interface, one class per way.

A national-axis adapter is one more class with ``deliver`` (see docs/exchange.md): it takes
the sealed package bytes as they are, so whatever the axis wants around them (its own
authentication, its own envelope) stays inside the adapter. Each peer names its transport
(``ExchangePeer.transport``, ``http`` unless set); :func:`register_transport` makes one more
name known and :func:`transport_for` picks the class for a route.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import requests

from edoc.core.atomic import write_atomically
from edoc.exchange.keys import INBOX_PATH

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0


@dataclass(frozen=True)
class Route:
    """Where a package goes next: the recipient itself (``peer``/``member``) or the hub."""

    organ_code: str  # the next hop's organ code
    endpoint: str
    kind: str
    transport: str = "http"  # the registered transport that carries packages to it


class DeliveryFailed(Exception):
    def __init__(self, retryable: bool, reason: str) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.reason = reason


class Transport(Protocol):
    def deliver(self, route: Route, package: bytes, message_id: str) -> None:
        """Hand ``package`` to ``route``; raise :class:`DeliveryFailed` when it was not taken."""


#: Builds the transport for one drain; called with no argument, inside the app context.
TransportFactory = Callable[[], Transport]

TRANSPORTS: dict[str, TransportFactory] = {}


def register_transport(name: str, factory: TransportFactory) -> None:
    """Make ``name`` a transport a peer can be configured with (the HTTP one is registered by
    :mod:`edoc.exchange.delivery`; an adapter registers its own when its module is imported)."""
    TRANSPORTS[name] = factory


def transport_names() -> list[str]:
    return sorted(TRANSPORTS)


def transport_for(route: Route) -> Transport:
    """The transport the route's peer is configured with; a name no longer registered (the
    adapter removed) fails the delivery for retry, so an operator can fix it without loss."""
    factory = TRANSPORTS.get(route.transport)
    if factory is None:
        raise DeliveryFailed(True, f"{route.organ_code}: unknown transport {route.transport!r}")
    return factory()


class HttpTransport:
    """POST to the peer's ``/api/v1/exchange/inbox``, signed with the agency key.

    ``sign(body)`` gives the authentication headers (:func:`edoc.exchange.keys.sign_request`);
    it is passed in so this class stays a plain HTTP client.
    """

    def __init__(self, sign: Callable[[bytes], dict[str, str]]) -> None:
        self._sign = sign

    def deliver(self, route: Route, package: bytes, message_id: str) -> None:
        if not route.endpoint:
            raise DeliveryFailed(False, f"{route.organ_code}: no endpoint configured")
        url = route.endpoint.rstrip("/") + INBOX_PATH
        headers = {"Content-Type": "application/xml", **self._sign(package)}
        try:
            response = requests.post(
                url,
                data=package,
                headers=headers,
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise DeliveryFailed(True, f"{url}: {type(error).__name__}") from None
        if 200 <= response.status_code < 300:
            return
        reason = f"{url}: HTTP {response.status_code} {_error_code(response)}".strip()
        # 401/403: the request was not taken as coming from us (clocks apart, a certificate
        # renewed on one side only, the peer not yet configured there): an operator can fix
        # that, so keep trying; the package itself was never judged, so it is no refusal.
        retryable = response.status_code >= 500 or response.status_code in {401, 403, 408, 429}
        if 300 <= response.status_code < 400:
            retryable = False  # redirects are not followed: the endpoint is misconfigured
        raise DeliveryFailed(retryable, reason)


def _error_code(response: requests.Response) -> str:
    try:
        error = response.json().get("error", {})
        return f"{error.get('code', '')}: {error.get('message', '')}"[:300]
    except (ValueError, AttributeError):
        return ""


_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class FileTransport:
    """Writes ``<message_id>.edxml`` into a directory (a shared folder, a USB stick), whole or
    not at all: written under a temporary name, then renamed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def deliver(self, route: Route, package: bytes, message_id: str) -> None:
        if not _SAFE_ID.match(message_id) or message_id.startswith("."):
            raise DeliveryFailed(False, f"unsafe message id {message_id!r}")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_atomically(self.directory / f"{message_id}.edxml", package)
        except OSError as error:
            raise DeliveryFailed(True, f"{self.directory}: {error.strerror}") from None
