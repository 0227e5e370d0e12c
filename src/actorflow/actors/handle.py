"""`FlowRunHandle`: what the starter of a flow run holds; `FlowRunRef`, its public face.

Written by one actor only, the run's `FlowRunActor` (its state on every transition, its
ledger while it lives, its body threads, its task-run snapshots and its end); read by any
thread. `wait()` blocks the calling (user) thread, with a timeout.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import pykka
from pykka import ActorDeadError

from actorflow._exceptions import ActorflowError
from actorflow._logging import flow_run_logger
from actorflow.actors.base import join_actor
from actorflow.actors.messages import SnapshotTaskRuns, TaskRunSnapshot
from actorflow.core.events import CancelFlowRun
from actorflow.journal._detail import run_detail
from actorflow.journal._reader import JournalError
from actorflow.journal._runs import runs

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykka import ActorRef

    from actorflow.actors.journal import JournalActor
    from actorflow.journal._reader import FlowRunDetail, TaskRunHistory
    from actorflow.journal._records import LogEmitted
    from actorflow.states import State

__all__ = ["JOIN_TIMEOUT", "FlowRunHandle", "FlowRunRef"]

JOIN_TIMEOUT = 30.0
"""How long a stopping actor waits for a child's thread, or a caller for a run's thread."""

_callbacks_lock = threading.Lock()


class FlowRunHandle:
    """A flow run's identity, state and eventual end. Safe to read from any thread.

    Thread rules: `set_state`, `set_ledger`, `add_thread`, `set_task_runs` and `resolve`
    are for the run's `FlowRunActor` only (the one writer); everything else may be called
    from any thread. Users hold a `FlowRunRef`, which has none of them.
    """

    __slots__ = (
        "_callbacks",
        "_event",
        "_final",
        "_ledger_ref",
        "_state",
        "_task_runs",
        "_threads",
        "actor_ref",
        "flow_name",
        "flow_run_id",
        "flow_run_name",
        "journal",
    )

    def __init__(self, *, flow_run_id: str, flow_run_name: str, flow_name: str) -> None:
        self.flow_run_id = flow_run_id
        self.flow_run_name = flow_run_name
        self.flow_name = flow_name
        self.actor_ref: ActorRef[Any] | None = None
        self.journal: JournalActor | None = None  # set before the run starts
        self._event = threading.Event()
        self._state: State | None = None  # the current state
        self._final: State | None = None
        self._task_runs: tuple[Any, ...] | None = None  # snapshots, once the run has ended
        self._ledger_ref: ActorRef[Any] | None = None
        self._threads: list[threading.Thread] = []  # body threads, abandoned ones included
        self._callbacks: list[Callable[[FlowRunHandle], object]] = []  # guarded by the lock

    @property
    def state(self) -> State | None:
        return self._state

    def done(self) -> bool:
        return self._event.is_set()

    def threads_alive(self) -> bool:
        """Whether a body thread of the run (an abandoned one, say) still runs."""
        return any(t.is_alive() for t in self._threads)

    def wait(self, timeout: float | None = None) -> State | None:
        """The final state once the run has ended and its threads are gone; None on timeout."""
        if not self._event.wait(timeout):
            return None
        if self.actor_ref is not None:
            join_actor(self.actor_ref, JOIN_TIMEOUT)
        return self._final

    def cancel(self, message: str) -> None:
        """Ask the run to end Cancelled. Returns at once."""
        ref = self.actor_ref
        if ref is not None and not self.done():
            try:  # noqa: SIM105
                ref.tell(CancelFlowRun(flow_run_id=self.flow_run_id, message=message))
            except ActorDeadError:
                pass  # it ended meanwhile

    def join_threads(self, timeout: float | None) -> bool:
        """Wait for the run's body threads, abandoned ones included, to exit."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in list(self._threads):
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            if thread is not threading.current_thread():
                thread.join(remaining)
        return not self.threads_alive()

    def task_run_snapshots(self, timeout: float | None) -> tuple[Any, ...] | None:
        """Snapshots of the task runs: asked of the ledger while the run lives."""
        ledger_ref = self._ledger_ref
        if self._task_runs is None and ledger_ref is not None:
            try:
                snapshots: tuple[Any, ...] = ledger_ref.ask(
                    SnapshotTaskRuns(flow_run_id=self.flow_run_id), block=True, timeout=timeout
                )
            except (ActorDeadError, pykka.Timeout):
                pass  # ended meanwhile: the run left its last snapshot on the handle
            else:
                return snapshots
        if self._task_runs is None:
            self._event.wait(timeout)
        return self._task_runs

    def add_done_callback(self, fn: Callable[[FlowRunHandle], object]) -> None:
        """Call `fn(handle)` once the run has ended (at once if it has), on the thread that
        ends it. `fn` must be quick: a `tell` to an actor."""
        with _callbacks_lock:
            if not self._event.is_set():
                self._callbacks.append(fn)
                return
        fn(self)

    # -- for the run's FlowRunActor only (the one writer) ------------------------------------------------

    def set_state(self, state: State) -> None:
        self._state = state

    def set_ledger(self, ledger_ref: ActorRef[Any] | None) -> None:
        self._ledger_ref = ledger_ref

    def add_thread(self, thread: threading.Thread) -> None:
        self._threads.append(thread)

    def set_task_runs(self, snapshots: tuple[Any, ...]) -> None:
        self._task_runs = snapshots

    def resolve(self, state: State) -> None:
        self._state = self._final = state
        self._ledger_ref = None
        if self._task_runs is None:
            self._task_runs = ()
        with _callbacks_lock:
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            try:
                fn(self)
            except BaseException:  # never takes down the thread that ends the run
                flow_run_logger.exception(
                    "A done-callback of flow run %r failed", self.flow_run_name
                )


