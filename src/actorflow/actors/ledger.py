"""The ledger: a flow run's account of its task runs and subflow runs.

A light actor owned by the flow-run actor. Task runs and subflow runs report to it as
they are submitted and as they end; the flow run seals it once its body has returned; when
it is sealed and nothing is pending it reports `AllRunsFinished` to the flow run.

Why a separate, light actor: these messages come once or twice per task run; handled in
place by the sending thread (see `actorflow.actors.light`) they cost a few µs, where
waking the flow-run actor's thread for each would cost a hand-off per message.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from pykka import ActorDeadError

from actorflow.actors.dispatch import handles
from actorflow.actors.light import ActorPool, LightActor
from actorflow.actors.messages import (
    AllRunsFinished,
    CancelFlowRun,
    CancelPending,
    CancelTaskRun,
    ChildFlowRunFinished,
    ChildFlowRunStarted,
    ReopenLedger,
    SealLedger,
    TaskRunFinished,
    TaskRunSubmitted,
)

if TYPE_CHECKING:
    from pykka import ActorRef

    from actorflow.states import State

__all__ = ["LedgerActor"]


class LedgerActor(LightActor):
    """Tracks which child runs are pending and the final state of each that ended."""

    def __init__(self, *, flow_run_id: str, flow_run_ref: ActorRef[Any], pool: ActorPool) -> None:
        super().__init__(pool=pool)
        self._flow_run_id = flow_run_id
        self._flow_run_ref = flow_run_ref
        # Invariant: an id is in _pending from its Submitted/Started message to its Finished;
        # the value is the run's actor, to cancel it.
        self._pending: dict[str, ActorRef[Any]] = {}
        self._final_states: list[State] = []
        self._sealed = False
        self._reported = False
        self._children: set[str] = set()

    @handles(TaskRunSubmitted)
    def _on_task_submitted(self, message: TaskRunSubmitted) -> None:
        self._pending[message.task_run_id] = message.task_run_ref

    @handles(TaskRunFinished)
    def _on_task_finished(self, message: TaskRunFinished) -> None:
        self._pending.pop(message.task_run_id, None)
        self._final_states.append(message.state)
        self._report_if_done()

    @handles(ChildFlowRunStarted)
    def _on_child_started(self, message: ChildFlowRunStarted) -> None:
        self._children.add(message.child_flow_run_id)
        self._pending[message.child_flow_run_id] = message.child_flow_run_ref

    @handles(ChildFlowRunFinished)
    def _on_child_finished(self, message: ChildFlowRunFinished) -> None:
        self._pending.pop(message.child_flow_run_id, None)
        self._final_states.append(message.state)
        self._report_if_done()

    @handles(SealLedger)
    def _on_seal(self, _message: SealLedger) -> None:
        self._sealed = True
        self._report_if_done()

    @handles(CancelPending)
    def _on_cancel_pending(self, message: CancelPending) -> None:
        for run_id, ref in list(self._pending.items()):
            cancel: object
            if run_id in self._children:
                cancel = CancelFlowRun(flow_run_id=run_id, message=message.message)
            else:
                cancel = CancelTaskRun(task_run_id=run_id, message=message.message)
            with contextlib.suppress(ActorDeadError):
                ref.tell(cancel)

    @handles(ReopenLedger)
    def _on_reopen(self, _message: ReopenLedger) -> None:
        assert not self._pending, "reopened while runs are pending"
        self._final_states = []
        self._sealed = False
        self._reported = False

    def _report_if_done(self) -> None:
        if self._sealed and not self._pending and not self._reported:
            self._reported = True
            self._flow_run_ref.tell(
                AllRunsFinished(flow_run_id=self._flow_run_id, states=tuple(self._final_states))
            )
