"""`DaskTaskRunner`: tasks run on a Dask cluster through a `distributed.Client`.

`distributed` is imported only when a backend starts, so `import actorflow` never loads it.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import queue
import sys
import threading
import types
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pykka import ActorDeadError

from actorflow._context import RemoteTaskRunContext, reset_current, set_current
from actorflow._exceptions import (
    MissingContextError,
    ResultNotAvailableError,
    TaskRunnerError,
    WorkerLostError,
)
from actorflow._logging import console_held, ensure_console_logging, runner_logger
from actorflow._results import RemoteResult
from actorflow.runners.base import Backend, TaskRunner

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from actorflow._context import TaskCall

__all__ = ["DaskTaskRunner", "get_dask_client"]

_DEFAULT_CLUSTER = "distributed.deploy.local.LocalCluster"
_BATCH_WINDOW = 0.02  # seconds between two gathers of results, while they keep coming
# Results up to this size (as the workers measure it) come back with their batch; larger
# ones stay on the workers until asked for (see `_DaskResult`).
FETCH_LIMIT = 64 * 1024
# Result types that are always small: fetched with their batch without asking the size.
_SMALL_TYPES: tuple[type, ...] = (type(None), bool, int, float, complex)
# Every server a default cluster starts listens on the loopback interface, on a free port.
# (With `processes=False` its workers are threads, reached in-process, not on a host.)
_LOCAL_CLUSTER_DEFAULTS: dict[str, Any] = {"dashboard_address": "127.0.0.1:0"}
_LOCAL_CLUSTER_HOST = "127.0.0.1"


def _check_mapping(name: str, value: object) -> None:
    if value is not None and not isinstance(value, dict):
        msg = f"DaskTaskRunner({name}=...) must be a dict of keyword arguments, got {type(value).__name__}"
        raise TypeError(msg)


@dataclass(frozen=True, kw_only=True)
class DaskTaskRunner(TaskRunner):
    """Runs tasks on a Dask cluster.

    With no `address`, each flow run creates its own cluster (`cluster_class`, by default
    `distributed.LocalCluster` bound to 127.0.0.1) when its runner starts, and closes the
    client and the cluster when it stops.

    Args:
        address: address of an existing scheduler, e.g. `"tcp://127.0.0.1:8786"`.
        cluster_class: the cluster to create: a class, a callable, or a dotted import
            path such as `"distributed.LocalCluster"`.
        cluster_kwargs: keyword arguments for `cluster_class`.
        adapt_kwargs: when given, `cluster.adapt(**adapt_kwargs)` is called.
        client_kwargs: keyword arguments for `distributed.Client`.
    """

    address: str | None = None
    cluster_class: type[Any] | Callable[..., Any] | str | None = None
    cluster_kwargs: dict[str, Any] | None = field(default=None, hash=False)
    adapt_kwargs: dict[str, Any] | None = field(default=None, hash=False)
    client_kwargs: dict[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        if self.address is not None and not isinstance(self.address, str):
            msg = f"DaskTaskRunner(address=...) must be a str such as 'tcp://127.0.0.1:8786', got {type(self.address).__name__}"
            raise TypeError(msg)
        if self.cluster_class is not None and not (
            isinstance(self.cluster_class, str) or callable(self.cluster_class)
        ):
            msg = (
                "DaskTaskRunner(cluster_class=...) must be a class, a callable or a dotted "
                f"import path such as 'distributed.LocalCluster', got {type(self.cluster_class).__name__}"
            )
            raise TypeError(msg)
        _check_mapping("cluster_kwargs", self.cluster_kwargs)
        _check_mapping("adapt_kwargs", self.adapt_kwargs)
        _check_mapping("client_kwargs", self.client_kwargs)
        if self.address is not None and (
            self.cluster_class is not None
            or self.cluster_kwargs is not None
            or self.adapt_kwargs is not None
        ):
            msg = (
                "DaskTaskRunner(address=...) connects to an existing cluster and cannot be "
                "combined with cluster_class, cluster_kwargs or adapt_kwargs; pass one or the other"
            )
            raise ValueError(msg)

    def create_backend(self) -> Backend:
        return _DaskBackend(self)


def _on_this_machine(client: Any) -> bool:
    """Whether the scheduler and every worker it knows listen on loopback addresses, so
    the workers can be reached from here directly."""
    import ipaddress

    from distributed.comm.addressing import get_address_host, parse_address

    workers = client.scheduler_info().get("workers", {})
    for address in (client.scheduler.address, *workers):
        protocol, _ = parse_address(address)
        if protocol == "inproc":
            continue
        host = get_address_host(address)
        try:
            if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
                return False
        except ValueError:  # a host name
            return False
    return True


def _resolve_cluster_class(spec: type[Any] | Callable[..., Any] | str | None) -> Callable[..., Any]:
    if spec is None:
        spec = _DEFAULT_CLUSTER
    if isinstance(spec, str):
        module_name, _, attr = spec.rpartition(".")
        if not module_name:
            msg = f"DaskTaskRunner(cluster_class={spec!r}) must be a dotted path such as 'distributed.LocalCluster'"
            raise ValueError(msg)
        resolved: Callable[..., Any] = getattr(importlib.import_module(module_name), attr)
        return resolved
    return spec


def _display_name(cluster_class: Callable[..., Any]) -> str:
    module = getattr(cluster_class, "__module__", None)
    name = getattr(cluster_class, "__qualname__", None) or repr(cluster_class)
    return f"{module}.{name}" if module else name


class _DaskBackend(Backend):
    """Owns one `distributed.Client` (and the cluster, when it created one).

    Thread rules: `start`/`shutdown` run on the runner actor's thread; `submit` and
    `abandon` on any thread: they only queue work for the client's own event-loop thread,
    which does everything else. It submits the queued calls to Dask in one pass (a
    `Client.submit` made on another thread wakes the loop once per call, and every wake-up
    hands the interpreter lock over), watches their Dask futures, gathers finished results
    many at a time, and queues the outcomes for the backend's reporter thread, which
    reports them to the task-run actors. No thread ever blocks on a Dask future.
    """

    def __init__(self, settings: DaskTaskRunner) -> None:
        self._settings = settings
        self._client: Any = None
        self._cluster: Any = None
        # Calls to submit, with their shipped functions; guarded by _queue_lock.
        self._queue: list[tuple[Any, TaskCall]] = []
        self._queue_lock = threading.Lock()
        # Touched only on the client's event-loop thread:
        self._watchers: set[Any] = set()  # asyncio futures
        self._finished: list[tuple[Any, TaskCall]] = []
        self._flushing = False
        # Outcomes are reported from a thread of the backend's own, not from the event loop:
        # the loop is shared with the client (and, for a LocalCluster, the scheduler), and
        # reporting runs task-run handlers and writes log lines.
        self._outcomes: queue.SimpleQueue[list[tuple[TaskCall, Any, bool]] | None] = (
            queue.SimpleQueue()
        )
        self._reporter: threading.Thread | None = None
        # Gather results straight from the workers (not through the scheduler) when the
        # scheduler and its workers all listen on loopback addresses, or as the client's
        # `direct_to_workers` says. A direct gather that fails turns it off for good.
        self._direct: bool | None = None
        self._functions = _ShippedFunctions()
        self._closing = False

    def start(self) -> None:
        import dask
        from distributed import Client

        settings = self._settings
        client_kwargs = dict(settings.client_kwargs or {})
        client_kwargs.setdefault("set_as_default", False)
        if settings.address is not None:
            runner_logger.info("Connecting to an existing Dask cluster at %s", settings.address)
            self._client = Client(settings.address, **client_kwargs)  # type: ignore[no-untyped-call]
        else:
            cluster_class = _resolve_cluster_class(settings.cluster_class)
            runner_logger.info(
                "Creating a new Dask cluster with `%s`", _display_name(cluster_class)
            )
            kwargs = dict(settings.cluster_kwargs or {})
            if settings.cluster_class is None:
                kwargs = {**_LOCAL_CLUSTER_DEFAULTS, **kwargs}
                if kwargs.get("processes", True) and "interface" not in kwargs:
                    kwargs.setdefault("host", _LOCAL_CLUSTER_HOST)
            # A task whose worker dies is reported to us at once (and retried by its own
            # `retries`), instead of being re-run silently by the scheduler.
            with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
                self._cluster = cluster_class(**kwargs)
            try:
                if settings.adapt_kwargs is not None:
                    self._cluster.adapt(**settings.adapt_kwargs)
                self._client = Client(self._cluster, **client_kwargs)  # type: ignore[no-untyped-call]
            except BaseException:
                self._cluster.close()
                raise
        try:
            if "direct_to_workers" in client_kwargs:
                self._direct = client_kwargs["direct_to_workers"]
            elif _on_this_machine(self._client):
                self._direct = True
            link = getattr(self._client, "dashboard_link", None)
            if link:
                runner_logger.info("The Dask dashboard is available at %s", link)
            self._reporter = threading.Thread(
                target=self._report_outcomes, name="actorflow-dask-reporter", daemon=True
            )
            self._reporter.start()
        except BaseException:
            self.shutdown()  # the runner does not call it when start() fails
            raise

    def _report_outcomes(self) -> None:
        while (batch := self._outcomes.get()) is not None:
            _report_all(batch)
            del batch  # not held (with its results) while waiting for the next

    def submit(self, call: TaskCall) -> None:
        """Hand `call` to the client's event loop, which submits it to Dask (see the class
        docs). A call it cannot submit (arguments that cannot be pickled) is refused later,
        with `SubmitRefused`."""
        client = self._client
        if client is None or self._closing:
            raise _closed()
        if not call.claim():
            return
        shipped = self._functions.get(call.fn)
        call.report_started()
        with self._queue_lock:  # one loop wake-up per burst of submissions, not per task
            if self._closing:  # checked with the append: shutdown drains under this lock
                raise _closed()
            self._queue.append((shipped, call))
            if len(self._queue) == 1:
                client.loop.add_callback(self._submit_queued)

    def abandon(self, call: TaskCall) -> None:
        """Cancel the call's Dask future, without waiting for the scheduler to answer."""
        client = self._client
        with self._queue_lock:
            queued = [entry for entry in self._queue if entry[1] is call]
            if queued:  # not submitted yet, and now it never will be
                self._queue.remove(queued[0])
                return
        if client is not None:
            # After the call's own submission: the loop runs its callbacks in order.
            client.loop.add_callback(self._cancel, call)

    def shutdown(self) -> None:
        with self._queue_lock:  # from here on, submit() refuses
            self._closing = True  # and results left on the cluster can no longer be fetched
        try:
            if self._client is not None:
                self._client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()
            self._client = self._cluster = None
            with self._queue_lock:  # queued, and the loop stopped before submitting them
                unsubmitted, self._queue = self._queue, []
            if unsubmitted:
                closed = RuntimeError("the client closed")
                self._outcomes.put(
                    [(call, _Refused(closed, closing=True), True) for _, call in unsubmitted]
                )
            if self._reporter is not None:
                self._outcomes.put(None)
                self._reporter.join()
                self._reporter = None

    # -- on the client's event loop --------------------------------------------------------

    def _submit_queued(self) -> None:
        import asyncio  # loaded with distributed, which has imported it already

        with self._queue_lock:
            queued, self._queue = self._queue, []
        client = self._client
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
            except Exception as error:  # the reporter says why (see _report)
                self._outcomes.put([(call, _Refused(error, closing=self._closing), True)])
                continue
            call.worker = future
            watcher = asyncio.ensure_future(self._watch(future, call))
            self._watchers.add(watcher)  # held until done: the loop keeps only weak refs
            watcher.add_done_callback(self._watchers.discard)

    async def _cancel(self, call: TaskCall) -> None:
        future, client = call.worker, self._client
        if future is not None and client is not None:
            try:
                await client._cancel([future])
            except Exception:  # the client closed meanwhile: nothing left to cancel
                runner_logger.debug("Cancelling %r failed", call.task_run_name, exc_info=True)

    async def _watch(self, future: Any, call: TaskCall) -> None:
        await future._state.wait()  # as distributed's own done-callbacks do
        self._finished.append((future, call))
        if not self._flushing:
            self._flushing = True
            self._client.loop.add_callback(self._flush)

    async def _flush(self) -> None:
        """Report every finished future: one `gather` for all the results at hand.

        While results keep coming, each further batch waits `_BATCH_WINDOW` first: a gather
        costs a round trip whatever its size, so fewer, larger ones are cheaper. A lone
        result is fetched at once.
        """
        import asyncio

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

    async def _report_batch(self, batch: list[tuple[Any, TaskCall]]) -> None:
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
        self._outcomes.put(outcomes)

    async def _outcomes_of(
        self, batch: list[tuple[Any, TaskCall]]
    ) -> list[tuple[TaskCall, Any, bool]]:
        outcomes: list[tuple[TaskCall, Any, bool]] = []
        finished = []
        for future, call in batch:
            if future.status == "finished":  # read once: it may change meanwhile
                finished.append((future, call))
            else:
                error = await future._exception()
                outcomes.append((call, _explain_failure(call, error), True))
        done = await self._fetch_or_leave(finished, outcomes)
        if done:
            try:
                values = await self._gather([f for f, _ in done])
            except Exception:  # some result cannot be fetched: one by one, to tell which
                for future, call in done:
                    try:
                        value = (await self._client._gather([future]))[0]
                    except Exception as error:
                        outcomes.append((call, _explain_failure(call, error), True))
                    else:
                        outcomes.append((call, value, False))
            else:
                outcomes.extend(
                    (call, value, False) for (_f, call), value in zip(done, values, strict=True)
                )
        return outcomes

    async def _gather(self, futures: list[Any]) -> list[Any]:
        if self._direct:
            try:
                return list(await self._client._gather(futures, direct=True))
            except OSError:  # unreachable workers (a tunnelled, remote scheduler, say);
                self._direct = None  # other errors are the results' own: the caller sorts them
        return list(await self._client._gather(futures))

    async def _fetch_or_leave(
        self, finished: list[tuple[Any, TaskCall]], outcomes: list[tuple[TaskCall, Any, bool]]
    ) -> list[tuple[Any, TaskCall]]:
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
                sizes = await self._client.scheduler.nbytes(
                    keys=[f.key for f, _ in sized], summary=False
                )
            except Exception:  # e.g. a key released meanwhile: gather, which says what failed
                sizes = {}
            for future, call in sized:
                size = sizes.get(future.key, -1)
                if size <= FETCH_LIMIT:  # (-1: unknown)
                    fetch.append((future, call))
                else:
                    outcomes.append((call, _DaskResult(future, call.task_run_name, self), False))
        return fetch


