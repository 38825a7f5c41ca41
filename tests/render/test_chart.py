"""Burn-down chart: the PNG is decoded here with zlib + struct and checked pixel by pixel.

Positions are computed in the test from the plot box and the window, not with the module's
own mapping, so a chart drawn in the wrong place fails.
"""

from __future__ import annotations

import copy
import struct
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from daemon.render.chart import (
    ACTUAL,
    AXIS,
    BACKGROUND,
    EXHAUSTED,
    GRID,
    IDEAL,
    PAGE_BAND,
    TEXT,
    TICKET_BAND,
    plot_box,
    render_chart,
)

RGB = tuple[int, int, int]
START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)  # a calendar quarter, 92 days


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    rows: list[bytes]

    def at(self, x: int, y: int) -> RGB:
        i = 4 * x
        r, g, b, a = self.rows[y][i : i + 4]
        assert a == 255, "the chart is opaque"
        return r, g, b

    def near(self, x: int, y: int, colour: RGB, radius: int = 2) -> bool:
        return any(
            self.at(x + dx, y + dy) == colour
            for dx in range(-radius, radius + 1)
            for dy in range(-radius, radius + 1)
        )

    def count(self, colour: RGB, box: tuple[int, int, int, int] | None = None) -> int:
        x0, y0, x1, y1 = box or (0, 0, self.width, self.height)
        return sum(self.at(x, y) == colour for y in range(y0, y1) for x in range(x0, x1))


def decode(png: bytes) -> Image:
    """Minimal PNG reader for what the writer produces: 8-bit RGBA, filter type 0."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(png):
        length, tag = struct.unpack(">I4s", png[pos : pos + 8])
        data = png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(tag + data), tag
        chunks.append((tag, data))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour_type, interlace) == (8, 6, 0)
    raw = zlib.decompress(b"".join(data for tag, data in chunks if tag == b"IDAT"))
    stride = 1 + 4 * width
    assert len(raw) == stride * height
    assert all(raw[y * stride] == 0 for y in range(height)), "filter type 0 on every row"
    rows = [raw[y * stride + 1 : (y + 1) * stride] for y in range(height)]
    return Image(width, height, rows)


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def at_fraction(share: float, start: datetime = START, end: datetime = END) -> datetime:
    return start + (end - start) * share


def pixel(
    share: float, value: float, y_top: float = 1.0, size: tuple[int, int] = (900, 420)
) -> tuple[int, int]:
    """Where (start + share of the window, value consumed) should land."""
    left, top, right, bottom = plot_box(*size)
    return round(left + share * (right - left)), round(bottom - value / y_top * (bottom - top))


def blended(band: tuple[RGB, float]) -> RGB:
    colour, alpha = band
    r, g, b = (round(s + (c - s) * alpha) for s, c in zip(BACKGROUND, colour, strict=True))
    return r, g, b


def slo(
    points: list[tuple[float, float]],
    *,
    elapsed: float = 0.4,
    projected: float | None = 0.85,
    firings: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One slos[] entry over the quarter; points are (share of the window, consumed)."""
    return {
        "name": "availability",
        "objective": 99.9,
        "window": {
            "kind": "calendar",
            "label": "quarter",
            "start": rfc3339(START),
            "end": rfc3339(END),
            "elapsed_fraction": elapsed,
        },
        "budget": None
        if projected is None
        else {"consumed_fraction": points[-1][1], "projected_fraction_at_window_end": projected},
        "burn_down": [
            {"t": rfc3339(at_fraction(share)), "consumed_fraction": value}
            for share, value in points
        ],
        "firings": firings,
    }


# Consumed 34 % in 40 % of the quarter: projection 85 %, so the y axis stops at 100 %.
POINTS = [(0.0, 0.0), (0.1, 0.02), (0.2, 0.30), (0.3, 0.32), (0.4, 0.34)]
FIRINGS: list[dict[str, Any]] = [
    {"severity": "page", "start": rfc3339(at_fraction(0.15)), "end": rfc3339(at_fraction(0.25))},
    {"severity": "ticket", "start": rfc3339(at_fraction(0.35)), "end": None},
]


def test_image_has_the_requested_size() -> None:
    default = decode(render_chart(slo(POINTS)))
    assert (default.width, default.height) == (900, 420)
    small = decode(render_chart(slo(POINTS), width=400, height=220))
    assert (small.width, small.height) == (400, 220)


