"""The task-run actor: owns one task run's state, from submission to its final state.

A `LightActor`: it has no thread; its handlers run on the thread that messages it (the
flow body when submitting, the backend when reporting) or on the system's actor pool.
"""

from __future__ import annotations

from logging import ERROR, INFO
from typing import TYPE_CHECKING, Any

from pykka import ActorDeadError

from actorflow._logging import emit, task_run_logger
from actorflow.actors.dispatch import handles
from actorflow.actors.light import LightActor
from actorflow.actors.messages import (
    RunTask,
    TaskOutcome,
    TaskRunFinished,
    TaskRunSubmitted,
    TaskStarted,
)
from actorflow.runners.base import TaskCall
from actorflow.states import State, StateType
from actorflow.transitions import decide

if TYPE_CHECKING:
    from collections.abc import Callable

    from actorflow._context import FlowRunContext
    from actorflow.futures import TaskFuture

__all__ = ["TaskRunActor"]


def failure_message(kind: str, error: BaseException) -> str:
    """`<Kind> run encountered an exception: <ExcType>: <message>`."""
    return f"{kind} run encountered an exception: {type(error).__name__}: {error}"


class TaskRunActor(LightActor):
    """Proposes each state of its run through `decide`, and reports the end.

    Created PENDING. On start: `TaskRunSubmitted` to the flow run, `RunTask` to the runner.
    `TaskStarted` -> RUNNING. `TaskOutcome` -> COMPLETED or FAILED, then the final state
    goes to the flow run (`TaskRunFinished`) and to the `TaskFuture`, and the actor stops.
    """

    def __init__(
        self,
        *,
        task_run_id: str,
        task_run_name: str,
        task_name: str,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        flow_run: FlowRunContext,
        future: TaskFuture[Any],
        inline: bool,
    ) -> None:
        """Runs in the submitting thread. With `inline`, the submitter executes `call`
        itself (a task called inside a running task) instead of the runner."""
        super().__init__(pool=flow_run.pool)
        self.call = TaskCall(
            task_run_id=task_run_id,
            task_run_name=task_run_name,
            task_name=task_name,
            fn=fn,
            args=args,
            kwargs=kwargs,
            task_run_ref=self.actor_ref,
            flow_run=flow_run,
        )
        self._flow_run_id = flow_run.flow_run_id
        self._ledger_ref = flow_run.ledger_ref
        self._runner_ref = None if inline else flow_run.runner_ref
        self._future = future
        self._history: list[State] = [State(type=StateType.PENDING)]

    @property
    def _state(self) -> State | None:
        return self._history[-1] if self._history else None

    def _propose(self, state: State) -> bool:
        decision = decide(self._state, state)
        if not decision:
            task_run_logger.debug(
                "Task run %r rejected %s: %s", self.call.task_run_name, state, decision.reason
            )
            return False
        self._history.append(state)
        return True

    def on_start(self) -> None:
        call = self.call
        self._ledger_ref.tell(
            TaskRunSubmitted(
                flow_run_id=self._flow_run_id,
                task_run_id=call.task_run_id,
                task_run_name=call.task_run_name,
            )
        )
        if self._runner_ref is not None:
            emit(
                task_run_logger,
                INFO,
                "Submitting task run %r to task runner...",
                call.task_run_name,
            )
            try:
                self._runner_ref.tell(
                    RunTask(flow_run_id=self._flow_run_id, task_run_id=call.task_run_id, call=call)
                )
            except ActorDeadError as error:
                message = f"The task runner of this flow run is not running: {error}"
                self._end(State(type=StateType.CRASHED, message=message, data=error))

    @handles(TaskStarted)
    def _on_started(self, _message: TaskStarted) -> None:
        self._propose(State(type=StateType.RUNNING))

    @handles(TaskOutcome)
    def _finish(self, outcome: TaskOutcome) -> None:
        if outcome.raised:
            error: BaseException = outcome.value
            crashed = not isinstance(error, Exception)
            state = State(
                type=StateType.CRASHED if crashed else StateType.FAILED,
                message=failure_message("Task", error),
                data=error,
            )
        else:
            state = State(type=StateType.COMPLETED, data=outcome.value)
        self._end(state)

    def on_failure(self, *exc_info: Any) -> None:
        # A handler raised: the run cannot go on. Record it as crashed so nothing waits forever.
        error = exc_info[1]
        self._end(
            State(type=StateType.CRASHED, message=f"Task run actor crashed: {error!r}", data=error)
        )

    def _end(self, state: State) -> None:
        """Enter the final state, report it to the flow run and the future, and stop."""
        if not self._propose(state):
            return
        name = self.call.task_run_name
        level = INFO if state.type is StateType.COMPLETED else ERROR
        emit(task_run_logger, level, "Task run %r finished in state %s", name, state)
        self._ledger_ref.tell(
            TaskRunFinished(
                flow_run_id=self._flow_run_id,
                task_run_id=self.call.task_run_id,
                task_run_name=name,
                state=state,
                history=tuple(self._history),
            )
        )
        self._future._resolve(state)
        self._stop()