def _report_all(batch: list[tuple[TaskCall, Any, bool]]) -> None:
    with console_held():  # the batch's "finished" lines: one write, not one each
        for call, value, raised in batch:
            try:
                _report(call, value, raised=raised)
            except ActorDeadError:
                continue  # the task run ended already (timed out or cancelled)
            except Exception:
                runner_logger.exception("Reporting task run %r failed", call.task_run_name)


def _report(call: TaskCall, value: Any, *, raised: bool) -> None:
    if not raised and isinstance(value, _Raised):
        call.report_outcome(value.error, raised=True)
    elif raised and isinstance(value, _Refused):
        call.report_refused(value.explain(call))
    else:
        call.report_outcome(value, raised=raised)


def _closed() -> TaskRunnerError:
    return TaskRunnerError("the Dask client of this flow run is closed")


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


def _explain_failure(call: TaskCall, error: BaseException | None) -> BaseException:
    """Dask's own failures, in words naming the task run."""
    from distributed.scheduler import KilledWorker

    if isinstance(error, KilledWorker):
        return WorkerLostError(
            f"the Dask worker running task run {call.task_run_name!r} died ({error})"
        )
    if error is None or type(error).__name__ == "CancelledError":
        return WorkerLostError(f"the Dask future of task run {call.task_run_name!r} was cancelled")
    if isinstance(error, TypeError) and "serialize" in str(error):
        reason = str(error).splitlines()[0]  # distributed appends the whole traceback
        return TypeError(
            f"the result of task run {call.task_run_name!r} could not be sent back from the "
            f"Dask worker: {reason}"
        )
    return error


