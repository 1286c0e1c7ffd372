"""Enums whose members carry their Vietnamese label, written beside the value.

::

    class Clearance(LabelledIntEnum):
        NONE = 0, _l("Không")
        MAT = 1, _l("Mật")

``Clearance(1)`` and ``Clearance.MAT == 1`` work as with any IntEnum; ``Clearance.MAT.label``
is the label in the current locale, and :func:`labels` gives the member → label mapping that
select boxes list.
"""

from __future__ import annotations

import enum
from typing import Any, TypeVar


def _new_member(cls: Any, value: Any, label: Any) -> Any:
    member = cls._member_type_.__new__(cls, value)
    member._value_ = value
    member._label = label
    return member


def _label(member: Any) -> str:
    return str(member._label)


class LabelledIntEnum(enum.IntEnum):
    __new__ = _new_member  # type: ignore[assignment]
    label = property(_label)


class LabelledStrEnum(enum.StrEnum):
    __new__ = _new_member  # type: ignore[assignment]
    label = property(_label)


E = TypeVar("E", LabelledIntEnum, LabelledStrEnum)


def labels(kind: type[E]) -> dict[E, Any]:
    """Each member and its (lazy) label, in declaration order."""
    return {member: member._label for member in kind}
