"""The actor system: launches flow runs as actors, and owns what they share.

A system holds the pool that drains light actors' mailboxes, the timer that delivers delayed
messages, and its own registry of the flow runs it started (Pykka's global registry is not
used for lookup, so several systems in one process are independent). Plain flow calls use a
default system, created on first use and shut down when the interpreter exits.
"""

from __future__ import annotations

import atexit
import threading
import time
from typing import TYPE_CHECKING, Any

from actorflow._exceptions import SystemShutDownError
from actorflow.actors.light import ActorPool
from actorflow.actors.timer import Timer

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Self

    from actorflow._runs import FlowRunRef
    from actorflow._supervision import Backoff, Child, Group, Restart, Strategy, Supervisor
    from actorflow.actors.flow_run import FlowRunHandle
    from actorflow.flows import Flow

__all__ = ["ActorSystem", "default_system"]


class ActorSystem:
    """Launches flow runs and shuts them down together. Safe to use from any thread.

    ```python
    with ActorSystem() as system:
        run = system.launch(my_flow, 3, x=1)   # returns at once
        run.wait(timeout=60)
    ```
    """

    def __init__(self, *, pool_threads: int = 2) -> None:
        self.pool = ActorPool(max_threads=pool_threads)
        self.timer = Timer()
        self._lock = threading.Lock()
        self._runs: dict[str, FlowRunHandle] = {}  # top-level runs not yet seen ended
        self._supervisors: list[Supervisor] = []
        self._closed = False

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
    def is_shut_down(self) -> bool:
        return self._closed

    def launch(self, flow: Flow[Any, Any], /, *args: Any, **kwargs: Any) -> FlowRunRef:
        """Start a run of `flow` with these arguments and return its `FlowRunRef` at once.

        Raises:
            TypeError: the arguments do not fit the flow's signature (nothing starts).
            SystemShutDownError: the system is shut down.
        """
        from actorflow._runs import FlowRunRef
        from actorflow.flows import Flow

        if not isinstance(flow, Flow):
            msg = f"launch() takes a function decorated with @flow, got {type(flow).__name__}"
            raise TypeError(msg)
        bound = flow.bind(*args, **kwargs)
        return FlowRunRef(flow.start(bound, system=self, parent=None), system=self)

    def supervise(
        self,
        flow: Flow[Any, Any],
        /,
        *args: Any,
        restart: Restart = "permanent",
        max_restarts: int = 3,
        within_seconds: float = 60.0,
        backoff: Backoff | None = None,
        **kwargs: Any,
    ) -> Supervisor:
        """Run `flow` under a supervisor that restarts it by `restart` (see `Restart`).

        More than `max_restarts` restarts within `within_seconds` and the supervisor gives
        up (`status == "gave_up"`). Delays between restarts follow `backoff`.
        """
        from actorflow._supervision import Child

        child = Child(flow=flow, args=args, kwargs=kwargs, restart=restart)
        return self.supervisor(
            strategy="one_for_one",
            children=[child],
            max_restarts=max_restarts,
            within_seconds=within_seconds,
            backoff=backoff,
        )

    def supervisor(
        self,
        *,
        strategy: Strategy = "one_for_one",
        children: list[Child | Group],
        max_restarts: int = 3,
        within_seconds: float = 60.0,
        backoff: Backoff | None = None,
    ) -> Supervisor:
        """Start a supervisor over several children, started in order, stopped in reverse.

        `strategy` says which children restart when one must: `one_for_one` (that one),
        `one_for_all` (all), `rest_for_one` (that one and those started after it).
        """
        from actorflow._names import new_id
        from actorflow._supervision import Backoff, Child, Group, Supervisor, check_strategy
        from actorflow.actors.supervisor import SupervisorActor
        from actorflow.flows import Flow

        check_strategy(strategy)
        if not children or not all(isinstance(c, Child | Group) for c in children):
            msg = "supervisor(children=...) takes a non-empty list of Child(flow, args, kwargs, restart) or Group(...)"
            raise TypeError(msg)
        for c in children:
            if isinstance(c, Group):
                continue  # checked when the group itself starts
            if not isinstance(c.flow, Flow):
                msg = f"Child(flow=...) takes a function decorated with @flow, got {type(c.flow).__name__}"
                raise TypeError(msg)
            c.flow.bind(*c.args, **c.kwargs)  # a TypeError before anything starts
        if isinstance(max_restarts, bool) or not isinstance(max_restarts, int) or max_restarts < 0:
            msg = f"max_restarts=... must be a whole number >= 0, got {max_restarts!r}"
            raise ValueError(msg)
        if not isinstance(within_seconds, int | float) or within_seconds <= 0:
            msg = f"within_seconds=... must be a number > 0, got {within_seconds!r}"
            raise ValueError(msg)
        self.check_open()
        supervisor = Supervisor(supervisor_id=new_id(), children=len(children))
        with self._lock:
            self._supervisors.append(supervisor)
        supervisor.actor_ref = SupervisorActor.start(
            supervisor=supervisor,
            system=self,
            children=list(children),
            strategy=strategy,
            max_restarts=max_restarts,
            within_seconds=float(within_seconds),
            backoff=backoff or Backoff(),
        )
        return supervisor

    def _register(self, handle: FlowRunHandle) -> None:
        """Called by `start_flow_run` for a top-level run of this system."""
        with self._lock:
            self.check_open()
            self._runs = {k: h for k, h in self._runs.items() if not _gone(h)}
            self._runs[handle.flow_run_id] = handle
        handle.add_done_callback(self._forget)

    def _forget(self, handle: FlowRunHandle) -> None:
        """A top-level run ended: the system stops keeping it (and its task runs' records)
        alive, unless a body thread it abandoned still runs (`shutdown` waits for those)."""
        if _gone(handle):
            with self._lock:
                self._runs.pop(handle.flow_run_id, None)

    def check_open(self) -> None:
        if self._closed:
            msg = "this ActorSystem is shut down; create a new one to start more flow runs"
            raise SystemShutDownError(msg)

    def shutdown(self, *, timeout: float | None = 30.0) -> None:
        """Stop the supervisors (so nothing restarts), then cancel the runs still going, last
        started first, each ended and its threads gone before the next; then stop the
        system's own threads (timer, pool). A second call does nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            supervisors = list(self._supervisors)
        deadline = None if timeout is None else time.monotonic() + timeout

        def remaining() -> float | None:
            return None if deadline is None else max(deadline - time.monotonic(), 0.0)

        for supervisor in reversed(supervisors):  # before their children can be restarted
            supervisor.stop(remaining())
        with self._lock:
            runs = list(self._runs.values())
        for handle in reversed(runs):  # last started first, each gone before the next
            handle.cancel("The actor system was shut down")
            handle.wait(remaining())
            handle.join_threads(remaining())
        self.timer.shutdown(timeout=remaining())
        self.pool.shutdown(timeout=remaining())


_default: ActorSystem | None = None


def _gone(handle: FlowRunHandle) -> bool:
    """Ended, and none of its body threads (abandoned ones included) still runs."""
    return handle.done() and not any(t.is_alive() for t in handle._threads)


_default_lock = threading.Lock()


def default_system() -> ActorSystem:
    """The process's default system, created on first use, shut down at exit."""
    global _default  # noqa: PLW0603  (the one lazily created default)
    system = _default
    if system is not None:
        return system
    with _default_lock:
        if _default is None:
            _default = ActorSystem()
            atexit.register(_default.shutdown)
        return _default
