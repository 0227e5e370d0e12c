"""`ActorSystem`: launches flow runs and supervisors, and shuts them down together.

The public facade over one actor runtime (`actorflow.actors.runtime.Runtime`): it checks
what users pass, and returns the handles they hold.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from actorflow.actors.handle import FlowRunRef
from actorflow.actors.runtime import Runtime, open_journal
from actorflow.core.supervision import Child, Group, check_strategy
from actorflow.flows import Flow
from actorflow.journal._reader import JournalError
from actorflow.journal._runs import runs as journal_runs
from actorflow.journal._settings import JournalSettings

if TYPE_CHECKING:
    from pathlib import Path
    from types import TracebackType
    from typing import Self

    from actorflow.actors.supervisor import Supervisor
    from actorflow.core.clock import Clock
    from actorflow.core.supervision import Backoff, Restart, Strategy
    from actorflow.journal._reader import FlowRunSummary
    from actorflow.states import StateType

__all__ = ["ActorSystem"]


class ActorSystem:
    """Launches flow runs and shuts them down together. Safe to use from any thread.

    ```python
    with ActorSystem() as system:
        run = system.launch(my_flow, 3, x=1)   # returns at once
        run.wait(timeout=60)
    ```

    Args:
        pool_threads: the most threads draining light actors' mailboxes at once, when
            the threads that message them cannot (see the design page).
        clock: the clock that times retries, timeouts and supervisor backoff, and stamps
            states: the real clock by default; a `actorflow.clocks.ManualClock` in tests.
        home: the actorflow home, whose `journal/` folder receives the run journal:
            `$ACTORFLOW_HOME`, else `~/.actorflow`, by default.
        journal: True to keep a run journal (the default, unless `ACTORFLOW_JOURNAL=0`),
            False for none, or a `actorflow.journal.JournalSettings` to tune it.

    Raises:
        OSError: the journal's folder cannot be created or written.
    """

    def __init__(
        self,
        *,
        pool_threads: int = 2,
        clock: Clock | None = None,
        home: str | os.PathLike[str] | None = None,
        journal: bool | JournalSettings | None = None,
    ) -> None:
        if isinstance(pool_threads, bool) or not isinstance(pool_threads, int) or pool_threads < 1:
            msg = f"ActorSystem(pool_threads=...) must be a whole number >= 1, got {pool_threads!r}"
            raise ValueError(msg)
        if clock is not None and not all(
            callable(getattr(clock, name, None)) for name in ("now", "call_later", "shutdown")
        ):
            msg = (
                "ActorSystem(clock=...) takes a clock with now(), call_later() and shutdown(), "
                f"such as actorflow.clocks.ManualClock(), got {type(clock).__name__}"
            )
            raise TypeError(msg)
        if journal is not None and not isinstance(journal, bool | JournalSettings):
            msg = (
                "ActorSystem(journal=...) takes True, False or a JournalSettings(...), "
                f"got {type(journal).__name__}"
            )
            raise TypeError(msg)
        if home is not None and not isinstance(home, str | os.PathLike):
            msg = f"ActorSystem(home=...) takes a folder path, got {type(home).__name__}"
            raise TypeError(msg)
        self.runtime = Runtime(
            pool_threads=pool_threads,
            clock=clock,
            journal=open_journal(home, journal, explicit=True),
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()

    @property
    def clock(self) -> Clock:
        """The system's clock."""
        return self.runtime.clock

    @property
    def is_shut_down(self) -> bool:
        return self.runtime.is_shut_down

    @property
    def journal_directory(self) -> Path | None:
        """Where this system writes its journal; None when the journal is off."""
        journal = self.runtime.journal
        return None if journal is None else journal.directory

    def runs(
        self,
        *,
        flow: Flow[Any, Any] | str | None = None,
        state: StateType | str | None = None,
        limit: int | None = None,
        timeout: float | None = 10.0,
    ) -> list[FlowRunSummary]:
        """Flow runs recorded in this system's journal, newest first: its own (those
        still going included, with `state` None) and those of earlier processes and other
        systems sharing its home.

        Args:
            flow: only runs of this flow (the `@flow` function or its name).
            state: only runs whose state has this type (`"FAILED"`, `StateType.COMPLETED`,
                `"RUNNING"` for runs still going...).
            limit: at most this many.
            timeout: how long to wait for this system's latest records to be written.
                If they are not written in time, or writing failed (the journal logs
                that as an error), the list is what the journal holds so far.

        Raises:
            JournalError: the journal is off for this system.
        """
        journal = self.runtime.journal
        if journal is None:
            msg = "this ActorSystem keeps no journal (journal=False or ACTORFLOW_JOURNAL=0)"
            raise JournalError(msg)
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            msg = f"runs(limit=...) takes a whole number >= 0, got {limit!r}"
            raise ValueError(msg)
        journal.flush(timeout)  # (a listing does not fail for what a write lost: see above)
        name = flow.name if isinstance(flow, Flow) else flow
        return journal_runs(journal.directory.parent, flow=name, state=state, limit=limit)

    def launch(self, flow: Flow[Any, Any], /, *args: Any, **kwargs: Any) -> FlowRunRef:
        """Start a run of `flow` with these arguments and return its `FlowRunRef` at once.

        Raises:
            TypeError: the arguments do not fit the flow's signature (nothing starts).
            SystemShutDownError: the system is shut down.
        """
        if not isinstance(flow, Flow):
            msg = f"launch() takes a function decorated with @flow, got {type(flow).__name__}"
            raise TypeError(msg)
        bound = flow.bind(*args, **kwargs)
        return FlowRunRef(self.runtime.start_flow_run(flow, bound.args, bound.kwargs, parent=None))

    def supervise(
        self,
        flow: Flow[Any, Any],
        /,
        *args: Any,
        restart: Restart = "permanent",
        max_restarts: int = 3,
        within_seconds: float = 60.0,
        backoff: Backoff | None = None,
        keep_runs: int = 10,
        **kwargs: Any,
    ) -> Supervisor:
        """Run `flow` under a supervisor that restarts it by `restart` (see `Restart`).

        More than `max_restarts` restarts within `within_seconds` and the supervisor gives
        up (`status == "gave_up"`). Delays between restarts follow `backoff`. The supervisor
        keeps its last `keep_runs` runs (`Supervisor.runs`) and counts them all
        (`Supervisor.run_count`), so a flow restarted for weeks stays in flat memory.
        """
        child = Child(flow=flow, args=args, kwargs=kwargs, restart=restart)
        return self.supervisor(
            strategy="one_for_one",
            children=[child],
            max_restarts=max_restarts,
            within_seconds=within_seconds,
            backoff=backoff,
            keep_runs=keep_runs,
        )

    def supervisor(
        self,
        *,
        strategy: Strategy = "one_for_one",
        children: list[Child | Group],
        max_restarts: int = 3,
        within_seconds: float = 60.0,
        backoff: Backoff | None = None,
        keep_runs: int = 10,
    ) -> Supervisor:
        """Start a supervisor over several children, started in order, stopped in reverse.

        `strategy` says which children restart when one must: `one_for_one` (that one),
        `one_for_all` (all), `rest_for_one` (that one and those started after it).
        `keep_runs`: how many of its last runs the supervisor keeps (see `supervise`).
        """
        check_strategy(strategy)
        _check_children("supervisor(children=...)", children)
        _check_limits(max_restarts, within_seconds)
        if isinstance(keep_runs, bool) or not isinstance(keep_runs, int) or keep_runs < 1:
            msg = f"keep_runs=... must be a whole number >= 1, got {keep_runs!r}"
            raise ValueError(msg)
        return self.runtime.start_supervisor(
            strategy=strategy,
            children=list(children),
            max_restarts=max_restarts,
            within_seconds=float(within_seconds),
            backoff=backoff,
            keep_runs=keep_runs,
        )

    def shutdown(self, *, timeout: float | None = 30.0) -> tuple[FlowRunRef, ...]:
        """Stop the supervisors (so nothing restarts), then cancel every run still going, all
        at once, and wait for them within the one `timeout`; then stop the system's own
        threads (clock, pool), always. Returns the runs that had not stopped in time (also
        logged as warnings): empty when all went well. A second call does nothing."""
        return tuple(FlowRunRef(h) for h in self.runtime.shutdown(timeout=timeout))


