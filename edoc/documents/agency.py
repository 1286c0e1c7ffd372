"""The agency this installation serves: the issuer of its documents and the head of its
registers and reports."""

from __future__ import annotations

from dataclasses import dataclass

from edoc.users.services import agency_unit


@dataclass(frozen=True)
class SigningTitles:
    """What ND30 prints above a signature besides the signer's own title (empty: not set)."""

    collective_name: str  # after "TM.": "Ủy ban nhân dân"
    head_title: str  # after "KT.", "Q.", "TL.", "TUQ.": "Chủ tịch"


def agency_name() -> str:
    """The issuing body: the top organisational unit."""
    root = agency_unit()
    return root.name if root else ""


def agency_code() -> str:
    root = agency_unit()
    return root.code if root else ""


def signing_titles() -> SigningTitles:
    """The agency's signing titles, as the administrator set them (Quản trị › Đơn vị)."""
    root = agency_unit()
    if root is None:
        return SigningTitles("", "")
    return SigningTitles(root.collective_name, root.head_title)
