"""`actorflow runs logs`: a run's log lines as the console showed them, subflows' included.

A line of a task run, or of a subflow run, whose message does not name it gets the name
in front (`HH:MM:SS.mmm | add-3f2a-0 | adding 1 and 2`), so every line says whose it is;
the top-level run's own lines are exactly the console's.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Final

from actorflow.cli._text import console_line

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from actorflow.journal import FlowRunDetail, LogEmitted

__all__ = ["POLL_INTERVAL", "follow", "log_lines"]

POLL_INTERVAL: Final = 0.2
"""Seconds between reads of the journal with `--follow`."""

LogKey = tuple[float, str, str | None, str]


def _collect(detail: FlowRunDetail, names: dict[str, str], logs: list[LogEmitted]) -> None:
    names.update((t.task_run_id, t.task_run_name) for t in detail.task_runs)
    names[detail.summary.flow_run_id] = detail.summary.flow_run_name
    logs.extend(detail.logs)
    for subflow in detail.subflows:
        _collect(subflow, names, logs)


def log_lines(detail: FlowRunDetail) -> Iterator[tuple[LogKey, str]]:
    """Each log line of the run and its subflow runs, oldest first, with a key that tells
    it from every other line (for `follow`)."""
    names: dict[str, str] = {}
    logs: list[LogEmitted] = []
    _collect(detail, names, logs)
    logs.sort(key=lambda record: record.timestamp)
    top = detail.summary.flow_run_id
    for record in logs:
        owner = record.task_run_id or (record.flow_run_id if record.flow_run_id != top else None)
        message = record.message
        name = names.get(owner) if owner is not None else None
        if name and name not in message:
            message = f"{name} | {message}"
        key = (record.timestamp, record.flow_run_id, record.task_run_id, record.message)
        yield key, console_line(record.timestamp, message)


def follow(
    read: Callable[[], FlowRunDetail],
    write: Callable[[str], None],
    *,
    interval: float = POLL_INTERVAL,
) -> None:
    """Write the run's lines, then new ones as the journal gets them, until the run has
    ended (its last lines included). `read` gives the run's detail as of now."""
    seen: set[LogKey] = set()
    while True:
        detail = read()
        for key, line in log_lines(detail):
            if key not in seen:
                seen.add(key)
                write(line)
        if detail.summary.state is not None:  # ended (or crashed): everything is in
            return
        time.sleep(interval)