def test_too_small_a_chart_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        render_chart(slo(POINTS), width=100, height=100)


def test_axes_run_along_the_plot_box() -> None:
    image = decode(render_chart(slo(POINTS)))
    left, top, right, bottom = plot_box(900, 420)
    assert image.at(left, (top + bottom) // 2 + 7) == AXIS
    assert image.at((left + right) // 2 + 7, bottom) == AXIS


def test_ideal_line_is_at_half_the_budget_half_way_through_the_window() -> None:
    image = decode(render_chart(slo(POINTS)))
    # dashed: some pixel of a dash is within reach of the exact point
    assert image.near(*pixel(0.5, 0.5), IDEAL, radius=6)
    assert not image.near(*pixel(0.5, 0.25), IDEAL, radius=6)
    assert image.near(*pixel(0.9, 0.9), IDEAL, radius=6)


def test_actual_curve_passes_through_the_burn_down_points() -> None:
    image = decode(render_chart(slo(POINTS)))
    assert image.near(*pixel(0.2, 0.30), ACTUAL)
    assert image.near(*pixel(0.1, 0.02), ACTUAL)
    assert not image.near(*pixel(0.2, 0.60), ACTUAL, radius=4)
    assert not image.near(*pixel(0.1, 0.30), ACTUAL, radius=4)


def test_points_are_drawn_in_time_order_whatever_their_order_in_the_pack() -> None:
    assert render_chart(slo(POINTS[::-1])) == render_chart(slo(POINTS))


def test_firing_bands_cover_their_span_only() -> None:
    image = decode(render_chart(slo(POINTS, firings=FIRINGS)))
    page, ticket = blended(PAGE_BAND), blended(TICKET_BAND)
    assert image.at(*pixel(0.2, 0.875)) == page
    assert image.at(*pixel(0.1, 0.875)) in (BACKGROUND, GRID)
    assert image.at(*pixel(0.27, 0.875)) in (BACKGROUND, GRID)
    # an open firing (end null) runs to the last point, not to the window end
    assert image.at(*pixel(0.375, 0.875)) == ticket
    assert image.at(*pixel(0.55, 0.875)) in (BACKGROUND, GRID)


def test_a_firing_outside_the_window_is_not_drawn() -> None:
    before = [
        {
            "severity": "page",
            "start": rfc3339(START - timedelta(days=3)),
            "end": rfc3339(START - timedelta(days=2)),
        }
    ]
    image = decode(render_chart(slo(POINTS, firings=before)))
    left, top, _, bottom = plot_box(900, 420)
    assert image.count(blended(PAGE_BAND), (left, top, left + 10, bottom)) == 0


def test_lines_are_drawn_over_the_bands() -> None:
    image = decode(render_chart(slo(POINTS, firings=FIRINGS)))
    assert image.near(*pixel(0.2, 0.30), ACTUAL)
    assert image.near(*pixel(0.2, 1.0), EXHAUSTED, radius=1)


def test_budget_exhausted_line_at_100_percent() -> None:
    image = decode(render_chart(slo(POINTS)))
    for share in (0.05, 0.5, 0.95):
        assert image.near(*pixel(share, 1.0), EXHAUSTED, radius=1)
        assert not image.near(*pixel(share, 0.5), EXHAUSTED, radius=3)


@pytest.mark.parametrize(
    ("points", "projected", "y_top"),
    [
        pytest.param([(0.0, 0.0), (0.3, 1.8), (0.4, 1.8)], None, 2.0, id="points-above-100"),
        pytest.param([(0.0, 0.0), (0.16, 0.56)], 3.5, 3.5, id="projection-above-100"),
        pytest.param([(0.0, 0.0), (0.01, 0.2)], 20.0, 4.0, id="projection-capped"),
    ],
)
def test_values_above_100_percent_extend_the_y_axis(
    points: list[tuple[float, float]], projected: float | None, y_top: float
) -> None:
    image = decode(render_chart(slo(points, elapsed=points[-1][0], projected=projected)))
    assert image.near(*pixel(0.7, 1.0, y_top), EXHAUSTED, radius=1)
    assert not image.near(*pixel(0.7, 1.0), EXHAUSTED, radius=3)
    share, value = points[-1]
    assert image.near(*pixel(share, value, y_top), ACTUAL)


def test_projection_runs_from_the_last_point_to_the_window_end() -> None:
    _, top, right, bottom = plot_box(900, 420)
    after_last = (pixel(0.4, 0)[0] + 6, top, right + 1, bottom)
    with_budget = decode(render_chart(slo(POINTS)))
    assert with_budget.near(*pixel(1.0, 0.85), ACTUAL, radius=3)
    assert with_budget.near(*pixel(0.7, 0.595), ACTUAL, radius=4)
    without_budget = decode(render_chart(slo(POINTS, projected=None)))
    assert without_budget.count(ACTUAL, after_last) == 0
    assert with_budget.count(ACTUAL, after_last) > 50


def test_rolling_window_runs_from_at_minus_w_to_at() -> None:
    at = datetime(2026, 11, 16, 14, 30, tzinfo=UTC)
    start = at - timedelta(days=30)
    points = [(share, 0.9 * share) for share in (0.0, 0.25, 0.5, 0.75, 1.0)]
    entry = slo(points, elapsed=1.0, projected=0.9)
    entry["window"].update(kind="rolling", label="30d", start=rfc3339(start), end=rfc3339(at))
    entry["burn_down"] = [
        {"t": rfc3339(at_fraction(s, start, at)), "consumed_fraction": v} for s, v in points
    ]
    image = decode(render_chart(entry))
    assert image.near(*pixel(0.3, 0.3), IDEAL, radius=6)
    assert image.near(*pixel(1.0, 0.9), ACTUAL)
    assert image.near(*pixel(0.5, 0.45), ACTUAL)


@pytest.mark.parametrize("burn_down", [[], None, "absent"])
def test_no_data_still_renders_an_empty_chart(burn_down: Any) -> None:
    entry = slo(POINTS, projected=None)
    entry["firings"] = None
    if burn_down == "absent":
        del entry["burn_down"]
    else:
        entry["burn_down"] = burn_down
    image = decode(render_chart(entry))
    assert (image.width, image.height) == (900, 420)
    assert image.count(ACTUAL) == 0
    assert image.near(*pixel(0.5, 0.5), IDEAL, radius=6)
    assert image.near(*pixel(0.5, 1.0), EXHAUSTED, radius=1)
    # the "no data" label, in a spot of the plot where a chart with data has no text
    left, top, right, bottom = plot_box(900, 420)
    middle, row = (left + right) // 2, top + (bottom - top) * 3 // 10
    label_box = (middle - 60, row - 4, middle + 60, row + 20)
    assert image.count(TEXT, label_box) > 30
    assert decode(render_chart(slo(POINTS))).count(TEXT, label_box) == 0


def test_same_input_same_bytes_and_input_left_alone() -> None:
    entry = slo(POINTS, firings=FIRINGS)
    before = copy.deepcopy(entry)
    assert render_chart(entry) == render_chart(copy.deepcopy(entry))
    assert entry == before


def test_window_must_end_after_it_starts() -> None:
    entry = slo(POINTS)
    entry["window"]["end"] = entry["window"]["start"]
    with pytest.raises(ValueError, match="end after"):
        render_chart(entry)


def test_realistic_example_reads_well(tmp_path: Path) -> None:
    """A quarter half spent, with two incidents; written out to be looked at."""
    consumed, points = 0.0, []
    for n in range(101):
        consumed += 0.06 if 30 < n < 36 else 0.09 if 70 < n < 73 else 0.002
        points.append((0.5 * n / 100, consumed))
    firings: list[dict[str, Any]] = [
        {
            "severity": "ticket",
            "start": rfc3339(at_fraction(0.14)),
            "end": rfc3339(at_fraction(0.2)),
        },
        {
            "severity": "page",
            "start": rfc3339(at_fraction(0.155)),
            "end": rfc3339(at_fraction(0.18)),
        },
        {"severity": "ticket", "start": rfc3339(at_fraction(0.35)), "end": None},
    ]
    entry = slo(points, elapsed=0.5, projected=consumed / 0.5, firings=firings)
    entry["name"] = "checkout-availability"
    png = render_chart(entry)
    (tmp_path / "burn-down.png").write_bytes(png)
    image = decode(png)
    assert image.count(TEXT, (0, 0, 900, 30)) > 100, "title"
    assert image.count(TEXT, (0, 390, 900, 420)) > 100, "legend"
    assert image.near(*pixel(0.5, consumed, y_top=1.5), ACTUAL)


def test_characters_outside_the_font_do_not_break_the_title() -> None:
    entry = slo(POINTS)
    entry["name"] = "Zürich — paiement €"
    assert decode(render_chart(entry)).width == 900
