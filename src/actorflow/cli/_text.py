"""Plain-text formatting: times, durations, sizes, states and aligned tables.

Standard library only (`time`): `actorflow runs ls` formats with it and must start fast.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from actorflow.states import State

__all__ = [
    "NONE",
    "byte_size",
    "clock",
    "console_line",
    "date_time",
    "duration",
    "iso_time",
    "state_label",
    "table",
]

NONE: Final = "-"
"""Shown for a value not known (yet): a running run's duration, say."""

_MINUTE: Final = 60
_HOUR: Final = 3600
_DAY: Final = 86400


def clock(timestamp: float) -> str:
    """`HH:MM:SS.mmm`, local time, as on the console."""
    seconds = int(timestamp)
    millis = int((timestamp - seconds) * 1000)
    return f"{_second(seconds)[0]}.{millis:03d}"


_last: list[tuple[int, tuple[str, str]]] = [(-1, ("", ""))]


def _second(seconds: int) -> tuple[str, str]:
    """`HH:MM:SS` and `YYYY-MM-DDTHH:MM:SS±HH:MM`, local time, of one second: formatted
    once per second (a run's thousands of states share a few seconds)."""
    last = _last[0]
    if last[0] == seconds:
        return last[1]
    local = time.localtime(seconds)
    offset = time.strftime("%z", local)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", local)
    formatted = (stamp[11:], f"{stamp}.%03d{offset[:3]}:{offset[3:]}")
    _last[0] = (seconds, formatted)
    return formatted


def console_line(timestamp: float, message: str) -> str:
    """A line as actorflow's console writes it: `HH:MM:SS.mmm | message`."""
    return f"{clock(timestamp)} | {message}"


def date_time(timestamp: float) -> str:
    """`YYYY-MM-DD HH:MM:SS`, local time."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def iso_time(timestamp: float | None) -> str | None:
    """ISO 8601 with the local offset, to the millisecond (for `--json`)."""
    if timestamp is None:
        return None
    seconds = int(timestamp)
    return _second(seconds)[1] % int((timestamp - seconds) * 1000)


def duration(seconds: float | None) -> str:  # noqa: PLR0911  (one return per unit)
    """`850µs`, `12ms`, `4.2s`, `3m 05s`, `2h 10m`, `3d 04h`; `-` if not known."""
    if seconds is None:
        return NONE
    seconds = max(seconds, 0.0)
    if seconds < 0.001:  # noqa: PLR2004
        return f"{seconds * 1e6:.0f}µs"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < _MINUTE:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    if whole < _HOUR:
        return f"{whole // _MINUTE}m {whole % _MINUTE:02d}s"
    if whole < _DAY:
        return f"{whole // _HOUR}h {whole % _HOUR // _MINUTE:02d}m"
    return f"{whole // _DAY}d {whole % _DAY // _HOUR:02d}h"


def byte_size(size: int) -> str:
    """`512 B`, `12.3 KB`, `4.0 MB`, `1.2 GB` (powers of 1000, as `--max-size` reads them)."""
    if size < 1000:  # noqa: PLR2004
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000 or unit == "TB":  # noqa: PLR2004
            return f"{value:.1f} {unit}"
    raise AssertionError  # not reached


def state_label(state: State | None) -> str:
    """A state's name (`Completed`, `TimedOut`...); `Running` for a run still going."""
    return "Running" if state is None else state.name


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: Collection[int] = ()
) -> str:
    """An aligned table: a header line, then one line per row, columns two spaces apart.

    The columns numbered in `right` (from 0) are aligned right (numbers); no trailing spaces.
    """
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for row in (headers, *rows):
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
