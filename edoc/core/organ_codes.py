"""Organ codes (mã định danh điện tử của cơ quan, tổ chức), as QĐ 20/2020/QĐ-TTg writes them.

Four levels from the most local to the top: ``000.00.00.H30`` is level 4 (3 digits), level 3
(2 digits), level 2 (2 digits) and level 1 (a letter and 2 digits: G for ministries and
central bodies, H for provinces …). The one definition for the settings (``EDOC_ORGAN_ID``),
the directory of agencies and what comes from other agencies, so a code accepted in one place
is accepted in all.
"""

from __future__ import annotations

import re

ORGAN_CODE = re.compile(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}")
EXAMPLE = "000.00.00.H30"


def is_organ_code(value: str) -> bool:
    """Whether ``value`` is exactly one organ code (no spaces, upper-case letter)."""
    return ORGAN_CODE.fullmatch(value) is not None
