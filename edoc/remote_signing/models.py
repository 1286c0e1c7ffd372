"""Remote-signing credentials of leaders and the activations (SADs) issued for them."""

from __future__ import annotations

from datetime import datetime

from asn1crypto import x509
from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.core.clock import utcnow
from edoc.core.extensions import db
from edoc.users.models import User

#: The provider name of the agency's own service (keys in the agency's HSM).
AGENCY_PROVIDER = "agency"


class RemoteCredential(db.Model):
    """A leader's signing key held remotely: in the agency HSM (``provider == "agency"``, the
    key found by token and object label) or at a commercial CSC provider (``provider`` names
    its configuration; ``credential_id`` is the provider's).

    ``totp_seed_sealed`` is the shared seed of the leader's authenticator app (agency
    credentials), sealed with AES-GCM under a key outside the database (``seeds``). The codes
    themselves are never stored, only the time step of the last one accepted, so a code
    cannot be used twice. Wrong codes count in ``failed_attempts``; at the limit the
    credential locks, like a token PIN, until an administrator unlocks it.
    """

    __tablename__ = "remote_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(32), default=AGENCY_PROVIDER)
    description: Mapped[str] = mapped_column(String(255), default="")
    token_label: Mapped[str] = mapped_column(String(64), default="")
    cert_label: Mapped[str] = mapped_column(String(64), default="")
    certificate: Mapped[bytes] = mapped_column(LargeBinary)
    totp_seed_sealed: Mapped[str | None] = mapped_column(String(160))
    totp_confirmed_at: Mapped[datetime | None]
    last_otp_step: Mapped[int] = mapped_column(default=0)
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()

    @property
    def locked(self) -> bool:
        return self.locked_at is not None

    @property
    def certificate_title(self) -> str:
        """The title (chức danh) the certificate carries, compared with the draft's."""
        return str(x509.Certificate.load(self.certificate).subject.native.get("title") or "")

    @property
    def enrolled(self) -> bool:
        """Ready for a second factor: the agency's TOTP confirmed, or a provider's own."""
        if self.provider != AGENCY_PROVIDER:
            return True
        return self.totp_seed_sealed is not None and self.totp_confirmed_at is not None


class RemoteActivation(db.Model):
    """One SAD issued by ``credentials/authorize``; ``used_at`` makes it single-use (the SAD
    itself is sealed and not stored: only its nonce, to refuse it a second time)."""

    __tablename__ = "remote_activations"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(32), unique=True)
    credential_pk: Mapped[int] = mapped_column(
        ForeignKey("remote_credentials.id", ondelete="CASCADE"), index=True
    )
    num_signatures: Mapped[int]
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
