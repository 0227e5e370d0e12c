"""Starting a flow run: its handle, its actor, and a start that fails or is interrupted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actorflow._exceptions import ActorflowError
from actorflow._logging import ensure_console_logging
from actorflow.actors._pykka_compat import thread_of
from actorflow.actors.flow_run import FlowRunActor
from actorflow.actors.handle import FlowRunHandle
from actorflow.core.names import flow_run_slug, new_id
from actorflow.core.policy import describe
from actorflow.journal._entries import FLOW_ENDED, FLOW_STATE
from actorflow.states import State, StateType

if TYPE_CHECKING:
    from collections.abc import Callable

    from actorflow._context import FlowRunContext
    from actorflow.actors.flow_run import FlowDefinition
    from actorflow.actors.journal import JournalActor
    from actorflow.actors.light import ActorPool
    from actorflow.core.clock import Clock

__all__ = ["start_flow_run"]


def start_flow_run(
    flow: FlowDefinition,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    pool: ActorPool,
    clock: Clock,
    start_flow: Callable[..., FlowRunHandle],
    parent: FlowRunContext | None,
    journal: JournalActor | None = None,
    keep_task_runs: int | None = None,
    register: Callable[[FlowRunHandle], object] | None = None,
) -> FlowRunHandle:
    """Start a flow run's actor; returns its handle at once. The body starts once the
    runner is up. Called on the starting thread. `register` is given the handle as soon
    as it exists, before anything can fail or be interrupted.

    With a `journal`, the run's records go to it, and its ledger keeps only the last
    `keep_task_runs` finished task runs in memory (the journal has them all)."""
    ensure_console_logging()
    handle = FlowRunHandle(flow_run_id=new_id(), flow_run_name=flow_run_slug(), flow_name=flow.name)
    handle.journal = journal
    if register is not None:
        register(handle)
    actor = FlowRunActor(
        handle=handle,
        flow=flow,
        args=args,
        kwargs=kwargs,
        pool=pool,
        clock=clock,
        start_flow=start_flow,
        parent=parent,
        journal=journal,
        keep_task_runs=keep_task_runs,
    )
    # The ref is on the handle before the actor runs: a cancel, however early, is queued.
    handle.actor_ref = actor.actor_ref
    try:
        actor.begin()
    except KeyboardInterrupt:
        # Ctrl-C while the thread was being started: if it runs, the run is cancelled
        # (never left going); if not, it ends Crashed. Either way the Ctrl-C goes on up.
        thread = thread_of(actor.actor_ref)
        if thread is not None and thread.ident is not None:
            handle.cancel("Interrupted (KeyboardInterrupt)")
        else:
            _never_started(handle, journal, KeyboardInterrupt())
        raise
    except BaseException as error:  # no thread could be started (memory, thread limits)
        _never_started(handle, journal, error)
        msg = f"flow run {handle.flow_run_name!r} of flow {flow.name!r} could not start: {describe(error)}"
        raise ActorflowError(msg) from error
    return handle


def _never_started(
    handle: FlowRunHandle, journal: JournalActor | None, error: BaseException
) -> None:
    """A run whose actor thread never started ends Crashed, in its handle and journal."""
    crashed = State(
        type=StateType.CRASHED, message=f"Flow run could not start: {describe(error)}", data=error
    )
    if journal is not None:
        journal.record(
            (FLOW_STATE, handle.flow_run_id, crashed.type.value, crashed.name, crashed.message,
             crashed.timestamp)
        )  # fmt: skip
        journal.record((FLOW_ENDED, handle.flow_run_id))
    handle.resolve(crashed)
