"""Reading the journal: its records, and the types readers return.

Nothing in this package loads the whole journal: listing runs reads the small index files
only (`_runs`), and a run's history reads the stretch of its writer's segments between
the run's first and last record, found in the index (`_detail`). `_verify` checks files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgpack

from actorflow._exceptions import ActorflowError
from actorflow.journal._files import SegmentFile, list_segments
from actorflow.journal._frames import FILE_MAGIC, Damage, iter_frames
from actorflow.journal._records import (
    LogEmitted,
    Record,
    SegmentStarted,
    UnknownRecordError,
    decode,
)
from actorflow.journal._settings import journal_directory

if TYPE_CHECKING:
    import os
    from collections.abc import Iterator
    from pathlib import Path

    from actorflow.states import State

__all__ = [
    "FlowRunDetail",
    "FlowRunSummary",
    "JournalError",
    "NotAJournalError",
    "RunNotFoundError",
    "TaskRunHistory",
    "read",
    "read_file",
]


class JournalError(ActorflowError):
    """The journal cannot answer: see the subclasses."""


class RunNotFoundError(JournalError, LookupError):
    """No flow run in the journal matches the id, id prefix or name given, or several do."""


class NotAJournalError(JournalError):
    """A file that is not a journal file was given where one was expected."""


@dataclass(frozen=True, slots=True)
class FlowRunSummary:
    """One flow run as the index knows it (`actorflow runs ls`, `ActorSystem.runs`)."""

    flow_run_id: str
    flow_run_name: str
    flow_name: str
    parent_flow_run_id: str | None
    started: float
    """When it was created (seconds since the epoch)."""
    state: State | None
    """Its final state (without result or exception), `Crashed` if its process died
    before it ended, or None while it is still going."""
    ended: float | None
    task_runs: int | None
    """Task runs it created; None until it has ended."""
    task_runs_completed: int | None
    segment: str = field(repr=False, default="")
    offset: int = field(repr=False, default=0)
    end_segment: str | None = field(repr=False, default=None)
    end_offset: int | None = field(repr=False, default=None)

    @property
    def duration(self) -> float | None:
        return None if self.ended is None else max(self.ended - self.started, 0.0)


@dataclass(frozen=True, slots=True)
class TaskRunHistory:
    """One task run as the journal knows it."""

    task_run_id: str
    task_run_name: str
    task_name: str
    flow_run_id: str
    parameters: dict[str, str]
    history: tuple[State, ...]
    """Its states in order, without results or exceptions."""

    @property
    def state(self) -> State | None:
        return self.history[-1] if self.history else None


@dataclass(frozen=True, slots=True)
class FlowRunDetail:
    """One flow run's whole history (`actorflow runs show`)."""

    summary: FlowRunSummary
    parameters: dict[str, str]
    task_runner: str
    history: tuple[State, ...]
    task_runs: tuple[TaskRunHistory, ...]
    """In the order they were created."""
    subflows: tuple[FlowRunDetail, ...]
    logs: tuple[LogEmitted, ...]


# -- raw reading -----------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read()


def iter_payloads(data: bytes, start: int | None = None) -> Iterator[tuple[int, bytes] | Damage]:
    """(offset, payload) of each intact frame of a whole file's bytes, and its damage."""
    if start is None:
        start = len(FILE_MAGIC)
    for item in iter_frames(data, start):
        if isinstance(item, Damage):
            yield item
        else:
            yield item.offset, item.payload


def read_file(path: Path) -> Iterator[Record]:
    """The intact records of one journal file (segment or index), in order; damaged
    frames and records of unknown types are skipped.

    Raises:
        NotAJournalError: the file does not start with the journal's magic bytes.
    """
    data = _read_bytes(path)
    if not data.startswith(FILE_MAGIC):
        msg = f"{path} is not an actorflow journal file"
        raise NotAJournalError(msg)
    for item in iter_payloads(data):
        if isinstance(item, Damage):
            continue
        try:
            yield decode(item[1])
        except (UnknownRecordError, ValueError):
            continue


def read(home: str | os.PathLike[str] | None = None) -> Iterator[Record]:
    """Every intact record of the journal under `home` (default: `$ACTORFLOW_HOME` or
    `~/.actorflow`), index records excluded: each writer's records in the order written,
    writers one after another in the order they started."""
    for segment in list_segments(journal_directory(home)):
        try:
            yield from read_file(segment.path)
        except (OSError, NotAJournalError):
            continue


def _header(segment: SegmentFile) -> SegmentStarted | None:
    try:
        with segment.path.open("rb") as file:
            data = file.read(4096)
    except OSError:
        return None
    for item in iter_payloads(data):
        if isinstance(item, Damage):
            return None
        try:
            record = decode(item[1])
        except (UnknownRecordError, ValueError):
            return None
        return record if isinstance(record, SegmentStarted) else None
    return None


def _arrays(data: bytes, start: int) -> Iterator[list[Any]]:
    """The payloads of the intact frames of `data` from `start` that are msgpack arrays
    (records, undecoded into classes: readers filter on the raw fields first)."""
    unpack = msgpack.unpackb
    for item in iter_frames(data, start):
        if isinstance(item, Damage):
            continue
        try:
            values = unpack(item.payload, raw=False, strict_map_key=False)
        except ValueError:
            continue
        if isinstance(values, list) and values:
            yield values