def _explain_unpicklable(call: TaskCall, error: Exception) -> Exception:
    """Which argument of `call` cannot be pickled, and why; or `error` itself."""
    import cloudpickle

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


class _QuietSerialization(logging.Filter):
    """Drops distributed's own error lines about an object it cannot pickle while
    `submit` runs on this thread: actorflow reports that failure itself, naming the
    argument."""

    def __init__(self) -> None:
        super().__init__()
        self.local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        del record
        return not getattr(self.local, "active", False)


_quiet_filter = _QuietSerialization()
_QUIET_LOGGERS = ("distributed.protocol.pickle", "distributed.protocol.core")


@contextlib.contextmanager
def _quiet_serialization() -> Iterator[None]:
    if not getattr(_quiet_serialization, "installed", False):
        for name in _QUIET_LOGGERS:
            logging.getLogger(name).addFilter(_quiet_filter)
        _quiet_serialization.installed = True  # type: ignore[attr-defined]
    _quiet_filter.local.active = True
    try:
        yield
    finally:
        _quiet_filter.local.active = False


@contextlib.contextmanager
def get_dask_client(timeout: float | None = None) -> Iterator[Any]:
    """A `distributed.Client` for a task running on a Dask worker, to submit work itself.

    ```python
    @task
    def fan_out(n):
        with get_dask_client() as client:
            return sum(client.gather(client.map(square, range(n))))
    ```

    The task's worker thread *secedes* from the worker's thread pool while the block runs
    and rejoins it after (as `distributed.worker_client` does), so waiting on its own
    submissions never deadlocks a worker with one thread.

    Raises:
        MissingContextError: outside a task running on a Dask worker.
    """
    from distributed import worker_client

    try:
        context = worker_client(timeout=timeout)
        client = context.__enter__()
    except ValueError as error:
        msg = (
            "get_dask_client() works inside a task running on a Dask worker (a flow with "
            f"DaskTaskRunner); here there is none ({error})"
        )
        raise MissingContextError(msg) from None
    try:
        yield client
    finally:
        context.__exit__(None, None, None)


