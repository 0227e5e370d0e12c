"""`FlowRunRef` and `TaskRunSnapshot`: what `ActorSystem.launch` hands back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from actorflow._exceptions import ActorflowError

if TYPE_CHECKING:
    from actorflow.actors.flow_run import FlowRunHandle
    from actorflow.actors.system import ActorSystem
    from actorflow.states import State

__all__ = ["FlowRunRef", "TaskRunSnapshot"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskRunSnapshot:
    """One task run of a flow run, as it was when the snapshot was taken."""

    task_run_id: str
    task_run_name: str
    task_name: str
    state: State | None
    history: tuple[State, ...]
    """Every state the run went through so far (only the current one while it runs)."""


class FlowRunRef:
    """A launched flow run. Every method is safe from any thread; waiting ones take a timeout."""

    __slots__ = ("_handle", "_system")

    def __init__(self, handle: FlowRunHandle, *, system: ActorSystem) -> None:
        self._handle = handle
        self._system = system

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
        """Snapshots of the run's task runs, in the order they were submitted."""
        snapshots = self._handle.task_run_snapshots(timeout)
        if snapshots is None:
            msg = f"the task runs of flow run {self.name!r} could not be read in time"
            raise ActorflowError(msg)
        return snapshots
