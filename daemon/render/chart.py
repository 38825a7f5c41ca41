"""Budget burn-down chart of one ``slos[]`` entry, as PNG bytes, with the standard library only.

The chart reads the pack JSON (the contract), never objects, so every rendering of the pack
can embed the same picture. Pure and deterministic: no I/O, no clock, no locale.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

RGB = tuple[int, int, int]

BACKGROUND: RGB = (255, 255, 255)
TEXT: RGB = (33, 37, 41)
AXIS: RGB = (110, 110, 110)
GRID: RGB = (228, 228, 228)
IDEAL: RGB = (150, 150, 150)
ACTUAL: RGB = (31, 98, 180)
EXHAUSTED: RGB = (200, 30, 30)
# Bands are translucent so that overlapping page and ticket firings both stay visible.
PAGE_BAND: tuple[RGB, float] = ((220, 40, 40), 0.22)
TICKET_BAND: tuple[RGB, float] = ((245, 160, 0), 0.28)

# A projection far past the budget would flatten the measured curve into the x axis; the
# y axis follows it only up to this multiple of max(100 %, highest point), and the dotted
# line is clipped there (its end value is still printed).
PROJECTION_CAP = 4.0
MIN_WIDTH, MIN_HEIGHT = 320, 200

_DASHED = (8, 6)
_DOTTED = (2, 4)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_HOUR, _DAY = 3600, 86400
_TICK_STEPS = tuple(h * _HOUR for h in (1, 2, 3, 6, 12, 24, 48, 168, 336, 720, 1440, 2160))

# 5x7 pixel font: each glyph is 7 rows, top first, as hex bytes whose low 5 bits are the
# pixels (0x10 = leftmost); g/j/p/q/y have an 8th row, their descender, in the line gap.
# fmt: off
_FONT = {
    " ": "00000000000000", "?": "0e110102040004", "%": "18190204081303", ".": "00000000000c0c",
    ":": "000c0c000c0c00", "-": "0000000e000000", "\u2014": "0000001f000000", "/": "00010204081000",
    "(": "02040808080402", ")": "08040202020408", ",": "000000000c0408", "+": "0004041f040400",
    "_": "0000000000001f", "'": "0c040800000000", "=": "00001f001f0000", ">": "08040201020408",
    "<": "02040810080402", "#": "0a0a1f0a1f0a0a",
    "0": "0e11131519110e", "1": "040c040404040e", "2": "0e11010204081f", "3": "1f02040201110e",
    "4": "02060a121f0202", "5": "1f101e0101110e", "6": "0608101e11110e", "7": "1f010204080808",
    "8": "0e11110e11110e", "9": "0e11110f01020c",
    "A": "0e1111111f1111", "B": "1e11111e11111e", "C": "0e11101010110e", "D": "1c12111111121c",
    "E": "1f10101e10101f", "F": "1f10101e101010", "G": "0e11101711110f", "H": "1111111f111111",
    "I": "0e04040404040e", "J": "0702020202120c", "K": "11121418141211", "L": "1010101010101f",
    "M": "111b1515111111", "N": "11111915131111", "O": "0e11111111110e", "P": "1e11111e101010",
    "Q": "0e11111115120d", "R": "1e11111e141211", "S": "0f10100e01011e", "T": "1f040404040404",
    "U": "1111111111110e", "V": "11111111110a04", "W": "1111111515150a", "X": "11110a040a1111",
    "Y": "1111110a040404", "Z": "1f01020408101f",
    "a": "00000e010f110f", "b": "1010161911111e", "c": "00000e1010110e", "d": "01010d1311110f",
    "e": "00000e111f100e", "f": "0609081c080808", "g": "00000f11110f010e", "h": "10101619111111",
    "i": "04000c0404040e", "j": "020006020202120c", "k": "10101214181412", "l": "0c04040404040e",
    "m": "00001a15151111", "n": "00001619111111", "o": "00000e1111110e", "p": "00001e11111e1010",
    "q": "00000f11110f0101", "r": "00001619101010", "s": "00000e100e011e", "t": "08081c08080906",
    "u": "0000111111130d", "v": "00001111110a04", "w": "0000111115150a", "x": "0000110a040a11",
    "y": "00001111110f010e", "z": "00001f0204081f",
}
# fmt: on
_GLYPHS = {char: bytes.fromhex(rows) for char, rows in _FONT.items()}


def plot_box(width: int, height: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) pixel edges of the plotting area of a chart of this size."""
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise ValueError(f"chart must be at least {MIN_WIDTH}x{MIN_HEIGHT} (got {width}x{height})")
    cell_w, cell_h = _cell(_scale(width, height))
    return 7 * cell_w, 2 * cell_h + 8, width - 2 * cell_w, height - 2 * cell_h - 24


