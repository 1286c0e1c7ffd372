"""``edoc import-legacy --edxml DIR``: a folder of ``.edxml`` packages another system exported,
received one by one through the exchange area's own import (:func:`edoc.exchange.files.
import_package`: the same checks, deduplication by message id and audit as a package brought
by hand), then checked at once. A second run finds each package already received."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from edoc.audit.services import Actor
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.exchange.files import import_package
from edoc.exchange.worker import drain

MAX_PACKAGE_BYTES = 512 * 1024 * 1024


@dataclass
class EdxmlReport:
    accepted: list[str] = field(default_factory=list)
    already_received: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # file name → reason
    checked: int = 0

    def readable(self) -> str:
        lines = [
            f"Gói edXML nhận mới: {len(self.accepted)}",
            f"Đã nhận từ trước: {len(self.already_received)}",
            f"Bị từ chối: {len(self.refused)}",
        ]
        lines += [f"  {name}: {reason}" for name, reason in sorted(self.refused.items())]
        return "\n".join(lines) + "\n"


def import_edxml_folder(folder: Path, actor: Actor) -> EdxmlReport:
    report = EdxmlReport()
    for path in sorted(folder.rglob("*.edxml")):
        if path.is_symlink() or not path.is_file():
            report.refused[path.name] = "không phải tệp thường"
            continue
        if path.stat().st_size > MAX_PACKAGE_BYTES:
            report.refused[path.name] = "gói quá lớn"
            continue
        try:
            accepted = import_package(path.read_bytes(), actor)
        except AppError as error:
            db.session.rollback()
            report.refused[path.name] = error.message
            continue
        target = report.already_received if accepted.already_received else report.accepted
        target.append(accepted.message_id)
    report.checked = drain().checked
    return report
