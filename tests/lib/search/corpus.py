"""The documents every backend is held to: small, hand-written, each there for a reason."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

from search.base import SECRECY_NONE, IndexDocument

D = dt.date

# The named documents live in corpus.toml, each with the reason it is there, in this order.
_TABLES = tomllib.loads(Path(__file__).with_name("corpus.toml").read_text(encoding="utf-8"))
NAMED = [IndexDocument(**fields) for fields in _TABLES.values()]
STORM, REPORT, ENVIRONMENT, SECRET_PLAN, TOP_SECRET, SCRIPT, RECRUIT, PUBLIC_BUDGET = NAMED

# 25 routine documents sharing one phrase, one a day in January 2023: paging and date order.
MEETINGS = [
    IndexDocument(
        id=f"mtg:{i:02d}",
        direction="incoming" if i % 2 else "outgoing",
        subject=f"Giấy mời dự hội nghị tổng kết lần {i}",
        number_notation=f"{200 + i}/GM-VP",
        body="Kính mời đồng chí dự hội nghị tổng kết công tác năm.",
        doc_type="Giấy mời",
        sender="Văn phòng UBND tỉnh" if i % 2 else None,
        unit="Văn phòng",
        urgency="Thường",
        secrecy=SECRECY_NONE,
        status="done",
        arrival_date=D(2023, 1, i),
    )
    for i in range(1, 26)
]

ALL = NAMED + MEETINGS
BY_ID = {d.id: d for d in ALL}


def incoming(id: str, **fields: Any) -> IndexDocument:
    """A one-off incoming document for one test."""
    return IndexDocument(id=id, direction="incoming", **fields)


def visible(clearance: int) -> list[IndexDocument]:
    return [d for d in ALL if d.secrecy <= clearance]
