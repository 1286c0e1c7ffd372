"""The leader's TOTP seed is sealed at rest: the database alone cannot make one-time codes."""

from __future__ import annotations

import pyotp
import pytest
from flask import Flask
from sqlalchemy import text

from edoc.core.errors import Conflict
from edoc.core.extensions import db
from edoc.remote_signing import seeds, services
from edoc.remote_signing.models import RemoteCredential
from edoc.users.models import User
from signing import pki as labels
from tests.fixtures.remote_signing import give_credential


def _raw_seed_column(credential_pk: int) -> str:
    return db.session.execute(
        text("SELECT totp_seed_sealed FROM remote_credentials WHERE id = :pk"),
        {"pk": credential_pk},
    ).scalar_one()


def test_the_database_never_holds_the_seed(csc_service: Flask) -> None:
    leader = give_credential(csc_service)
    with csc_service.app_context():
        stored = _raw_seed_column(leader.credential_pk)
        assert stored.startswith(seeds.PREFIX)
        assert leader.totp_secret not in stored
        assert leader.totp_secret.lower() not in stored.lower()
        key_file = csc_service.config["EDOC"].data_dir / "csc_seed_key"
        assert key_file.stat().st_mode & 0o777 == 0o600
        credential = db.session.get(RemoteCredential, leader.credential_pk)
        assert credential is not None
        assert services.totp_seed(credential) == leader.totp_secret


def test_a_sealed_seed_moved_to_another_credential_does_not_open(csc_service: Flask) -> None:
    leader = give_credential(csc_service)
    with csc_service.app_context():
        user = db.session.scalars(db.select(User).where(User.username == "lanhdao")).one()
        other = services.create_agency_credential(
            user, token_label="lanh-dao", cert_label=labels.LEADER
        )
        db.session.commit()
        db.session.execute(
            text("UPDATE remote_credentials SET totp_seed_sealed = :s WHERE id = :pk"),
            {"s": _raw_seed_column(leader.credential_pk), "pk": other.id},
        )
        db.session.commit()
        moved = db.session.get(RemoteCredential, other.id)
        assert moved is not None
        db.session.refresh(moved)
        with pytest.raises(Conflict) as refused:
            services.totp_seed(moved)
        assert refused.value.code == "seed_unreadable"
        with pytest.raises(seeds.SeedUnreadable):
            seeds.open_seed(
                csc_service.config["EDOC"].csc_seed_key_material(),
                moved.credential_id,
                moved.totp_seed_sealed or "",
            )


def test_a_seed_under_another_key_does_not_open(csc_service: Flask) -> None:
    leader = give_credential(csc_service)
    with csc_service.app_context():
        stored = _raw_seed_column(leader.credential_pk)
        with pytest.raises(seeds.SeedUnreadable):
            seeds.open_seed(b"another installation's key" * 2, leader.credential_id, stored)


def test_a_plaintext_row_from_before_is_sealed_at_first_use(csc_service: Flask) -> None:
    leader = give_credential(csc_service)
    with csc_service.app_context():
        db.session.execute(
            text("UPDATE remote_credentials SET totp_seed_sealed = :s WHERE id = :pk"),
            {"s": leader.totp_secret, "pk": leader.credential_pk},
        )
        db.session.commit()
        user = db.session.scalars(db.select(User).where(User.username == "lanhdao")).one()
        credential = db.session.get(RemoteCredential, leader.credential_pk)
        assert credential is not None
        db.session.refresh(credential)
        services.check_otp(credential, user, pyotp.TOTP(leader.totp_secret).now())
        db.session.commit()
        stored = _raw_seed_column(leader.credential_pk)
        assert stored.startswith(seeds.PREFIX) and leader.totp_secret not in stored