def _check_children(where: str, children: object) -> None:
    if (
        not isinstance(children, list | tuple)
        or not children
        or not all(isinstance(c, Child | Group) for c in children)
    ):
        msg = f"{where} takes a non-empty list of Child(flow, args, kwargs, restart) or Group(...)"
        raise TypeError(msg)
    for c in children:
        if isinstance(c, Group):
            _check_children("Group(children=...)", c.children)
            _check_limits(c.max_restarts, c.within_seconds)
            continue
        if not isinstance(c.flow, Flow):
            msg = f"Child(flow=...) takes a function decorated with @flow, got {type(c.flow).__name__}"
            raise TypeError(msg)
        c.flow.bind(*c.args, **c.kwargs)  # a TypeError before anything starts


def _check_limits(max_restarts: object, within_seconds: object) -> None:
    if isinstance(max_restarts, bool) or not isinstance(max_restarts, int) or max_restarts < 0:
        msg = f"max_restarts=... must be a whole number >= 0, got {max_restarts!r}"
        raise ValueError(msg)
    if (
        isinstance(within_seconds, bool)
        or not isinstance(within_seconds, int | float)
        or within_seconds <= 0
    ):
        msg = f"within_seconds=... must be a number > 0, got {within_seconds!r}"
        raise ValueError(msg)
