"""What runs on the `distributed.Client`'s event-loop thread.

`submit` only queues calls; the loop submits them to Dask in one pass (a
`Client.submit` made on another thread wakes the loop once per call, and every wake-up
hands the interpreter lock over), watches their Dask futures, gathers finished results
many at a time (straight from the workers when it can), asks the scheduler how large the
others are, and puts the outcomes in the queue of the backend's reporter thread. No
thread ever blocks on a Dask future. The loop is shared with the client (and, for a
LocalCluster, the scheduler): nothing here may block it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from distributed.scheduler import KilledWorker

from actorflow._exceptions import TaskRunnerError, WorkerLostError
from actorflow._logging import runner_logger
from actorflow.runners.dask._compat import until_done
from actorflow.runners.dask._quiet import _quiet_serialization
from actorflow.runners.dask._reporter import _Refused
from actorflow.runners.dask._result import FETCH_LIMIT, _DaskResult
from actorflow.runners.dask._worker import _Raised, _run_on_worker

if TYPE_CHECKING:
    from actorflow.runners.dask._types import LoopBackend, Outcome, Submitted, TaskCall

__all__: list[str] = []  # the backend uses _ClientLoop; nothing here is public

_BATCH_WINDOW = 0.02  # seconds between two gathers of results, while they keep coming
# Result types that are always small: fetched with their batch without asking the size.
_SMALL_TYPES: tuple[type, ...] = (type(None), bool, int, float, complex)


class _ClientLoop:
    """The backend's work on the client's event loop, and the state only the loop touches.

    Shares with the backend (see `_DaskBackend`): its client, its queue of calls to submit
    (under its lock), its `closing` flag and its reporter thread's queue of outcomes.
    """

    def __init__(self, backend: LoopBackend) -> None:
        self._backend = backend
        # Gather results straight from the workers (not through the scheduler) when the
        # scheduler and its workers all listen on loopback addresses, or as the client's
        # `direct_to_workers` says (set by `start`). A direct gather that fails turns it
        # off for good.
        self.direct: bool | None = None
        self._watchers: set[Any] = set()  # asyncio futures
        self._finished: list[Submitted] = []
        self._flushing = False

    def submit_queued(self) -> None:
        backend = self._backend
        with backend.queue_lock:
            queued, backend.queue = backend.queue, []
        client = backend.client
        for shipped, call in queued:
            try:
                with _quiet_serialization():
                    future = client.submit(
                        _run_on_worker,
                        shipped,
                        call.args,
                        call.kwargs,
                        (call.task_run_id, call.task_run_name, call.task_name, call.flow_run_name),
                        key=f"{call.task_run_name}-{call.task_run_id}-{call.attempt}",
                        pure=False,
                    )
            except Exception as error:  # the reporter says why (see _Refused)
                backend.outcomes.put([(call, _Refused(error, closing=backend.closing), True)])
                continue
            call.worker = future
            watcher = asyncio.ensure_future(self._watch(future, call))
            self._watchers.add(watcher)  # held until done: the loop keeps only weak refs
            watcher.add_done_callback(self._watchers.discard)

    async def cancel(self, call: TaskCall) -> None:
        future, client = call.worker, self._backend.client
        if future is not None and client is not None:
            try:
                await client.cancel([future], asynchronous=True)
            except Exception:  # the client closed meanwhile: nothing left to cancel
                runner_logger.debug("Cancelling %r failed", call.task_run_name, exc_info=True)

    async def _watch(self, future: Any, call: TaskCall) -> None:
        await until_done(future)  # as distributed's own done-callbacks do
        self._finished.append((future, call))
        if not self._flushing:
            self._flushing = True
            self._backend.client.loop.add_callback(self._flush)

    async def _flush(self) -> None:
        """Report every finished future: one `gather` for all the results at hand.

        While results keep coming, each further batch waits `_BATCH_WINDOW` first: a gather
        costs a round trip whatever its size, so fewer, larger ones are cheaper. A lone
        result is fetched at once.
        """
        try:
            first = True
            while self._finished:
                if not first:
                    await asyncio.sleep(_BATCH_WINDOW)
                first = False
                batch, self._finished = self._finished, []
                await self._report_batch(batch)
                del batch  # its fetched results' futures are released now, not after a pause
        finally:
            self._flushing = False

    async def _report_batch(self, batch: list[Submitted]) -> None:
        try:
            outcomes = await self._outcomes_of(batch)
        except Exception as error:  # unexpected: still, no task run may wait forever
            outcomes = [
                (
                    call,
                    TaskRunnerError(f"its outcome could not be collected from Dask: {error!r}"),
                    True,
                )
                for _future, call in batch
            ]
        # The batch's Dask futures die here, on the loop, where releasing one is cheap: the
        # cluster forgets every result fetched here (a `_DaskResult` holds its own future).
        # Held on, a result would be computed again, silently, if its worker died.
        for _future, call in batch:
            call.worker = None
        self._backend.outcomes.put(outcomes)

    async def _outcomes_of(self, batch: list[Submitted]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        finished = []
        for future, call in batch:
            if future.status == "finished":  # read once: it may change meanwhile
                finished.append((future, call))
            else:
                error = await future.exception(asynchronous=True)
                outcomes.append((call, _explain_failure(call, error, self._backend.client), True))
        done = await self._fetch_or_leave(finished, outcomes)
        if done:
            try:
                values = await self._gather_all([f for f, _ in done])
            except Exception:  # some result cannot be fetched: one by one, to tell which
                backend = self._backend
                for future, call in done:
                    try:
                        value = (await backend.client.gather([future], asynchronous=True))[0]
                    except Exception as error:
                        outcomes.append(
                            (call, _explain_failure(call, error, self._backend.client), True)
                        )
                    else:
                        outcomes.append((call, value, False))
            else:
                outcomes.extend(
                    (call, value, False) for (_f, call), value in zip(done, values, strict=True)
                )
        return outcomes

    async def _gather_all(self, futures: list[Any]) -> list[Any]:
        backend = self._backend
        if self.direct:
            try:
                return list(await backend.client.gather(futures, direct=True, asynchronous=True))
            except OSError:  # unreachable workers (a tunnelled, remote scheduler, say);
                self.direct = None  # other errors are the results' own: the caller sorts them
        return list(await backend.client.gather(futures, asynchronous=True))

    async def _fetch_or_leave(
        self, finished: list[Submitted], outcomes: list[Outcome]
    ) -> list[Submitted]:
        """The finished futures whose results to gather now; for the others, a
        `_DaskResult` goes into `outcomes`: the value stays on its worker.

        A task that raised returns a `_Raised` (small, and needed here); results of small
        types come at once; for the rest, the scheduler says how large each one is.
        """
        fetch = []
        sized = []
        for future, call in finished:
            kind = getattr(future, "type", None)
            if kind is None or kind is _Raised or any(kind is small for small in _SMALL_TYPES):
                fetch.append((future, call))
            else:
                sized.append((future, call))
        if sized:
            try:
                sizes = await self._backend.client.nbytes(
                    keys=[f.key for f, _ in sized], summary=False, asynchronous=True
                )
            except Exception:  # e.g. a key released meanwhile: gather, which says what failed
                sizes = {}
            for future, call in sized:
                size = sizes.get(future.key, -1)
                if size <= FETCH_LIMIT:  # (-1: unknown)
                    fetch.append((future, call))
                else:
                    outcomes.append(
                        (call, _DaskResult(future, call.task_run_name, self._backend), False)
                    )
        return fetch


def _explain_failure(
    call: TaskCall, error: BaseException | None, client: Any = None
) -> BaseException:
    """Dask's own failures, in words naming the task run (cheap: done on the loop)."""
    if isinstance(error, KilledWorker):
        return WorkerLostError(
            f"the Dask worker running task run {call.task_run_name!r} died ({error})"
        )
    if error is None or type(error).__name__ == "CancelledError":
        status = getattr(client, "status", "running")
        if status != "running":  # the scheduler went away: every future is "cancelled"
            return WorkerLostError(
                f"the Dask scheduler was lost while task run {call.task_run_name!r} ran "
                f"(the client is {status})"
            )
        return WorkerLostError(f"the Dask future of task run {call.task_run_name!r} was cancelled")
    if isinstance(error, TypeError) and "serialize" in str(error):
        reason = str(error).splitlines()[0]  # distributed appends the whole traceback
        return TypeError(
            f"the result of task run {call.task_run_name!r} could not be sent back from the "
            f"Dask worker: {reason}"
        )
    return error
