"""The live progress line of `actorflow run` on a terminal: done / failed / running / total.

It polls the run's task runs (`FlowRunRef.task_runs()`) from the waiting thread, at most
four times a second and less often when a poll is slow (a run of many task runs reads the
older ones back from the journal), so it never costs the run more than a few percent. It
appears only once the run has `MIN_TASK_RUNS` task runs: a small run's console lines say
it all. rich draws the line (spinner, bar, counts, elapsed); `StatusLine` keeps it under
the console lines.
"""

from __future__ import annotations

import io
import shutil
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
)
from rich.text import Text

from actorflow._exceptions import ActorflowError
from actorflow.cli._terminal import StatusLine
from actorflow.cli._text import duration
from actorflow.states import StateType

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rich.progress import Task

    from actorflow import FlowRunRef, TaskRunSnapshot

__all__ = ["MIN_TASK_RUNS", "Counts", "RunProgress", "count"]

MIN_TASK_RUNS: Final = 10
"""The display appears once the run has this many task runs."""
_POLL: Final = 0.25  # seconds between polls of the task runs, at least
_COST_FACTOR: Final = 20  # ... and at least this many times the last poll's cost
_DRAW: Final = 0.1  # seconds between redraws (the spinner, the elapsed time)


@dataclass(frozen=True, slots=True)
class Counts:
    """A run's task runs by where they are."""

    done: int
    """Completed."""
    failed: int
    """Ended in any other final state (failed, crashed, cancelled)."""
    running: int
    total: int


def count(snapshots: Iterable[TaskRunSnapshot]) -> Counts:
    done = failed = running = total = 0
    for snapshot in snapshots:
        total += 1
        state = snapshot.state
        if state is None:
            continue
        if state.type is StateType.COMPLETED:
            done += 1
        elif state.type is StateType.RUNNING:
            running += 1
        elif state.is_final():
            failed += 1
    return Counts(done, failed, running, total)


class _Elapsed(ProgressColumn):
    """Time since the run was launched (not since the display appeared)."""

    def __init__(self, started: float) -> None:
        super().__init__()
        self._started = started

    def render(self, task: Task) -> Text:  # noqa: ARG002  (one task: the run)
        return Text(duration(time.monotonic() - self._started), style="progress.elapsed")


class RunProgress:
    """The progress line of one flow run; `poll()` from the thread that waits for it."""

    def __init__(self, ref: FlowRunRef, started: float) -> None:
        self._ref = ref
        self._next_poll = 0.0
        self._next_draw = 0.0
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            _Elapsed(started),
            auto_refresh=False,
        )
        # Draws the line into a string, in the colors the terminal takes ($TERM, NO_COLOR).
        self._out = Console(file=io.StringIO(), force_terminal=True)
        self._task: TaskID | None = None
        self._line: StatusLine | None = None

    def poll(self, *, force: bool = False) -> None:
        """Read the task runs if it is time (or `force`); show or redraw the line."""
        now = time.monotonic()
        if force or now >= self._next_poll:
            try:
                counts: Counts | None = count(self._ref.task_runs(timeout=1.0))
            except ActorflowError:
                counts = None  # not readable now: next time
            cost = time.monotonic() - now
            self._next_poll = time.monotonic() + max(_POLL, _COST_FACTOR * cost)
            if counts is not None:
                self._update(counts)
        if self._line is not None and (force or now >= self._next_draw):
            self._next_draw = now + _DRAW
            self._line.show(self._render())

    def _update(self, counts: Counts) -> None:
        detail = f"{counts.done} done · {counts.failed} failed · {counts.running} running"
        if self._task is None:
            if counts.total < MIN_TASK_RUNS:
                return
            self._task = self._progress.add_task(
                f"flow run {self._ref.name!r}", total=counts.total, detail=detail
            )
            self._line = StatusLine()
            self._line.start()
        self._progress.update(
            self._task, total=counts.total, completed=counts.done + counts.failed, detail=detail
        )

    def _render(self) -> str:
        """The line as the terminal shows it (ANSI styles), cut to its width."""
        out = self._out
        out.width = shutil.get_terminal_size().columns - 1
        with out.capture() as captured:
            out.print(self._progress.get_renderable(), crop=True, no_wrap=True, overflow="crop")
        return captured.get().split("\n", 1)[0]

    def finish(self) -> None:
        """Show the final counts (the run has ended)."""
        if self._task is not None:
            self.poll(force=True)

    def stop(self) -> None:
        """Remove the live line's machinery (its last state stays on the screen)."""
        line, self._line = self._line, None
        if line is not None:
            line.stop()
