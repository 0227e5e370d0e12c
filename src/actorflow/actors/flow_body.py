"""A flow run's body thread: the flow function, run in its context, reported by `tell`.

Body threads are the flow-run actor's children (it starts them with `StartBody` and joins
them when it stops); they run user code, may block, and talk to the actor only by `tell`.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from actorflow._context import reset_current, set_current
from actorflow._results import RemoteResult
from actorflow.actors.tell import tell_if_alive
from actorflow.core.events import BodyFinished
from actorflow.states import State

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykka import ActorRef

    from actorflow._context import FlowRunContext

__all__ = ["run_body"]


def run_body(
    context: FlowRunContext, flow_run_ref: ActorRef[Any], attempt: int, body: Callable[[], Any]
) -> None:
    """A body thread: call the flow function in its run context, then tell the actor."""
    token = set_current(context)
    try:
        value = _fetch_returned_results(body())
    except BaseException as error:
        outcome = BodyFinished(
            flow_run_id=context.flow_run_id, attempt=attempt, raised=True, value=error
        )
    else:
        outcome = BodyFinished(
            flow_run_id=context.flow_run_id, attempt=attempt, raised=False, value=value
        )
    finally:
        reset_current(token)
    tell_if_alive(flow_run_ref, outcome)  # an abandoned body may outlive its run


def _fetch_returned_results(value: Any) -> Any:
    """The body's return value, with the results of the states it returns fetched here:
    they become the flow's result, which must outlive the task runner (a Dask cluster
    that holds them closes with the run). Runs on the body thread, which may block."""
    if isinstance(value, State):
        return _with_fetched_result(value)
    if isinstance(value, list | tuple) and any(isinstance(v, State) for v in value):
        items = [_with_fetched_result(v) if isinstance(v, State) else v for v in value]
        kind: Any = type(value)
        if isinstance(value, tuple) and hasattr(value, "_fields"):  # a namedtuple
            return kind(*items)
        return kind(items)
    return value


def _with_fetched_result(state: State) -> State:
    if state.is_completed() and isinstance(state.data, RemoteResult):
        return dataclasses.replace(state, data=state.data.fetch())
    return state
