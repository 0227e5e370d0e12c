"""Durations (`30d`, `12h`, `90m`, `45s`) and sizes (`500MB`, `1GB`) on the command line."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

import click

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["DURATION", "SIZE", "parse_duration", "parse_size"]

_DURATION_UNITS: Final = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION_PART: Final = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")
_SIZE: Final = re.compile(r"(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?", re.IGNORECASE)
_SIZE_UNITS: Final = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}


def parse_duration(text: str) -> float:
    """Seconds in `30d`, `12h`, `90m`, `45s`, `2w`, or a sum such as `1h30m`.

    Raises:
        ValueError: not such a duration (the message says what is).
    """
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION_PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        msg = f"{text!r} is not a duration: give a number and a unit, such as 30d, 12h, 90m, 45s (or 1h30m)"
        raise ValueError(msg)
    return sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)


def parse_size(text: str) -> int:
    """Bytes in `500MB`, `1GB`, `1.5GiB`, `4096` (KB, MB, GB, TB are powers of 1000; KiB,
    MiB, GiB, TiB powers of 1024; a plain number is bytes).

    Raises:
        ValueError: not such a size (the message says what is).
    """
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        msg = f"{text!r} is not a size: give a number and a unit, such as 500MB, 1GB or 2GiB"
        raise ValueError(msg)
    number, unit = match.groups()
    return int(float(number) * _SIZE_UNITS[(unit or "b").lower()])


def _option(parse: Callable[[str], Any]) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click option callback that parses with `parse`; its error names the option."""

    def callback(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None

    return callback


DURATION: Final = _option(parse_duration)
"""`callback=` for an option taking a duration (seconds)."""
SIZE: Final = _option(parse_size)
"""`callback=` for an option taking a size (bytes)."""
