"""The ledger: a flow run's account of its task runs and subflow runs.

A light actor owned by the flow-run actor. Task runs and subflow runs report to it as
they are submitted and as they end; the flow run seals it once its body has returned; when
it is sealed and nothing is pending it reports `AllRunsFinished` to the flow run.

Why a separate, light actor: these messages come once or twice per task run; handled in
place by the sending thread (see `actorflow.actors.light`) they cost a few µs, where
waking the flow-run actor's thread for each would cost a hand-off per message.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Any

from actorflow.actors.dispatch import handles
from actorflow.actors.light import ActorPool, LightActor
from actorflow.actors.messages import (
    CancelPending,
    ChildFlowRunFinished,
    ChildFlowRunStarted,
    ReopenLedger,
    SealLedger,
    SnapshotTaskRuns,
    TaskRunFinished,
    TaskRunSnapshot,
    TaskRunSubmitted,
)
from actorflow.actors.tell import tell_if_alive
from actorflow.core.events import AllRunsFinished, CancelFlowRun, CancelTaskRun, LedgerFailed
from actorflow.states import StatesTally, without_data

if TYPE_CHECKING:
    from pykka import ActorRef

    from actorflow.states import State

__all__ = ["LedgerActor"]


class _Record:
    """What the ledger knows of one task run."""

    __slots__ = ("future", "history", "seq", "task_name", "task_run_id", "task_run_name")

    def __init__(self, seq: int, task_run_name: str, task_name: str, future: Any) -> None:
        self.seq = seq  # its place in submission order
        self.task_run_id = ""  # set when it moves to the ring of finished runs
        self.task_run_name = task_run_name
        self.task_name = task_name
        self.future = future
        self.history: tuple[State, ...] = ()


def _submission_order(item: tuple[str, _Record]) -> int:
    return item[1].seq


class LedgerActor(LightActor):
    """Tracks which child runs are pending and the final state of each that ended."""

    def __init__(
        self,
        *,
        flow_run_id: str,
        flow_run_ref: ActorRef[Any],
        pool: ActorPool,
        keep_finished: int | None = None,
    ) -> None:
        """`keep_finished`: with the journal on, how many finished task runs to keep (the
        most recent); None keeps every one for as long as the flow run lives."""
        super().__init__(pool=pool)
        self._flow_run_id = flow_run_id
        self._flow_run_ref = flow_run_ref
        # The task runs of the flow run, in submission order: id -> its record. With
        # `keep_finished`, only pending ones: finished ones move to `_recent`, a ring.
        self._records: dict[str, _Record] = {}
        self._recent: collections.deque[_Record] | None = (
            None if keep_finished is None else collections.deque(maxlen=keep_finished)
        )
        # Invariant: an id is in _pending from its Submitted/Started message to its Finished;
        # the value is the run's actor, to cancel it.
        self._pending: dict[str, ActorRef[Any]] = {}
        # What this attempt's final states add up to (counts and the first failure): the
        # states themselves, and the results they carry, are not kept.
        self._tally = StatesTally()
        self._sealed = False
        self._reported = False
        self._children: set[str] = set()
        self._submitted = 0
        self._cancel_message: str | None = None  # set once this attempt is cancelled

    @handles(TaskRunSubmitted)
    def _on_task_submitted(self, message: TaskRunSubmitted) -> None:
        self._pending[message.task_run_id] = message.task_run_ref
        if self._cancel_message is not None:  # submitted as the cancel went out: cancelled
            tell_if_alive(
                message.task_run_ref,
                CancelTaskRun(task_run_id=message.task_run_id, message=self._cancel_message),
            )
        self._records[message.task_run_id] = _Record(
            self._submitted, message.task_run_name, message.task_name, message.future
        )
        self._submitted += 1

    @handles(TaskRunFinished)
    def _on_task_finished(self, message: TaskRunFinished) -> None:
        self._pending.pop(message.task_run_id, None)
        self._tally.add(message.state)
        record = (
            self._records.get(message.task_run_id)
            if self._recent is None
            else self._records.pop(message.task_run_id, None)
        )
        if record is not None:
            # The history without the result or exception: those live as long as the user's
            # future (or the flow's return value) needs them, not as long as the flow run.
            record.history = (*message.history[:-1], without_data(message.state))
            record.future = None  # the history says it all now; let the future go
            if self._recent is not None:
                record.task_run_id = message.task_run_id
                self._recent.append(record)
        self._report_if_done()

    @handles(ChildFlowRunStarted)
    def _on_child_started(self, message: ChildFlowRunStarted) -> None:
        self._children.add(message.child_flow_run_id)
        self._pending[message.child_flow_run_id] = message.child_flow_run_ref
        if self._cancel_message is not None:
            tell_if_alive(
                message.child_flow_run_ref,
                CancelFlowRun(flow_run_id=message.child_flow_run_id, message=self._cancel_message),
            )

    @handles(ChildFlowRunFinished)
    def _on_child_finished(self, message: ChildFlowRunFinished) -> None:
        self._pending.pop(message.child_flow_run_id, None)
        self._tally.add(message.state)
        self._report_if_done()

    @handles(SealLedger)
    def _on_seal(self, _message: SealLedger) -> None:
        self._sealed = True
        self._report_if_done()

    @handles(CancelPending)
    def _on_cancel_pending(self, message: CancelPending) -> None:
        self._cancel_pending(message.message)

    def _cancel_pending(self, text: str) -> None:
        """The one cancel path: each pending task run and subflow run gets the cancel
        message its kind handles, and so does each one that registers later in this
        attempt (its body may have been submitting it as the cancel went out)."""
        self._cancel_message = text
        for run_id, ref in list(self._pending.items()):
            cancel: object
            if run_id in self._children:
                cancel = CancelFlowRun(flow_run_id=run_id, message=text)
            else:
                cancel = CancelTaskRun(task_run_id=run_id, message=text)
            tell_if_alive(ref, cancel)

    @handles(SnapshotTaskRuns)
    def _on_snapshot(self, _message: SnapshotTaskRuns) -> tuple[TaskRunSnapshot, ...]:
        return self._snapshot()

    def _snapshot(self) -> tuple[TaskRunSnapshot, ...]:
        snapshots = []
        if self._recent is None:  # every record, in submission order already
            records = list(self._records.items())
        else:  # the recent finished ones and the pending ones, back in submission order
            records = [(r.task_run_id, r) for r in self._recent]
            records.extend(self._records.items())
            records.sort(key=_submission_order)
        for task_run_id, record in records:
            history = record.history
            state = history[-1] if history else record.future.state
            snapshots.append(
                TaskRunSnapshot(
                    task_run_id=task_run_id,
                    task_run_name=record.task_run_name,
                    task_name=record.task_name,
                    state=state,
                    history=history or ((state,) if state is not None else ()),
                )
            )
        return tuple(snapshots)

    def on_failure(self, *exc_info: Any) -> None:
        # Death-watch: the flow run must hear of it, or it would wait for AllRunsFinished
        # forever. It ends Crashed; the task runs still pending are cancelled.
        error = exc_info[1]
        self._cancel_pending(f"The flow run's ledger crashed: {error!r}")
        tell_if_alive(
            self._flow_run_ref,
            LedgerFailed(
                flow_run_id=self._flow_run_id,
                message=f"The flow run's ledger crashed: {type(error).__name__}: {error}",
                error=error,
            ),
        )

    @handles(ReopenLedger)
    def _on_reopen(self, _message: ReopenLedger) -> None:
        # Runs a cancelled attempt left behind are still ending: they stay pending, so the
        # new attempt's end waits for them, but only the new attempt's states are counted.
        self._tally = StatesTally()
        self._sealed = False
        self._reported = False
        self._cancel_message = None

    def _report_if_done(self) -> None:
        if self._sealed and not self._pending and not self._reported:
            self._reported = True
            self._flow_run_ref.tell(
                AllRunsFinished(
                    flow_run_id=self._flow_run_id,
                    summary=self._tally.aggregate(timestamp=0.0),
                    snapshots=self._snapshot(),
                )
            )
