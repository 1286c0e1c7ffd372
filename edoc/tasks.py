"""Every background task, imported by ``edoc worker`` so the consumer knows them all."""

from __future__ import annotations

from edoc.dossiers.tasks import export_task

__all__ = ["export_task"]
