"""`ActorRunPort`: the actor runtime's entry points for one flow run.

The flow-run actor builds one when its runner has started and puts it in the run's
`FlowRunContext`; `@task` and `@flow` reach the runtime only through it (see
`actorflow._context.FlowRunPort`). Immutable, so safe from any thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from actorflow.actors.start_task import start_task_run

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykka import ActorRef

    from actorflow._context import FlowRunContext
    from actorflow.actors.handle import FlowRunHandle
    from actorflow.actors.light import ActorPool
    from actorflow.core.clock import Clock
    from actorflow.runners.base import Backend

__all__ = ["ActorRunPort"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ActorRunPort:
    """What a flow run's task runs share: its ledger, its backend, the system's pool and
    clock. Every method is safe from any thread."""

    flow_run_id: str
    ledger_ref: ActorRef[Any]
    backend: Backend | None
    pool: ActorPool
    clock: Clock
    start_flow: Callable[..., FlowRunHandle]
    """The system's `Runtime.start_flow_run`, for subflows."""
    journal: Callable[[tuple[Any, ...]], None] | None = None
    """Posts an entry to the system's journal (`JournalActor.record`); None: no journal."""

    start_task_run = start_task_run
    """`start_task_run(request, flow_run)`: start a task run, return its `TaskFuture` (the
    module function itself, bound to this port: one call less on the per-task path)."""

    def start_subflow(
        self, flow: Any, args: tuple[Any, ...], kwargs: dict[str, Any], parent: FlowRunContext
    ) -> FlowRunHandle:
        return self.start_flow(flow, args, kwargs, parent=parent)
