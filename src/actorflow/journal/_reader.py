"""Reading the journal: records, run summaries from the index, one run's whole history.

Nothing here loads the whole journal: listing runs reads the small index files only, and a
run's history reads the stretch of its writer's segments between the run's first and last
record (both found in the index).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from logging import INFO
from typing import TYPE_CHECKING, Any

import msgpack

from actorflow._exceptions import ActorflowError
from actorflow.core.lines import FINISHED_LINE, SUBMITTED_LINE, finished_level
from actorflow.journal._files import (
    SegmentFile,
    list_segments,
    writer_alive,
)
from actorflow.journal._frames import FILE_MAGIC, Damage, iter_frames
from actorflow.journal._records import (
    LogEmitted,
    Record,
    RecordType,
    SegmentStarted,
    UnknownRecordError,
    decode,
)
from actorflow.journal._settings import journal_directory
from actorflow.states import FINAL_STATE_TYPES, State, StateType

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable, Iterator
    from pathlib import Path

__all__ = [
    "FlowRunDetail",
    "FlowRunSummary",
    "JournalError",
    "NotAJournalError",
    "RunNotFoundError",
    "TaskRunHistory",
    "find_run",
    "read",
    "read_file",
    "run_detail",
    "runs",
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


# -- the index: run summaries -------------------------------------------------------------


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


_STARTED = int(RecordType.RUN_STARTED)
_ENDED = int(RecordType.RUN_ENDED)


def _index_entries(segment: SegmentFile) -> Iterator[list[Any]]:
    try:
        data = _read_bytes(segment.index_path)
    except OSError:
        return
    if not data.startswith(FILE_MAGIC):
        return
    for values in _arrays(data, len(FILE_MAGIC)):
        if values[0] in (_STARTED, _ENDED):
            yield values


def runs(
    home: str | os.PathLike[str] | None = None,
    *,
    flow: str | None = None,
    state: StateType | str | None = None,
    limit: int | None = None,
    top_level: bool = False,
    writer_id: str | None = None,
) -> list[FlowRunSummary]:
    """Flow runs recorded under `home`, newest first.

    Args:
        flow: only runs of the flow with this name.
        state: only runs whose state has this type (`"COMPLETED"`, `StateType.FAILED`...;
            `"RUNNING"` for runs still going).
        limit: at most this many (0 or more).
        top_level: leave subflow runs out.
        writer_id: only the runs one writer (one `ActorSystem`) recorded.

    Raises:
        ValueError: `state` is not a state type, or `limit` is negative.
    """
    wanted = _state_type(state)
    if limit is not None and limit < 0:
        msg = f"runs(limit={limit!r}): give 0 or more"
        raise ValueError(msg)
    index = _Index(journal_directory(home), writer_id)
    candidates = [
        values
        for values in index.started.values()
        if (flow is None or values[3] == flow) and not (top_level and values[4] is not None)
    ]
    candidates.sort(key=_started_at, reverse=True)
    found: list[FlowRunSummary] = []
    for values in candidates:  # summaries are built only until `limit` are found
        if limit is not None and len(found) >= limit:
            break
        summary = index.summary(values)
        if summary is None:
            continue
        if wanted is not None and (
            (summary.state.type if summary.state is not None else StateType.RUNNING) is not wanted
        ):
            continue
        found.append(summary)
    return found


def _started_at(values: list[Any]) -> float:
    at = values[5]
    return at if isinstance(at, int | float) else 0.0


class _Index:
    """The index entries of a journal folder (of one writer, if given), by run id."""

    def __init__(self, directory: Path, writer_id: str | None) -> None:
        self.started: dict[str, list[Any]] = {}
        self.ended: dict[str, list[Any]] = {}
        self.writer_of: dict[str, SegmentFile] = {}
        self.last_segment: dict[str, SegmentFile] = {}
        self.alive: dict[str, bool | None] = {}
        for segment in list_segments(directory):
            if writer_id is not None and segment.writer_id != writer_id:
                continue
            self.last_segment[segment.writer_id] = segment
            for values in _index_entries(segment):
                if values[0] == _STARTED and len(values) >= 8:  # noqa: PLR2004
                    self.started[values[1]] = values
                    self.writer_of[values[1]] = segment
                elif values[0] == _ENDED and len(values) >= 10:  # noqa: PLR2004
                    self.ended[values[1]] = values  # the last one counts (late records)

    def summary(self, values: list[Any]) -> FlowRunSummary | None:
        """The summary of one started run; None for an entry this version cannot read."""
        _, run_id, name, flow_name, parent, at, segment_name, offset = values[:8]
        end = self.ended.get(run_id)
        if end is not None:
            kind = _STATE_TYPES.get(end[2])
            if kind is None:  # a state type of a later version
                return None
            return FlowRunSummary(
                flow_run_id=run_id,
                flow_run_name=name,
                flow_name=flow_name,
                parent_flow_run_id=parent,
                started=at,
                state=State(type=kind, name=end[3], message=end[4], timestamp=end[5]),
                ended=end[5],
                task_runs=end[6],
                task_runs_completed=end[7],
                segment=segment_name,
                offset=offset,
                end_segment=end[8],
                end_offset=end[9],
            )
        segment = self.writer_of[run_id]
        writer = segment.writer_id
        if writer not in self.alive:
            header = _header(segment)
            self.alive[writer] = None if header is None else writer_alive(header)
        crashed = _crashed_state(self.alive[writer], segment, self.last_segment[writer])
        return FlowRunSummary(
            flow_run_id=run_id,
            flow_run_name=name,
            flow_name=flow_name,
            parent_flow_run_id=parent,
            started=at,
            state=crashed,
            ended=None if crashed is None else crashed.timestamp,
            task_runs=None,
            task_runs_completed=None,
            segment=segment_name,
            offset=offset,
        )


_STATE_TYPES = {t.value: t for t in StateType}


def _crashed_state(alive: bool | None, segment: SegmentFile, last: SegmentFile) -> State | None:
    if alive is not False:
        return None
    try:
        heard = last.path.stat().st_mtime
    except OSError:
        heard = 0.0
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(heard)) if heard else "unknown"
    return State(
        type=StateType.CRASHED,
        message=(
            f"The process that ran it (pid {segment.pid}) ended before the run did; "
            f"it was last heard from at {when}"
        ),
        timestamp=heard,
    )


def _state_type(state: StateType | str | None) -> StateType | None:
    if state is None or isinstance(state, StateType):
        return state
    try:
        return StateType(str(state).upper())
    except ValueError:
        names = ", ".join(t.value for t in StateType)
        msg = f"state={state!r} is not a state type; choose one of {names}"
        raise ValueError(msg) from None


def find_run(ref: str, home: str | os.PathLike[str] | None = None) -> FlowRunSummary:
    """The flow run whose id, id prefix (4 characters or more) or name is `ref`.

    Raises:
        RunNotFoundError: none matches, or several do (the message lists them).
    """
    every = runs(home)
    exact = [s for s in every if ref in (s.flow_run_id, s.flow_run_name)]
    matches = exact or (
        [s for s in every if s.flow_run_id.startswith(ref)] if len(ref) >= 4 else []  # noqa: PLR2004
    )
    if not matches:
        msg = f"no flow run in the journal has the id or name {ref!r}"
        raise RunNotFoundError(msg)
    if len(matches) > 1:
        listed = ", ".join(f"{s.flow_run_id} ({s.flow_run_name})" for s in matches[:5])
        msg = f"{ref!r} matches {len(matches)} flow runs: {listed}; give more of the id"
        raise RunNotFoundError(msg)
    return matches[0]


# -- one run's history --------------------------------------------------------------------


def _run_stretch(summary: FlowRunSummary, directory: Path) -> Iterator[list[Any]]:
    """The raw records of the segments from the run's first record to its last."""
    segments = list_segments(directory)
    start = next((s for s in segments if s.name == summary.segment), None)
    if start is None:
        return
    for segment in segments:
        if segment.writer_id != start.writer_id or segment.number < start.number:
            continue
        last = segment.name == summary.end_segment
        first = summary.offset if segment is start else None
        yield from _raw_records(segment.path, first, summary.end_offset if last else None)
        if last:
            return