def render_chart(slo: Mapping[str, Any], width: int = 900, height: int = 420) -> bytes:
    """The budget burn-down of one ``slos[]`` entry of the pack JSON, as a PNG image."""
    left, top, right, bottom = plot_box(width, height)
    scale = _scale(width, height)
    window = slo["window"]
    start, end = _epoch(window["start"]), _epoch(window["end"])
    if end <= start:
        raise ValueError(f"window must end after it starts ({window['start']}..{window['end']})")
    points = sorted(
        (_epoch(p["t"]), float(p["consumed_fraction"])) for p in slo.get("burn_down") or []
    )
    projected = _projected(points, slo.get("budget"), end)
    highest = max([1.0, *(c for _, c in points)])
    wanted = highest if projected is None else min(projected, PROJECTION_CAP * highest)
    step, y_top = _nice_top(max(highest, wanted))
    frame = _Frame(left, top, right, bottom, start, end, y_top)
    canvas = _Canvas(width, height)

    # Bands first so that every line is drawn over them; an open firing runs to the last point.
    now = points[-1][0] if points else start + float(window["elapsed_fraction"]) * (end - start)
    drawn = _firings(canvas, frame, slo.get("firings") or [], now)
    _axes(canvas, frame, step, scale)
    canvas.line(frame.x(start), frame.y(0), frame.x(end), frame.y(1), IDEAL, _DASHED)
    canvas.line(left, frame.y(1), right, frame.y(1), EXHAUSTED)
    if projected is not None:
        _projection(canvas, frame, points[-1], projected, scale)
        drawn.add("projection")
    for (t0, c0), (t1, c1) in pairwise(points):
        canvas.line(frame.x(t0), frame.y(c0), frame.x(t1), frame.y(c1), ACTUAL)
    if points:
        x, y = frame.x(points[-1][0]), frame.y(points[-1][1])
        canvas.fill(x - 3, y - 3, x + 4, y + 4, ACTUAL)  # "we are here"
        drawn.add("actual")
    else:
        label = "no data"
        x = (left + right - _width(label, scale)) // 2
        y = top + (bottom - top) * 3 // 10
        canvas.fill(x - 6, y - 6, x + _width(label, scale) + 6, y + 7 * scale + 6, BACKGROUND)
        canvas.text(x, y, label, TEXT, scale)

    cell_w, cell_h = _cell(scale)
    objective = format(float(slo["objective"]), "g")
    title = f"{slo['name']} \u2014 {objective} % over {window['label']}"
    fits = (width - left - 4) // cell_w
    if len(title) > fits:
        title = title[: fits - 3] + "..."
    canvas.text(left, 8, title, TEXT, scale)
    _legend(canvas, left, height - cell_h - 4, scale, drawn)
    return canvas.png()


def _firings(
    canvas: _Canvas, frame: _Frame, firings: Sequence[Mapping[str, Any]], now: float
) -> set[str]:
    """Draws the firing bands; returns the severities drawn."""
    drawn: set[str] = set()
    for firing in firings:
        severity = "page" if firing["severity"] == "page" else "ticket"
        colour, alpha = PAGE_BAND if severity == "page" else TICKET_BAND
        t0, t1 = _epoch(firing["start"]), _epoch(firing["end"]) if firing.get("end") else now
        if t1 < frame.start or t0 > frame.end:
            continue
        x0, x1 = frame.x(t0), frame.x(t1)
        # A firing shorter than a pixel column is still a firing: keep it visible.
        canvas.fill(x0, frame.top, max(x1, x0 + 2), frame.bottom, colour, alpha)
        drawn.add(severity)
    return drawn


