"""Starting a task run: its name, its future and its actor; an inline first attempt
run (or handed back) on the submitting thread. The per-task entry point of the runtime
(`ActorRunPort.start_task_run`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actorflow.actors.task_run import TaskRunActor
from actorflow.actors.tell import tell_if_alive
from actorflow.core.events import InlineDeclined
from actorflow.core.names import new_id
from actorflow.futures import TaskFutureWriter

if TYPE_CHECKING:
    from actorflow._context import FlowRunContext, TaskRunRequest
    from actorflow.actors.task_run import TaskRunServices

__all__ = ["start_task_run"]


def start_task_run(
    port: TaskRunServices, request: TaskRunRequest, flow_run: FlowRunContext
) -> TaskFutureWriter[Any]:
    """Start a task run's actor and return its future; with `request.inline`, run or hand
    off its parked first attempt (see `TaskRunRequest.inline`). Called on the submitting
    thread (it is `ActorRunPort.start_task_run`).

    Raises:
        FlowRunCancelled: the flow run was cancelled (or timed out): no new task run starts.
    """
    flow_run.check_cancelled()
    index = flow_run.next_task_index(request.task_key)
    task_run_name = f"{request.task_name}-{request.task_key}-{index}"
    task_run_id = new_id()
    future: TaskFutureWriter[Any] = TaskFutureWriter(
        task_run_id=task_run_id, task_run_name=task_run_name, flow_run_id=port.flow_run_id
    )
    actor = TaskRunActor.spawn(
        task_run_id=task_run_id,
        task_run_name=task_run_name,
        request=request,
        port=port,
        flow_run=flow_run,
        future=future,
    )
    if request.inline is None:
        return future
    call = actor.take_inline()
    if call is None:
        return future
    if request.inline == "nested":
        if call.claim():
            call.run_and_report()
    elif port.backend is None or not port.backend.run_here(call):
        tell_if_alive(actor.actor_ref, InlineDeclined(task_run_id=task_run_id, attempt=1))
    return future
