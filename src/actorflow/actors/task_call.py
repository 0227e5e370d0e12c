"""`TaskCall`: one attempt at a task's function, the unit a backend executes."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pykka import ActorDeadError

from actorflow._context import TaskRunContext, reset_current, set_current
from actorflow.actors.messages import SubmitRefused, TaskOutcome, TaskStarted

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykka import ActorRef

    from actorflow._context import FlowRunContext

__all__ = ["TaskCall"]


@dataclass(slots=True, eq=False, kw_only=True)
class TaskCall(TaskRunContext):
    """One attempt at a task's function, as handed to a backend.

    Carries the function and its resolved arguments by reference, the attempt number, and
    the ref of the task-run actor that waits for the outcome. A call runs at most once:
    whoever runs it must `claim()` it first. While it runs, it is also the thread's
    `TaskRunContext`.
    """

    task_run_id: str
    task_run_name: str
    task_name: str
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    task_run_ref: ActorRef[Any]
    flow_run: FlowRunContext | None
    attempt: int = 1
    worker: object = None
    """Set by a backend to what runs the call (to abandon it on timeout); the Dask
    backend clears it once the outcome is in."""
    _claim: threading.Lock = field(default_factory=threading.Lock)

    def claim(self) -> bool:
        """True exactly once: for the first caller, who must then run the call."""
        return self._claim.acquire(blocking=False)

    @property
    def flow_run_name(self) -> str:
        return self.flow_run.flow_run_name if self.flow_run is not None else ""

    def run(self) -> Any:
        """Call the function in the current thread, inside the task run's context."""
        token = set_current(self)
        try:
            return self.fn(*self.args, **self.kwargs)
        finally:
            reset_current(token)

    def report_started(self) -> bool:
        """Tell the task run that its function is starting. Safe from any thread.

        False if the task run has ended meanwhile (cancelled or timed out): then the
        function must not run.
        """
        try:
            self.task_run_ref.tell(TaskStarted(task_run_id=self.task_run_id, attempt=self.attempt))
        except ActorDeadError:
            return False
        return True

    def report_outcome(self, value: Any, *, raised: bool) -> None:
        """Tell the task run what its function returned or raised. Safe from any thread;
        a task run that has ended meanwhile ignores it."""
        try:  # noqa: SIM105  (contextlib.suppress costs ~1 µs per task run)
            self.task_run_ref.tell(
                TaskOutcome(
                    task_run_id=self.task_run_id, attempt=self.attempt, raised=raised, value=value
                )
            )
        except ActorDeadError:
            pass

    def report_refused(self, error: BaseException) -> None:
        """Tell the task run that the backend could not take this attempt after all (it
        was accepted by `submit` and turned down later). Safe from any thread; a task run
        that has ended meanwhile ignores it."""
        try:  # noqa: SIM105
            self.task_run_ref.tell(
                SubmitRefused(task_run_id=self.task_run_id, attempt=self.attempt, error=error)
            )
        except ActorDeadError:
            pass

    def run_and_report(self) -> None:
        """Report start, run in this thread, report the outcome. Never raises.

        A task run that was stopped meanwhile refuses the reports; that is not an error here.
        """
        if not self.report_started():
            return
        try:
            value = self.run()
        except BaseException as error:
            outcome, raised = error, True
        else:
            outcome, raised = value, False
        self.report_outcome(outcome, raised=raised)
