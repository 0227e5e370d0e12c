"""What every task runner is: plain settings that build a backend for one flow run.

A [`TaskRunner`][actorflow.task_runners.TaskRunner] is configuration only; it holds no
threads, clients or clusters, so it can be copied, compared and pickled. Each flow run takes
its own copy and its runner actor calls `create_backend()`; the backend is the live thing
(a thread, a `distributed.Client`), owned by that runner actor from `start()` to
`shutdown()`.
"""

from __future__ import annotations

import abc
import copy
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from collections.abc import Callable

    from actorflow._context import TaskCall

__all__ = ["Backend", "TaskRunner"]


class TaskRunner(abc.ABC):
    """Base class of task runners: decides where and how a flow run's tasks execute."""

    @property
    def name(self) -> str:
        """The runner's display name, e.g. `SequentialTaskRunner`."""
        return type(self).__name__

    def duplicate(self) -> Self:
        """A copy with the same settings, for one flow run."""
        return copy.deepcopy(self)

    @abc.abstractmethod
    def create_backend(self) -> Backend:
        """Build the live backend for one flow run. Called on the runner actor's thread."""


class Backend(abc.ABC):
    """The live execution engine of one flow run's task runner.

    Thread rules: `start` and `shutdown` are called only on the owning runner actor's
    thread. `submit` and `abandon` are called from any thread (by task-run actors, on
    whichever thread drains them) and must be thread-safe and quick. A backend reports each
    call's progress with `TaskCall.report_started()` / `report_outcome()`, from whichever
    thread it learns it on, and never blocks a thread waiting for a result.
    """

    def start(self) -> None:  # noqa: B027  (most backends need no set-up)
        """Bring the backend up. May log and take time; runs before any `submit`."""

    @abc.abstractmethod
    def submit(self, call: TaskCall) -> None:
        """Start executing `call`, or queue it; report through the call. Thread-safe."""

    def run_here(self, call: TaskCall) -> bool:
        """Run `call` on the calling thread, which would otherwise block on its result, if
        the backend allows it now ("caller runs"). The default never does: False."""
        del call
        return False

    def abandon(self, call: TaskCall) -> None:  # noqa: B027
        """`call` timed out or was cancelled while running; free what it holds if possible."""

    def help_until(self, done: Callable[[], bool], timeout: float | None) -> bool:
        """Let a thread that runs one of this backend's calls, and must wait, do queued work.

        Returns `done()`. The default does no work: it only says whether `done()` holds.
        """
        del timeout
        return done()

    def runs_on_this_thread(self) -> bool:
        """Whether the current thread executes this backend's calls (and so may help)."""
        return False

    def shutdown(self) -> None:  # noqa: B027
        """Release everything `start()` acquired. Called once, after the last outcome."""
