"""What the benchmarks share: content made on the fly, so a large input never sits in memory."""

from __future__ import annotations

import argparse
import hashlib
import io

MB = 1024 * 1024


class Generated(io.RawIOBase):
    """``size`` pseudo-random bytes made on the fly (never held in memory)."""

    def __init__(self, size: int, seed: bytes) -> None:
        self.remaining = size
        self.block = hashlib.sha512(seed).digest() * (MB // 64)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), self.remaining, len(self.block))
        buffer[:count] = self.block[:count]
        self.remaining -= count
        return count


def whole_number_options(description: str, **defaults: int) -> argparse.Namespace:
    """The command line of a benchmark whose options are all sizes and counts: ``--name``
    (``large_mb`` → ``--large-mb``) for each keyword, a whole number defaulting to its value."""
    parser = argparse.ArgumentParser(description=description)
    for name, default in defaults.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    return parser.parse_args()
