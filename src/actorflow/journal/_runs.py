"""Flow runs as the index knows them: `runs`, `find_run`, and crash detection."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from actorflow.journal._files import SegmentFile, list_segments, writer_alive
from actorflow.journal._frames import FILE_MAGIC
from actorflow.journal._reader import (
    FlowRunSummary,
    RunNotFoundError,
    _arrays,
    _header,
    _read_bytes,
)
from actorflow.journal._records import RecordType
from actorflow.journal._settings import journal_directory
from actorflow.states import State, StateType

if TYPE_CHECKING:
    import os
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["find_run", "runs"]


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
