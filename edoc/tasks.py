"""Every background task, imported by ``edoc worker`` so the consumer knows them all."""

from __future__ import annotations
