"""The runtime of one actor system: what its runs share, and its registry of runs.

A `Runtime` holds the pool that drains light actors' mailboxes, the clock that stamps
events and delivers delayed messages, and the top-level flow runs and supervisors it
started (Pykka's global registry is not used, so several systems in one process are
independent). The public `actorflow.ActorSystem` is a facade over one; plain flow calls use
the default runtime, created on first use and shut down when the interpreter exits.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from actorflow._context import current_flow_run
from actorflow._exceptions import SystemShutDownError
from actorflow.actors.journal import JournalActor
from actorflow.actors.light import ActorPool
from actorflow.actors.start_flow import start_flow_run
from actorflow.actors.supervisor import SupervisorActor, SupervisorWriter
from actorflow.clocks import RealClock
from actorflow.core.names import new_id
from actorflow.core.supervision import Backoff
from actorflow.journal._settings import JournalSettings, journal_directory, journal_on_by_default

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

    from actorflow._context import FlowRunContext
    from actorflow.actors.flow_run import FlowDefinition
    from actorflow.actors.handle import FlowRunHandle
    from actorflow.core.clock import Clock
    from actorflow.core.supervision import Child, Group, Strategy

__all__ = ["Runtime", "default_runtime"]

logger = logging.getLogger("actorflow.system")


class Runtime:
    """Starts flow runs and supervisors, and shuts them down together. Every method is
    safe from any thread."""

    def __init__(
        self,
        *,
        pool_threads: int = 2,
        clock: Clock | None = None,
        journal: JournalActor | None = None,
    ) -> None:
        self.pool = ActorPool(max_threads=pool_threads)
        self.clock: Clock = clock if clock is not None else RealClock()
        self.journal = journal
        self._keep_task_runs = None if journal is None else journal.settings.recent_task_runs
        self._lock = threading.Lock()
        # Guarded by _lock: top-level runs not yet seen ended; supervisors; _closed.
        self.runs: dict[str, FlowRunHandle] = {}
        self._supervisors: list[SupervisorWriter] = []
        self._closed = False

    @property
    def is_shut_down(self) -> bool:
        return self._closed

    def check_open(self) -> None:
        if self._closed:
            msg = "this ActorSystem is shut down; create a new one to start more flow runs"
            raise SystemShutDownError(msg)

    def start_flow_run(
        self,
        flow: FlowDefinition,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        parent: FlowRunContext | None,
    ) -> FlowRunHandle:
        """Start a run of `flow` (a subflow of `parent`, if given); returns its handle.

        Raises:
            SystemShutDownError: a top-level run asked of a runtime that is shut down.
        """
        if parent is not None:
            return self._start(flow, args, kwargs, parent)
        # Registered as soon as its handle exists: a Ctrl-C while its thread starts still
        # leaves a run that shutdown (and the exit hook) knows of and waits for.
        registered: list[FlowRunHandle] = []
        try:
            with self._lock:
                self.check_open()
                self.runs = {k: h for k, h in self.runs.items() if not _gone(h)}
                try:
                    handle = self._start(flow, args, kwargs, None, registered.append)
                finally:
                    for started in registered:
                        self.runs[started.flow_run_id] = started
        finally:
            for started in registered:  # (outside the lock: _forget takes it)
                started.add_done_callback(self._forget)
        return handle

    def _start(
        self,
        flow: FlowDefinition,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        parent: FlowRunContext | None,
        register: Callable[[FlowRunHandle], object] | None = None,
    ) -> FlowRunHandle:
        return start_flow_run(
            flow,
            args,
            kwargs,
            pool=self.pool,
            clock=self.clock,
            start_flow=self.start_flow_run,
            parent=parent,
            register=register,
            journal=self.journal,
            keep_task_runs=self._keep_task_runs,
        )

    def _forget(self, handle: FlowRunHandle) -> None:
        """A top-level run ended: stop keeping it (and its task runs' records) alive, unless
        a body thread it abandoned still runs (`shutdown` waits for those)."""
        if _gone(handle):
            with self._lock:
                self.runs.pop(handle.flow_run_id, None)

    def start_supervisor(
        self,
        *,
        strategy: Strategy,
        children: list[Child | Group],
        max_restarts: int,
        within_seconds: float,
        backoff: Backoff | None,
        keep_runs: int = 10,
    ) -> SupervisorWriter:
        """Start a supervisor over `children` (checked by the caller); returns its handle."""
        with self._lock:
            self.check_open()
            supervisor = SupervisorWriter(
                supervisor_id=new_id(), children=len(children), keep_runs=keep_runs
            )
            self._supervisors.append(supervisor)
        supervisor.add_stopped_callback(self._forget_supervisor)
        supervisor.actor_ref = SupervisorActor.start(
            supervisor=supervisor,
            runtime=self,
            children=list(children),
            strategy=strategy,
            max_restarts=max_restarts,
            within_seconds=float(within_seconds),
            backoff=backoff or Backoff(),
        )
        return supervisor

    def shutdown_at_exit(self) -> None:
        """The default runtime's exit hook: like `shutdown`, but it says so on stderr before
        it waits for runs still going (their code may take a while to notice the cancel);
        a second Ctrl-C stops the wait and lets the interpreter exit at once."""
        with self._lock:
            going = [h for h in self.runs.values() if not _gone(h)]
        try:  # from the first line on: a second Ctrl-C at any point ends the wait
            if going:
                shown = 3
                names = ", ".join(repr(h.flow_run_name) for h in going[:shown])
                more = f" and {len(going) - shown} more" if len(going) > shown else ""
                sys.stderr.write(
                    f"actorflow: cancelling flow run {names}{more} before exit; waiting up to "
                    "30 s for its code to stop (press Ctrl-C again to exit at once)\n"
                )
                sys.stderr.flush()
            # The waiting happens on a helper thread; this one wakes up every 0.2 s, so that
            # a Ctrl-C (which the OS may deliver to any thread) is noticed at once.
            stopper = threading.Thread(
                target=self.shutdown, kwargs={"timeout": 30.0}, name="actorflow-exit", daemon=True
            )
            stopper.start()
            while stopper.is_alive():
                stopper.join(0.2)
        except KeyboardInterrupt:
            sys.stderr.write("actorflow: exiting without waiting for the flow runs\n")
            if self.journal is not None:  # what is recorded so far still reaches the disk
                with contextlib.suppress(KeyboardInterrupt):
                    self.journal.stop(timeout=2.0)

    def _forget_supervisor(self, supervisor: SupervisorWriter) -> None:
        """A supervisor stopped or gave up: the system stops keeping it (and its runs)."""
        with self._lock:
            if supervisor in self._supervisors:
                self._supervisors.remove(supervisor)

    def shutdown(self, *, timeout: float | None = 30.0) -> tuple[FlowRunHandle, ...]:
        """Stop the supervisors (so nothing restarts), then cancel every run still going, all
        at once, and wait for them all within the one `timeout`; then stop the clock and the
        pool, whatever happened before. Returns the runs that had not stopped in time (each
        is also logged). A second call does nothing and returns ()."""
        with self._lock:
            if self._closed:
                return ()
            self._closed = True
            supervisors = list(self._supervisors)
            self._supervisors.clear()
        deadline = None if timeout is None else time.monotonic() + timeout

        def remaining() -> float | None:
            return None if deadline is None else max(deadline - time.monotonic(), 0.0)

        late: list[FlowRunHandle] = []
        try:
            for supervisor in supervisors:  # none may restart what is being cancelled
                supervisor.stop(0)
            for supervisor in supervisors:
                supervisor.wait_stopped(remaining())
            with self._lock:
                runs = list(self.runs.values())
            for handle in runs:
                handle.cancel("The actor system was shut down")
            if current_flow_run() is not None:
                # Called from inside a run (a task or a flow body): waiting would wait for
                # the caller itself. Everything is cancelled; the caller's run ends when it
                # returns to actorflow.
                logger.warning(
                    "ActorSystem.shutdown() was called inside a flow run: its runs are "
                    "cancelled, not waited for"
                )
                runs = []
            late.extend(
                handle
                for handle in runs
                if handle.wait(remaining()) is None or not handle.join_threads(remaining())
            )
            for handle in late:
                logger.warning(
                    "Flow run %r had not stopped when the actor system's shutdown timed out",
                    handle.flow_run_name,
                )
        finally:
            # The system's own threads stop promptly once told (they run no user code): they
            # get a second even when the runs used up the timeout.
            own = None if deadline is None else max(remaining() or 0.0, 1.0)
            self.clock.shutdown(timeout=own)
            self.pool.shutdown(timeout=own)
            if self.journal is not None:  # last: it writes what the runs' ends recorded
                self.journal.stop(timeout=None if own is None else max(own, 10.0))
        return tuple(late)


def _gone(handle: FlowRunHandle) -> bool:
    """Ended, and none of its body threads (abandoned ones included) still runs."""
    return handle.done() and not handle.threads_alive()


_default: Runtime | None = None
_default_lock = threading.Lock()


def default_runtime() -> Runtime:
    """The process's default runtime, created on first use, shut down at exit."""
    global _default  # noqa: PLW0603  (the one lazily created default)
    runtime = _default
    if runtime is not None:
        return runtime
    with _default_lock:
        if _default is None:
            _default = Runtime(journal=open_journal(None, None, explicit=False))
            atexit.register(_default.shutdown_at_exit)
        return _default


def open_journal(
    home: str | os.PathLike[str] | None,
    settings: JournalSettings | bool | None,
    *,
    explicit: bool,
) -> JournalActor | None:
    """The journal actor a runtime gets: None when `settings` is False, or None (the
    default) and `ACTORFLOW_JOURNAL` says off.

    Raises:
        OSError: the journal's folder cannot be written, when asked for `explicit`ly (for
            the default runtime, a warning is logged and it runs without a journal).
    """
    if settings is False or (settings is None and not journal_on_by_default()):
        return None
    chosen = settings if isinstance(settings, JournalSettings) else JournalSettings()
    directory = journal_directory(home)
    try:
        return JournalActor(directory, chosen)
    except OSError as error:
        if explicit:
            where = "ActorSystem(home=...)" if home is not None else "ACTORFLOW_HOME"
            msg = (
                f"the run journal cannot be written in {directory} ({error}); give {where} a "
                "writable folder, or pass journal=False"
            )
            raise OSError(error.errno, msg) from error
        logger.warning(
            "The run journal is off: %s could not be written (%s); set ACTORFLOW_HOME to a "
            "writable folder, or ACTORFLOW_JOURNAL=0 to silence this",
            directory,
            error,
        )
        return None
