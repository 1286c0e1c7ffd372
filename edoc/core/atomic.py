"""Files written whole: a reader finds the old content or the new one, never half of it."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a hidden draft beside ``path``, flush it to disk, then rename it over
    ``path`` (a rename within one directory is atomic).

    The draft is always a new file (created exclusively after removing whatever bears its
    name): in a folder others can write to (the exchange's shared folder), a link planted
    under the draft's name would otherwise carry the write to the file it points to."""
    draft = path.with_name(f".{path.name}.partial")
    draft.unlink(missing_ok=True)  # a draft a crash left, or a link in its place (not followed)
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(draft, path)