def _axes(canvas: _Canvas, frame: _Frame, step: float, scale: int) -> None:
    left, top, right, bottom = frame.left, frame.top, frame.right, frame.bottom
    for k in range(round(frame.y_top / step) + 1):
        y = frame.y(k * step)
        canvas.fill(left, y, right + 1, y + 1, GRID)
        label = f"{round(k * step * 100)} %"
        canvas.text(left - 8 - _width(label, scale), y - 7 * scale // 2, label, TEXT, scale)
    for t in _ticks(frame.start, frame.end, (right - left) // (9 * _cell(scale)[0])):
        x = frame.x(t)
        canvas.fill(x, top, x + 1, bottom, GRID)
        label = _tick_label(t)
        # not left of the axis, where it would run into the "0 %" label
        x_text = max(x - _width(label, scale) // 2, left - 4)
        x_text = min(x_text, canvas.width - _width(label, scale))
        canvas.text(x_text, bottom + 8, label, TEXT, scale)
    canvas.fill(left, top, left + 1, bottom + 1, AXIS)
    canvas.fill(left, bottom, right + 1, bottom + 1, AXIS)


def _projection(
    canvas: _Canvas, frame: _Frame, last: tuple[float, float], projected: float, scale: int
) -> None:
    (t_last, c_last), t_end, c_end = last, frame.end, projected
    if projected > frame.y_top:  # clipped where it leaves the plot; the label keeps the value
        t_end = t_last + (frame.y_top - c_last) / (projected - c_last) * (frame.end - t_last)
        c_end = frame.y_top
    x_end, y_end = frame.x(t_end), frame.y(c_end)
    canvas.line(frame.x(t_last), frame.y(c_last), x_end, y_end, ACTUAL, _DOTTED)
    label = f"{projected * 100:.0f} %"
    x_text = min(x_end + 6, frame.right - _width(label, scale) - 2)
    canvas.text(x_text, max(y_end - _cell(scale)[1] - 2, frame.top + 2), label, ACTUAL, scale)


def _legend(canvas: _Canvas, x: int, y: int, scale: int, drawn: set[str]) -> None:
    styles: list[tuple[str, RGB, tuple[int, int] | float]] = [
        ("ideal", IDEAL, _DASHED),
        ("actual", ACTUAL, (1, 0)),
        ("projection", ACTUAL, _DOTTED),
        ("exhausted", EXHAUSTED, (1, 0)),
        ("page", *PAGE_BAND),
        ("ticket", *TICKET_BAND),
    ]
    items = [item for item in styles if item[0] in drawn | {"ideal", "exhausted"}]

    def span(scale: int) -> int:
        return sum(30 + _width(label, scale) + 8 * scale for label, _, _ in items)

    if x + span(scale) > canvas.width and scale > 1:  # small chart: a smaller legend fits
        y, scale = y + 7 * scale - 7, 1
    mid = y + 7 * scale // 2
    for label, colour, style in items:
        if isinstance(style, float):
            canvas.fill(x, y - 1, x + 24, y + 7 * scale + 1, colour, style)
        else:
            canvas.line(x, mid - 1, x + 24, mid - 1, colour, style)
        canvas.text(x + 30, y, label, TEXT, scale)
        x += 30 + _width(label, scale) + 8 * scale


@dataclass(frozen=True)
class _Frame:
    """Maps (time, consumed fraction) into the plot box, clamping to its edges."""

    left: int
    top: int
    right: int
    bottom: int
    start: float
    end: float
    y_top: float

    def x(self, t: float) -> int:
        share = min(max((t - self.start) / (self.end - self.start), 0.0), 1.0)
        return self.left + round(share * (self.right - self.left))

    def y(self, value: float) -> int:
        share = min(max(value / self.y_top, 0.0), 1.0)
        return self.bottom - round(share * (self.bottom - self.top))


class _Canvas:
    """RGBA raster, always opaque: colours are blended onto what is already there."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.px = bytearray(bytes((*BACKGROUND, 255)) * (width * height))

    def fill(self, x0: int, y0: int, x1: int, y1: int, rgb: RGB, alpha: float = 1.0) -> None:
        """Rectangle [x0, x1) x [y0, y1), clipped to the image."""
        x0, x1 = max(x0, 0), min(x1, self.width)
        if x1 <= x0:
            return
        px, count = self.px, x1 - x0
        # Pure-Python pixels are slow: blend each distinct source colour once, write rows whole.
        blended: dict[bytes, bytes] = {}
        for y in range(max(y0, 0), min(y1, self.height)):
            a, b = 4 * (y * self.width + x0), 4 * (y * self.width + x1)
            first = bytes(px[a : a + 4])
            if alpha >= 1.0 or px[a:b] == first * count:
                px[a:b] = self._blend(first, rgb, alpha, blended) * count
                continue
            for i in range(a, b, 4):
                px[i : i + 4] = self._blend(bytes(px[i : i + 4]), rgb, alpha, blended)

    @staticmethod
    def _blend(source: bytes, rgb: RGB, alpha: float, memo: dict[bytes, bytes]) -> bytes:
        if source not in memo:
            mixed = (round(s + (c - s) * alpha) for s, c in zip(source[:3], rgb, strict=True))
            memo[source] = bytes((*mixed, 255))
        return memo[source]

    def line(
        self, x0: int, y0: int, x1: int, y1: int, rgb: RGB, dash: tuple[int, int] = (1, 0)
    ) -> None:
        """Bresenham, 2 px thick; ``dash`` is (on, off) in steps along the line."""
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err, step = dx + dy, 0
        while True:
            if step % sum(dash) < dash[0]:
                self.fill(x0, y0, x0 + 2, y0 + 2, rgb)
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err, x0 = err + dy, x0 + sx
            if e2 <= dx:
                err, y0 = err + dx, y0 + sy
            step += 1

    def text(self, x: int, y: int, text: str, rgb: RGB, scale: int) -> None:
        for char in text:
            for row, bits in enumerate(_GLYPHS.get(char, _GLYPHS["?"])):
                for col in range(5):
                    if bits >> (4 - col) & 1:
                        top_left = (x + col * scale, y + row * scale)
                        self.fill(*top_left, top_left[0] + scale, top_left[1] + scale, rgb)
            x += 6 * scale

    def png(self) -> bytes:
        stride = 4 * self.width
        # Filter type 0 on every row: larger output, but any reader can undo it trivially.
        raw = b"".join(b"\x00" + self.px[y * stride : (y + 1) * stride] for y in range(self.height))
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 6, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b"")
        )


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def _scale(width: int, height: int) -> int:
    return 2 if width >= 600 and height >= 300 else 1


def _cell(scale: int) -> tuple[int, int]:
    return 6 * scale, 8 * scale


def _width(text: str, scale: int) -> int:
    return 6 * scale * len(text) - scale


def _epoch(text: str) -> float:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time must carry a zone (got {text!r})")
    return moment.timestamp()


def _projected(
    points: Sequence[tuple[float, float]], budget: Mapping[str, Any] | None, end: float
) -> float | None:
    """Consumption projected at window end, drawn only when the curve stops before the end."""
    if budget is None or not points or points[-1][0] >= end:
        return None
    return float(budget["projected_fraction_at_window_end"])


def _nice_top(value: float) -> tuple[float, float]:
    """(gridline step, axis top): 25 % or 50 % steps, coarser only past 400 %."""
    steps = [0.25, 0.5] + [m * 10.0**k for k in range(8) for m in (1, 2, 5)]
    for step in steps:
        count = math.ceil(value / step - 1e-9)
        if count <= 8:
            return step, count * step
    raise ValueError(f"consumed fraction out of range: {value}")


def _ticks(start: float, end: float, most: int) -> list[float]:
    """Tick instants on round UTC hours/days, at most ``most`` of them (at least 2)."""
    span = end - start
    step = next((s for s in _TICK_STEPS if span / s <= max(most, 2)), _TICK_STEPS[-1])
    midnight = math.floor(start / _DAY) * _DAY
    first = midnight + math.ceil((start - midnight) / min(step, _DAY)) * min(step, _DAY)
    return [first + k * step for k in range(int((end - first) // step) + 1)]


def _tick_label(t: float) -> str:
    moment = datetime.fromtimestamp(t, UTC)
    if moment.hour or moment.minute:
        return f"{moment.hour:02d}:{moment.minute:02d}"
    return f"{_MONTHS[moment.month - 1]} {moment.day}"
