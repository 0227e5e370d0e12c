"""The console formatter's cached `HH:MM:SS` stamp is always the line's own second.

`ConsoleFormatter.line()` runs on many threads at once and caches the stamp of the last
second it formatted. These tests replay, deterministically, what another thread can do at
any point of a `line()` call: right after each read of the formatter's state and right after
each write to it, another `line()` call, for another second, runs to completion. Every line
made, the interrupted one and the interrupting ones, must carry its own second's stamp.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest

from actorflow._logging import ConsoleFormatter

BASE = 1_700_000_000  # any second: lines are made for BASE, BASE + 1, ...


def expected(created: float, message: str) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(int(created)))
    return f"{stamp}.{int((created - int(created)) * 1000):03d} | {message}"


class Interleaved(ConsoleFormatter):
    """A formatter on which another "thread" gets in right after a read or a write of its
    (non-method) attributes: each time, the next of `pending` is formatted, at once, as if
    by another thread, and its line is recorded in `made`."""

    def __init__(self, *, on_read: bool, on_write: bool) -> None:
        super().__init__()
        object.__setattr__(self, "_test", {"read": on_read, "write": on_write})
        object.__setattr__(self, "pending", [])
        object.__setattr__(self, "made", [])

    def _interject(self) -> None:
        pending: list[float] = object.__getattribute__(self, "pending")
        if pending:
            created = pending.pop(0)
            message = f"other thread at {created}"
            line = ConsoleFormatter.line(self, created, message)
            object.__getattribute__(self, "made").append((created, message, line))

    def _armed(self, event: str) -> bool:
        test = object.__getattribute__(self, "__dict__").get("_test")  # None in __init__
        return test is not None and bool(test[event])

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if (
            not name.startswith("__")
            and name not in ("_test", "pending", "made")
            and not callable(value)
            and object.__getattribute__(self, "_armed")("read")
        ):
            object.__getattribute__(self, "_interject")()
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if object.__getattribute__(self, "_armed")("write"):
            object.__getattribute__(self, "_interject")()


@pytest.mark.parametrize(
    ("cached", "others", "on_read", "on_write"),
    [
        # The cache holds the line's second (no strftime): other seconds' lines get in
        # between the line's reads of the cache.
        pytest.param(0, [1, 2, 3], True, False, id="hit-others-after-reads"),
        # The cache holds the previous second: the line stores its stamp, and lines of the
        # previous second (still cached, or half replaced) get in between its writes.
        pytest.param(-1, [-1, -1, -1], False, True, id="miss-previous-second-after-writes"),
        pytest.param(-1, [-1, 1, -1, 2, -1], True, True, id="miss-others-after-reads-and-writes"),
        pytest.param(0, [1, 0, 2, 0, 3], True, True, id="hit-others-after-reads-and-writes"),
    ],
)
def test_a_line_interrupted_by_another_threads_line_keeps_its_own_stamp(
    cached, others, on_read, on_write
):
    formatter = Interleaved(on_read=False, on_write=False)
    made = formatter.made
    warm = BASE + cached + 0.75
    made.append((warm, "cached", formatter.line(warm, "cached")))
    formatter._test.update(read=on_read, write=on_write)
    formatter.pending.extend(BASE + k + 0.5 for k in others)
    created = BASE + 0.25
    made.append((created, "interrupted", formatter.line(created, "interrupted")))
    assert len(formatter.pending) < len(others), "no other line got in: the test tests nothing"
    wrong = [
        (line, expected(when, message))
        for when, message, line in made
        if line != expected(when, message)
    ]
    assert not wrong, f"lines with another second's stamp (made, expected): {wrong}"


def test_lines_from_threads_crossing_seconds_carry_their_own_stamp():
    # The real thing, with threads: not deterministic (a check, not the regression test).
    formatter = ConsoleFormatter()
    wrong: list[tuple[str, str]] = []
    start = threading.Barrier(2)

    def log(offset: int) -> None:
        start.wait()
        for i in range(3000):
            created = BASE + (i + offset) % 4 + 0.125
            line = formatter.line(created, "m")
            if line != expected(created, "m"):
                wrong.append((line, expected(created, "m")))

    threads = [threading.Thread(target=log, args=(offset,)) for offset in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not wrong, wrong[:5]


def test_the_line_format():
    formatter = ConsoleFormatter()
    line = formatter.line(BASE + 0.0429, "hello")
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.042 \| hello", line)
    assert line == expected(BASE + 0.0429, "hello")
    assert formatter.line(BASE + 0.9999, "x").endswith(".999 | x")
