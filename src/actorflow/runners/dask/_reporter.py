"""The backend's reporter thread (`actorflow-dask-reporter`): reports outcomes to the calls.

Outcomes are reported from this thread, not from the client's event loop: the loop is
shared with the client (and, for a LocalCluster, the scheduler), and reporting runs
task-run handlers and writes log lines. This thread also works out why a call could not
be submitted (which argument cannot be pickled), since that means pickling each one.
`_Refused` is made on the loop (or by `shutdown`, for calls it never submitted) and
explained here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import cloudpickle

from actorflow._exceptions import TaskRunnerError
from actorflow._logging import console_held, runner_logger
from actorflow.runners.dask._worker import _Raised

if TYPE_CHECKING:
    import queue

    from actorflow.runners.dask._types import Outcome, TaskCall


def report_outcomes(outcomes: queue.SimpleQueue[list[Outcome] | None]) -> None:
    """The thread's body: report each batch of outcomes until `None` comes."""
    while (batch := outcomes.get()) is not None:
        _report_all(batch)
        del batch  # not held (with its results) while waiting for the next


def _report_all(batch: list[Outcome]) -> None:
    with console_held():  # the batch's "finished" lines: one write, not one each
        for call, value, raised in batch:
            try:
                _report(call, value, raised=raised)
            except Exception:
                runner_logger.exception("Reporting task run %r failed", call.task_run_name)


def _report(call: TaskCall, value: Any, *, raised: bool) -> None:
    if not raised and isinstance(value, _Raised):
        call.report_outcome(value.error, raised=True)
    elif raised and isinstance(value, _Refused):
        call.report_refused(value.explain(call))
    else:
        call.report_outcome(value, raised=raised)


class _Refused:
    """A call `Client.submit` turned down (on the loop), explained by the reporter thread:
    finding the argument that cannot be pickled means pickling each one."""

    __slots__ = ("closing", "error")

    def __init__(self, error: Exception, *, closing: bool) -> None:
        self.error = error
        self.closing = closing

    def explain(self, call: TaskCall) -> BaseException:
        if self.closing:
            return TaskRunnerError(f"the Dask client closed before it could submit: {self.error}")
        return _explain_unpicklable(call, self.error)


def _explain_unpicklable(call: TaskCall, error: Exception) -> Exception:
    """Which argument of `call` cannot be pickled, and why; or `error` itself."""
    named = [(f"argument {i}", value) for i, value in enumerate(call.args)]
    named += [(f"argument {name!r}", value) for name, value in call.kwargs.items()]
    for name, value in named:
        try:
            cloudpickle.dumps(value)
        except Exception as reason:
            return TypeError(
                f"task run {call.task_run_name!r} cannot be sent to Dask: its {name} cannot "
                f"be pickled: {reason}"
            )
    try:
        cloudpickle.dumps(call.fn)
    except Exception as reason:
        return TypeError(
            f"task run {call.task_run_name!r} cannot be sent to Dask: its function cannot be "
            f"pickled: {reason}"
        )
    return error
