"""The signing authority block (thẩm quyền ký) in full, as ND30 Appendix I prints it.

Above the leader's signature go upper-case title lines, and they say more than the signer's own
title: on whose behalf the signer signs. The draft names the kind (``authority_prefix``: "",
TM., KT., Q., TL., TUQ.) and the title it is signed under (``Document.signer_title``: the
signer's own title unless the drafter typed another); the agency's settings give the collective's
name and the head's title (:func:`edoc.documents.agency.signing_titles`). The lines:

======  ===============================================  =======================================
kind    lines                                            who signs
======  ===============================================  =======================================
""      ``CHỦ TỊCH``                                     the head, in their own name
TM.     ``TM. ỦY BAN NHÂN DÂN`` / ``CHỦ TỊCH``            the head, on behalf of the collective;
        ``TM. ỦY BAN NHÂN DÂN`` / ``KT. CHỦ TỊCH`` /      a deputy on behalf of the collective
        ``PHÓ CHỦ TỊCH``
KT.     ``KT. CHỦ TỊCH`` / ``PHÓ CHỦ TỊCH``               a deputy, for the head
Q.      ``Q. GIÁM ĐỐC``                                  the acting head (one line)
TL.     ``TL. GIÁM ĐỐC`` / ``CHÁNH VĂN PHÒNG``            by order of the head
TUQ.    ``TUQ. GIÁM ĐỐC`` / ``TRƯỞNG PHÒNG …``            by the head's written authorisation
======  ===============================================  =======================================

The lines are worked out when the leader signs (the appearance is drawn then), from the titles in
force at that moment; the drafting form and the submission check them first, so a draft whose
block cannot be printed is refused with the reason before it reaches the leader.
"""

from __future__ import annotations

import unicodedata

from flask_babel import gettext as _

from edoc.core.errors import ValidationError
from edoc.documents.agency import SigningTitles, signing_titles
from edoc.outgoing.models import OutgoingDocument
from edoc.users.models import User

#: Kinds printed "<kind> <head's title>" over the signer's own title (Q.: over nothing).
FOR_THE_HEAD = ("KT.", "Q.", "TL.", "TUQ.")


def upper(title: str) -> str:
    """A title line as ND30 prints it: upper case, single spaces, one glyph per letter."""
    return unicodedata.normalize("NFC", " ".join(title.split())).upper()


def same_title(one: str, other: str) -> bool:
    """Whether two titles are the same whatever their case and spacing ("Phó Chủ tịch")."""
    return bool(one.strip()) and upper(one) == upper(other)


def authority_errors(kind: str, signer_title: str, titles: SigningTitles) -> dict[str, str]:
    """Why the block of ``kind`` cannot be printed for this signer's title, field by field
    (empty when it can). ``signer_title`` may still be empty while no signer is chosen."""
    errors: dict[str, str] = {}
    if kind == "TM." and not titles.collective_name.strip():
        errors["authority_prefix"] = _(
            "Chưa khai báo tên tập thể lãnh đạo của cơ quan (Quản trị › Đơn vị) để ký thay mặt "
            "(TM.)."
        )
    elif kind in FOR_THE_HEAD and not titles.head_title.strip():
        errors["authority_prefix"] = _(
            "Chưa khai báo chức vụ người đứng đầu cơ quan (Quản trị › Đơn vị) để ký %(k)s.",
            k=kind,
        )
    elif kind == "KT." and same_title(signer_title, titles.head_title):
        errors["signer_title"] = _(
            "Ký thay (KT.) là cấp phó ký thay người đứng đầu: chức vụ người ký phải khác %(h)s.",
            h=titles.head_title,
        )
    return errors


def title_lines(kind: str, signer_title: str, titles: SigningTitles) -> list[str]:
    """The block's lines, top to bottom, upper case (see the module's table).

    Raises :class:`ValidationError` when they cannot be printed: a setting of the agency is
    missing, the signer has no title, or a head "signs for" themselves.
    """
    errors = authority_errors(kind, signer_title, titles)
    if not signer_title.strip() and kind != "Q.":
        errors.setdefault("signer_title", _("Chưa có chức vụ của người ký."))
    if errors:
        raise ValidationError(
            "authority_incomplete",
            _("Chưa ghi được thẩm quyền ký: %(e)s", e=" ".join(errors.values())),
            details=errors,
        )
    signer, head = upper(signer_title), upper(titles.head_title)
    if kind == "TM.":
        deputy = [f"KT. {head}"] if head and signer != head else []
        return [f"TM. {upper(titles.collective_name)}", *deputy, signer]
    if kind == "Q.":
        return [f"Q. {head}"]
    if kind in FOR_THE_HEAD:
        return [f"{kind} {head}", signer]
    return [signer]


def signer_title(outgoing: OutgoingDocument, signer: User | None = None) -> str:
    """The title the draft is signed under, as typed ("Phó Chủ tịch"): the one the draft names,
    else its signer's own. What the signing page compares, case aside, with the title in the
    leader's certificate. ``signer`` defaults to the draft's chosen signer."""
    chosen = signer or outgoing.signer
    return outgoing.document.signer_title or (chosen.title if chosen else "")


def authority_lines(outgoing: OutgoingDocument, signer: User | None = None) -> list[str]:
    """The draft's block in full, with the agency's titles in force now (:func:`title_lines`)."""
    return title_lines(outgoing.authority_prefix, signer_title(outgoing, signer), signing_titles())


def competence(outgoing: OutgoingDocument) -> str:
    """The lines above the signer's own title on one line ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ
    TỊCH"): edXML's SignerInfo/Competence. Empty when the head signs in their own name or the
    block cannot be worked out (the settings were cleared since)."""
    try:
        lines = authority_lines(outgoing)
    except ValidationError:
        return outgoing.authority_prefix
    if outgoing.authority_prefix == "Q.":
        return lines[0]
    return " ".join(lines[:-1])