class _ShippedFunction:
    """A task's function on its way to a worker: pickled once per function, not once per
    task run, and unpickled once per worker process, when first called there.

    A function defined in `__main__`, or inside another function, pickles by value
    (cloudpickle), which costs far more than the rest of a trivial task's submission. The
    scheduler, which holds each task until a worker takes it and then pickles it again,
    sees only the bytes: it never loads the function (it may not even be able to import
    what the function needs) nor pickles it anew.

    The bytes are compressed, which also hides the name `__main__` that a function pickled
    by value carries: `distributed` pickles anything whose plain pickle contains that name
    a second time, with cloudpickle, and the scheduler would pay that for every task.
    """

    __slots__ = ("blob",)

    def __init__(self, blob: bytes) -> None:
        self.blob = blob

    def __reduce__(self) -> tuple[Any, ...]:
        return (_ShippedFunction, (self.blob,))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _load_function(self.blob)(*args, **kwargs)


class _ShippedFunctions:
    """One backend's pickled task functions. Per backend, so per flow run: a function that
    pickles by value carries its globals and closure as they were when it was pickled, and
    a later flow run must see their new values."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shipped: dict[Callable[..., Any], _ShippedFunction] = {}

    def get(self, fn: Callable[..., Any]) -> _ShippedFunction | Callable[..., Any]:
        """`fn`, pickled once; `fn` itself if it is not a plain function or cannot be
        pickled (the submit then says why)."""
        if type(fn) is not types.FunctionType:
            return fn
        with self._lock:
            shipped = self._shipped.get(fn)
        if shipped is None:
            import cloudpickle

            try:
                shipped = _ShippedFunction(zlib.compress(cloudpickle.dumps(fn)))
            except Exception:
                return fn
            with self._lock:
                self._shipped[fn] = shipped
        return shipped


@functools.lru_cache(maxsize=64)
def _load_function(blob: bytes) -> Callable[..., Any]:
    """On a worker: the function, unpickled once per process."""
    import cloudpickle

    fn: Callable[..., Any] = cloudpickle.loads(zlib.decompress(blob))
    return fn


class _DaskResult(RemoteResult):
    """A task's result left on the Dask worker that computed it.

    Holds the Dask future, so the value stays in the cluster's memory while the run's
    state is referenced and the client is open. Downstream tasks receive the Dask future
    (`as_argument`), so the value moves between workers only. `fetch()` brings it here
    once, on the asking (user) thread.
    """

    __slots__ = ("_backend", "_fetched", "_future", "_lock", "_task_run_name", "_value")

    def __init__(self, future: Any, task_run_name: str, backend: _DaskBackend) -> None:
        self._future = future
        self._task_run_name = task_run_name
        self._backend = backend
        self._lock = threading.Lock()
        self._fetched = False
        self._value: Any = None

    def __repr__(self) -> str:
        where = "fetched" if self._fetched else "on the Dask cluster"
        return f"<result of task run {self._task_run_name!r}, {where}>"

    def as_argument(self) -> Any:
        return self._future

    def fetch(self) -> Any:
        with self._lock:
            if not self._fetched:
                self._value = self._fetch()
                self._fetched = True
            return self._value

    def _fetch(self) -> Any:
        if self._backend._closing or self._backend._client is None:
            msg = (
                f"the result of task run {self._task_run_name!r} stayed on the Dask cluster, "
                "and the flow run that used it has ended; ask for it (future.result()) "
                "inside the flow, or return it from the flow"
            )
            raise ResultNotAvailableError(msg)
        try:
            return self._future.result()
        except Exception as error:
            msg = f"the result of task run {self._task_run_name!r} could not be fetched from the Dask cluster: {error}"
            raise ResultNotAvailableError(msg) from error


class _Raised:
    """What a task that raised returns to Dask: its exception, as a value.

    Dask then sees a successful computation, so it neither logs the user's exception as
    a worker error nor treats it as its own failure; the runner unwraps it.
    """

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Raised, (self.error,))


def _run_on_worker(
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    names: tuple[str, str, str, str],
) -> Any:
    """Executes a task on a Dask worker, inside a task-run context for `get_run_logger()`."""
    task_run_id, task_run_name, task_name, flow_run_name = names
    ensure_console_logging()
    token = set_current(
        RemoteTaskRunContext(
            task_run_id=task_run_id,
            task_run_name=task_run_name,
            task_name=task_name,
            flow_run_name=flow_run_name,
        )
    )
    try:
        return fn(*args, **kwargs)
    except Exception as error:
        return _Raised(error)
    finally:
        reset_current(token)
        # Worker processes share the terminal but buffer their output: flush so a task's
        # prints appear before its run is reported finished.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError, AttributeError):
                continue
