"""One flow run's whole history: its states, task runs, subflows and log lines."""

from __future__ import annotations

from logging import INFO
from typing import TYPE_CHECKING, Any

from actorflow.core.lines import FINISHED_LINE, SUBMITTED_LINE, finished_level
from actorflow.journal._files import list_segments
from actorflow.journal._frames import FILE_MAGIC
from actorflow.journal._reader import (
    FlowRunDetail,
    FlowRunSummary,
    TaskRunHistory,
    _arrays,
)
from actorflow.journal._records import LogEmitted, RecordType
from actorflow.journal._runs import _STATE_TYPES, find_run, runs
from actorflow.journal._settings import journal_directory
from actorflow.states import FINAL_STATE_TYPES, State, StateType

if TYPE_CHECKING:
    import os
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["run_detail", "task_run_histories"]


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