class FlowRunRef:
    """A launched flow run. Every method is safe from any thread; waiting ones take a timeout."""

    __slots__ = ("_handle",)

    def __init__(self, handle: FlowRunHandle) -> None:
        self._handle = handle

    def __repr__(self) -> str:
        return f"<FlowRunRef {self.name!r} of flow {self.flow_name!r}: {self.state}>"

    @property
    def id(self) -> str:
        return self._handle.flow_run_id

    @property
    def name(self) -> str:
        """The run's two-word name, as in the logs."""
        return self._handle.flow_run_name

    @property
    def flow_name(self) -> str:
        return self._handle.flow_name

    @property
    def state(self) -> State | None:
        """The run's current state."""
        return self._handle.state

    def done(self) -> bool:
        return self._handle.done()

    def wait(self, timeout: float | None = None) -> State | None:
        """The final state, once the run has ended; None if `timeout` passed first."""
        return self._handle.wait(timeout)

    def result(self, timeout: float | None = None) -> Any:
        """The flow's return value; raises like a flow call if the run did not complete.

        Raises:
            TimeoutError: the run did not end within `timeout` seconds.
        """
        state = self.wait(timeout)
        if state is None:
            msg = f"flow run {self.name!r} did not end within {timeout} second(s)"
            raise TimeoutError(msg)
        return state.result()

    def cancel(self, message: str = "Cancelled by request") -> None:
        """Ask the run to end `Cancelled`: task runs not started never start, running ones
        are cancelled where the backend allows (or left to finish, their results ignored),
        subflows are cancelled, and the body gets `FlowRunCancelled` at its next call into
        actorflow. Returns at once; `wait()` for the end."""
        self._handle.cancel(message)

    def task_runs(self, timeout: float | None = 10.0) -> tuple[TaskRunSnapshot, ...]:
        """Snapshots of the run's task runs, in the order they were submitted.

        With the journal on, a flow run keeps only its most recent finished task runs in
        memory (`JournalSettings.recent_task_runs`); the others are read back from the
        journal, without results or exceptions, as the kept ones are.

        Raises:
            ActorflowError: the snapshots could not be read within `timeout` seconds.
        """
        handle = self._handle
        snapshots = handle.task_run_snapshots(timeout)
        if snapshots is None:
            msg = f"the task runs of flow run {self.name!r} could not be read in time"
            raise ActorflowError(msg)
        journal = handle.journal
        if journal is None:
            return snapshots
        finished = sum(1 for s in snapshots if s.state is not None and s.state.is_final())
        if finished < journal.settings.recent_task_runs:
            return snapshots  # the ring never filled: nothing was dropped from it
        return _with_journal(snapshots, self._history(timeout).task_runs)

    def logs(self, timeout: float | None = 10.0) -> tuple[LogEmitted, ...]:
        """The run's log records at INFO and above (its own and its task runs'), from the
        journal, oldest first; each names its flow run and task run.

        Raises:
            JournalError: the journal is off for this run's system, or could not be read
                within `timeout` seconds.
        """
        return self._history(timeout).logs

    def _history(self, timeout: float | None) -> FlowRunDetail:
        journal = self._handle.journal
        if journal is None:
            msg = (
                f"flow run {self.name!r} has no journal: its ActorSystem was created with "
                "journal=False (or ACTORFLOW_JOURNAL=0)"
            )
            raise JournalError(msg)
        if not journal.flush(timeout):
            msg = (
                f"the journal at {journal.directory} did not write the records of flow run "
                f"{self.name!r} within {timeout} s, or could not write them (see the log)"
            )
            raise JournalError(msg)
        home = journal.directory.parent
        mine = runs(home, writer_id=journal.writer_id)
        summary = next((s for s in mine if s.flow_run_id == self.id), None)
        if summary is None:
            msg = f"flow run {self.name!r} is not in the journal at {journal.directory}"
            raise JournalError(msg)
        return run_detail(summary, home, subflows=False)


def _with_journal(
    live: tuple[TaskRunSnapshot, ...], recorded: tuple[TaskRunHistory, ...]
) -> tuple[TaskRunSnapshot, ...]:
    """Every task run the journal has, in the order they were created; the live snapshot
    of each the ledger still holds (it may be newer than what is written)."""
    by_id = {s.task_run_id: s for s in live}
    merged = [
        by_id.pop(r.task_run_id)
        if r.task_run_id in by_id
        else TaskRunSnapshot(
            task_run_id=r.task_run_id,
            task_run_name=r.task_run_name,
            task_name=r.task_name,
            state=r.state,
            history=r.history,
        )
        for r in recorded
    ]
    merged.extend(by_id.values())  # created after the flush (none if the run has ended)
    return tuple(merged)