def _raw_records(path: Path, start: int | None, stop: int | None) -> Iterator[list[Any]]:
    """The records of one segment as plain lists, from frame offset `start` to `stop`
    (only those bytes are read)."""
    first = len(FILE_MAGIC) if start is None else start
    try:
        with path.open("rb") as file:
            file.seek(first)
            data = file.read() if stop is None else file.read(max(stop - first, 0))
    except OSError:
        return
    yield from _arrays(data, 0)


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


_TASK_CREATED = int(RecordType.TASK_RUN_CREATED)
_TASK_STATE = int(RecordType.TASK_RUN_STATE)
_FLOW_CREATED = int(RecordType.FLOW_RUN_CREATED)
_FLOW_STATE = int(RecordType.FLOW_RUN_STATE)
_LOG = int(RecordType.LOG)
_PENDING = StateType.PENDING
_TASK_LOGGER = "actorflow.task_runs"  # the logger of the lines rebuilt here


def task_run_histories(
    summary: FlowRunSummary, home: str | os.PathLike[str] | None = None
) -> tuple[TaskRunHistory, ...]:
    """The task runs of one flow run, with their states, in the order they were created."""
    return run_detail(summary, home, subflows=False).task_runs


def run_detail(
    summary: FlowRunSummary | str,
    home: str | os.PathLike[str] | None = None,
    *,
    subflows: bool = True,
) -> FlowRunDetail:
    """One flow run's states, task runs, subflow runs (each in full) and logs.

    Raises:
        RunNotFoundError: `summary` is a reference no run (or several) match.
    """
    if isinstance(summary, str):
        summary = find_run(summary, home)
    return _details(summary, journal_directory(home), subflows=subflows)


