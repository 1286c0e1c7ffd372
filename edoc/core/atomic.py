"""Files written whole: a reader finds the old content or the new one, never half of it."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a hidden draft beside ``path``, flush it to disk, then rename it over
    ``path`` (a rename within one directory is atomic)."""
    draft = path.with_name(f".{path.name}.partial")
    with open(draft, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(draft, path)
