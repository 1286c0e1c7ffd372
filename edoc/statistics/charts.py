"""Bar charts drawn on the server as SVG: no script, readable on a phone (the drawing scales
to the page's width through its ``viewBox``), printable, and the numbers stay in the page text
for screen readers (each chart has a title and every bar its own ``<title>``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 480  # small enough that a phone (about 350 px of page) shows 12 px text at ~9 px
LABEL_WIDTH = 150
BAR_HEIGHT = 18
GAP = 8
TOP = 6


@dataclass(frozen=True)
class Segment:
    label: str
    value: int
    colour: str


@dataclass(frozen=True)
class Bar:
    label: str
    segments: Sequence[Segment]

    @property
    def total(self) -> int:
        return sum(s.value for s in self.segments)


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(title: str, bars: Sequence[Bar], legend: Sequence[Segment] = ()) -> Markup:
    """Horizontal bars, one per row, each split into coloured segments; ``legend`` names the
    colours (shown under the bars when there is more than one kind)."""
    largest = max((bar.total for bar in bars), default=0) or 1
    span = WIDTH - LABEL_WIDTH - 40
    legend_rows = 1 if legend else 0
    height = TOP + len(bars) * (BAR_HEIGHT + GAP) + legend_rows * (BAR_HEIGHT + GAP) + 4
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="sans-serif" font-size="12"><title>{escape(title)}</title>'
    ]
    for index, bar in enumerate(bars):
        y = TOP + index * (BAR_HEIGHT + GAP)
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT - 5}" text-anchor="end">'
            f"{escape(_short(bar.label))}<title>{escape(bar.label)}</title></text>"
        )
        x = float(LABEL_WIDTH)
        for segment in bar.segments:
            if not segment.value:
                continue
            width = span * segment.value / largest
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" '
                f'fill="{segment.colour}"><title>{escape(bar.label)} – '
                f"{escape(segment.label)}: {segment.value}</title></rect>"
            )
            x += width
        parts.append(f'<text x="{x + 4:.1f}" y="{y + BAR_HEIGHT - 5}">{bar.total}</text>')
    if legend:
        y = TOP + len(bars) * (BAR_HEIGHT + GAP)
        x = 0.0
        for item in legend:
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="12" height="12" fill="{item.colour}"/>'
                f'<text x="{x + 16:.1f}" y="{y + 13}">{escape(item.label)}</text>'
            )
            x += 22 + 6.5 * len(item.label)
    parts.append("</svg>")
    return Markup("".join(parts))