class _RunRecords:
    """What one pass over a run's stretch of records collects of that run."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.parameters: dict[str, str] = {}
        self.task_runner = ""
        self.history: list[State] = []
        self.tasks: dict[str, list[Any]] = {}
        self.task_states: dict[str, list[State]] = {}
        self.children: list[str] = []
        self.logs: list[LogEmitted] = []

    def add(self, values: list[Any]) -> None:
        code = values[0]
        run_id = self.run_id
        if code == _TASK_STATE:
            if values[2] == run_id:
                state = _state(values[3:7])
                self.task_states.setdefault(values[1], []).append(state)
                if state.type in FINAL_STATE_TYPES:
                    self._finished_line(values[1], state)
        elif code == _TASK_CREATED:
            if values[4] == run_id:
                task_run_id, name, at = values[1], values[2], values[6]
                self.tasks[task_run_id] = values
                self.task_states[task_run_id] = [State(type=_PENDING, timestamp=at)]
                self.logs.append(
                    LogEmitted(
                        run_id, task_run_id, INFO, _TASK_LOGGER, SUBMITTED_LINE % (name,), at
                    )
                )
        elif code == _LOG:
            if values[1] == run_id:
                self.logs.append(LogEmitted(*values[1:7]))
        else:
            self._add_flow_record(code, values)

    def _finished_line(self, task_run_id: str, state: State) -> None:
        created = self.tasks.get(task_run_id)
        name = created[2] if created is not None else task_run_id
        self.logs.append(
            LogEmitted(
                self.run_id,
                task_run_id,
                finished_level(state.type),
                _TASK_LOGGER,
                FINISHED_LINE % (name, state),
                state.timestamp,
            )
        )

    def _add_flow_record(self, code: int, values: list[Any]) -> None:
        run_id = self.run_id
        if code == _FLOW_STATE:
            if values[1] == run_id:
                self.history.append(_state(values[2:6]))
        elif code == _FLOW_CREATED:
            if values[1] == run_id:
                self.task_runner, self.parameters = values[5], values[6]
            elif values[4] == run_id:
                self.children.append(values[1])

    def task_runs(self) -> tuple[TaskRunHistory, ...]:
        return tuple(
            TaskRunHistory(
                task_run_id=task_id,
                task_run_name=values[2],
                task_name=values[3],
                flow_run_id=self.run_id,
                parameters=values[5],
                history=tuple(self.task_states.get(task_id, ())),
            )
            for task_id, values in self.tasks.items()
        )


def _details(summary: FlowRunSummary, directory: Path, *, subflows: bool) -> FlowRunDetail:
    found = _RunRecords(summary.flow_run_id)
    for values in _run_stretch(summary, directory):
        found.add(values)
    nested: list[FlowRunDetail] = []
    if subflows and found.children:
        writer = next(
            (f.writer_id for f in list_segments(directory) if f.name == summary.segment), None
        )
        known = {s.flow_run_id: s for s in runs(directory.parent, writer_id=writer)}
        nested = [
            _details(known[child], directory, subflows=True)
            for child in found.children
            if child in known
        ]
    return FlowRunDetail(
        summary=summary,
        parameters=found.parameters,
        task_runner=found.task_runner,
        history=tuple(found.history),
        task_runs=found.task_runs(),
        subflows=tuple(nested),
        logs=tuple(found.logs),  # in the order written (the rebuilt lines where they belong)
    )


def _state(values: list[Any]) -> State:
    kind, name, message, timestamp = values
    # A state type of a later version reads as its nearest kin: a state not final.
    return State(
        type=_STATE_TYPES.get(kind, StateType.PENDING),
        name=name,
        message=message,
        timestamp=timestamp,
    )


# -- checking ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileReport:
    """What `verify` found in one journal file."""

    path: Path
    records: int
    torn: int
    """Bytes of a torn tail (a write cut short), 0 if none."""
    corrupt: int
    """Damaged stretches followed by intact records."""
    unknown: int
    """Intact frames holding no record this version knows."""

    @property
    def ok(self) -> bool:
        return not (self.torn or self.corrupt or self.unknown)


def verify_files(paths: Iterable[Path]) -> list[FileReport]:
    """Read each file whole and count its records and its damage.

    Raises:
        NotAJournalError: a file does not start with the journal's magic bytes.
    """
    reports = []
    for path in paths:
        data = _read_bytes(path)
        if len(data) < len(FILE_MAGIC) and FILE_MAGIC.startswith(data):
            # Created, then cut short before its first bytes (a kill, a full disk).
            reports.append(FileReport(path, 0, len(data) or 1, 0, 0))
            continue
        if not data.startswith(FILE_MAGIC):
            msg = f"{path} is not an actorflow journal file"
            raise NotAJournalError(msg)
        records = torn = corrupt = unknown = 0
        for item in iter_payloads(data):
            if isinstance(item, Damage):
                if item.kind == "torn":
                    torn += item.size
                else:
                    corrupt += 1
                continue
            try:
                decode(item[1])
            except (UnknownRecordError, ValueError):
                unknown += 1
            else:
                records += 1
        reports.append(FileReport(path, records, torn, corrupt, unknown))
    return reports


def verify(home: str | os.PathLike[str] | None = None) -> list[FileReport]:
    """`verify_files` over every segment and index file of the journal under `home`."""
    paths: list[Path] = []
    for segment in list_segments(journal_directory(home)):
        paths.append(segment.path)
        if segment.index_path.exists():
            paths.append(segment.index_path)
    return verify_files(paths)
