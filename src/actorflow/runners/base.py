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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from actorflow._context import TaskRunContext, reset_current, set_current
from actorflow.actors.messages import TaskOutcome, TaskStarted

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykka import ActorRef

    from actorflow._context import FlowRunContext

__all__ = ["Backend", "TaskCall", "TaskRunner"]


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

    Thread rule: `start`, `submit` and `shutdown` are called only on the owning runner
    actor's thread, one at a time. A backend reports each call's progress with
    `TaskCall.report_started()` / `report_outcome()`, from whichever thread it learns it
    on; it never blocks the runner actor's thread waiting for a result.
    """

    def start(self) -> None:  # noqa: B027  (most backends need no set-up)
        """Bring the backend up. May log and take time; runs before any `submit`."""

    @abc.abstractmethod
    def submit(self, call: TaskCall) -> None:
        """Start executing `call`, or queue it; report through the call."""

    def shutdown(self) -> None:  # noqa: B027
        """Release everything `start()` acquired. Called once, after the last outcome."""


@dataclass(slots=True, eq=False, kw_only=True)
class TaskCall:
    """One execution of a task's function, as handed to a backend.

    Carries the function and its (resolved) arguments by reference, and the ref of the
    task-run actor that waits for the outcome.
    """

    task_run_id: str
    task_run_name: str
    task_name: str
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    task_run_ref: ActorRef[Any]
    flow_run: FlowRunContext | None

    @property
    def flow_run_name(self) -> str:
        return self.flow_run.flow_run_name if self.flow_run is not None else ""

    def run(self) -> Any:
        """Call the function in the current thread, inside the task run's context."""
        token = set_current(
            TaskRunContext(
                task_run_id=self.task_run_id,
                task_run_name=self.task_run_name,
                task_name=self.task_name,
                flow_run=self.flow_run,
                flow_run_name=self.flow_run_name,
            )
        )
        try:
            return self.fn(*self.args, **self.kwargs)
        finally:
            reset_current(token)

    def report_started(self) -> None:
        """Tell the task run that its function is starting. Safe from any thread."""
        self.task_run_ref.tell(TaskStarted(task_run_id=self.task_run_id))

    def report_outcome(self, value: Any, *, raised: bool) -> None:
        """Tell the task run what its function returned or raised. Safe from any thread."""
        self.task_run_ref.tell(
            TaskOutcome(task_run_id=self.task_run_id, raised=raised, value=value)
        )

    def run_and_report(self) -> None:
        """Report start, run in this thread, report the outcome. Never raises."""
        self.report_started()
        try:
            value = self.run()
        except BaseException as error:
            self.report_outcome(error, raised=True)
        else:
            self.report_outcome(value, raised=False)
