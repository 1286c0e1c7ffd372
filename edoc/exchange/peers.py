"""The systems this installation exchanges with, and the route a package takes to an organ."""

from __future__ import annotations

from asn1crypto import x509
from flask_babel import gettext as _
from sqlalchemy import select

from edoc.audit.services import Actor, record
from edoc.core.errors import ValidationError
from edoc.core.extensions import db
from edoc.core.organ_codes import EXAMPLE, is_organ_code
from edoc.exchange.keys import pem_to_der
from edoc.exchange.models import ExchangePeer, PeerKind
from edoc.exchange.transport import Route, transport_names


def save_peer(
    organ_code: str,
    *,
    name: str,
    endpoint: str,
    certificate_pem: str,
    kind: str,
    actor: Actor,
    active: bool = True,
    transport: str | None = None,
) -> ExchangePeer:
    """Add or update the peer ``organ_code`` (the one way a peer row is written); ``transport``
    None keeps the one it has (``http`` for a new peer)."""
    errors: dict[str, str] = {}
    known = db.session.scalar(select(ExchangePeer).where(ExchangePeer.organ_code == organ_code))
    if transport is None:
        transport = known.transport if known is not None and known.transport else "http"
    if kind not in {k.value for k in PeerKind}:
        errors["kind"] = _("Loại kết nối phải là peer, hub hoặc member.")
    if transport not in transport_names():
        errors["transport"] = _(
            "Cách truyền gói tin %(t)s chưa được hỗ trợ (có: %(known)s).",
            t=transport,
            known=", ".join(transport_names()),
        )
    if not organ_code.strip():
        errors["organ_code"] = _("Cần nhập mã định danh cơ quan.")
    elif not is_organ_code(organ_code):
        errors["organ_code"] = _(
            "Mã định danh %(c)s không đúng dạng %(e)s.", c=organ_code, e=EXAMPLE
        )
    if not name.strip():
        errors["name"] = _("Cần nhập tên cơ quan.")
    if endpoint and not endpoint.startswith(("http://", "https://")):
        errors["endpoint"] = _("Địa chỉ kết nối phải bắt đầu bằng http:// hoặc https://.")
    try:
        der = pem_to_der(certificate_pem)
        x509.Certificate.load(der).native  # noqa: B018  (parse it fully now, not at first use)
    except Exception:
        errors["certificate"] = _("Chứng thư số của cơ quan không đọc được (cần tệp PEM).")
    if errors:
        raise ValidationError("invalid_peer", _("Thông tin kết nối chưa hợp lệ."), details=errors)
    peer = known
    if peer is None:
        peer = ExchangePeer(organ_code=organ_code)
        db.session.add(peer)
    peer.name = name.strip()
    peer.endpoint = endpoint.strip()
    peer.certificate = certificate_pem.strip() + "\n"
    peer.kind = kind
    peer.transport = transport
    peer.active = active
    db.session.flush()
    record(
        "exchange.peer_saved",
        actor=actor,
        object_type="exchange_peer",
        object_id=peer.id,
        organ_code=peer.organ_code,
        kind=kind,
        transport=transport,
        endpoint=peer.endpoint,
        active=active,
    )
    return peer


def peers() -> list[ExchangePeer]:
    return list(db.session.scalars(select(ExchangePeer).order_by(ExchangePeer.organ_code)))


def peer(organ_code: str) -> ExchangePeer | None:
    """The active peer, hub or member with this organ code."""
    return db.session.scalar(
        select(ExchangePeer).where(
            ExchangePeer.organ_code == organ_code, ExchangePeer.active.is_(True)
        )
    )


def pinned_certificate(organ_code: str) -> str | None:
    known = peer(organ_code)
    return known.certificate if known is not None else None


def is_member(organ_code: str) -> bool:
    known = peer(organ_code)
    return known is not None and known.kind == PeerKind.MEMBER


def route_for(organ_code: str) -> Route | None:
    """Directly to the organ when it is a peer or (on a hub) a member; else through the hub;
    None when neither is configured."""
    direct = peer(organ_code)
    if direct is not None:
        return Route(direct.organ_code, direct.endpoint, direct.kind, direct.transport)
    hub = db.session.scalar(
        select(ExchangePeer)
        .where(ExchangePeer.kind == PeerKind.HUB, ExchangePeer.active.is_(True))
        .order_by(ExchangePeer.id)
        .limit(1)
    )
    if hub is not None:
        return Route(hub.organ_code, hub.endpoint, hub.kind, hub.transport)
    return None
