"""`_DaskBackend`: one flow run's `distributed.Client` (and its cluster, when it made one).

Built, started and shut down on the runner actor's thread. `submit` and `abandon` run on
any thread (task-run actors call them) and only queue work for the client's event-loop
thread (see `_client_loop`), which does everything else; `submit` also pickles the task's
function, once per flow run (`_ShippedFunctions`), on its caller's thread. The backend's
own reporter thread (see `_reporter`) reports the outcomes.
"""

from __future__ import annotations

import importlib
import ipaddress
import queue
import threading
import types
import zlib
from typing import TYPE_CHECKING, Any

import cloudpickle
import dask
from distributed import Client
from distributed.comm.addressing import get_address_host, parse_address

from actorflow._exceptions import TaskRunnerError
from actorflow._logging import runner_logger
from actorflow.runners.base import Backend
from actorflow.runners.dask._client_loop import _ClientLoop
from actorflow.runners.dask._quiet import _quiet_cancelled_reconnect
from actorflow.runners.dask._reporter import _Refused, report_outcomes
from actorflow.runners.dask._worker import _ShippedFunction

if TYPE_CHECKING:
    from collections.abc import Callable

    from actorflow.runners.dask._types import DaskSettings, Outcome, Submitted, TaskCall

_DEFAULT_CLUSTER = "distributed.deploy.local.LocalCluster"
# Every server a default cluster starts listens on the loopback interface, on a free port.
# (With `processes=False` its workers are threads, reached in-process, not on a host.)
_LOCAL_CLUSTER_DEFAULTS: dict[str, Any] = {"dashboard_address": "127.0.0.1:0"}
_LOCAL_CLUSTER_HOST = "127.0.0.1"


class _DaskBackend(Backend):
    """Owns one `distributed.Client` (and the cluster, when it created one).

    Thread rules: see the module docs. No thread ever blocks on a Dask future.
    """

    def __init__(self, settings: DaskSettings) -> None:
        self._settings = settings
        self.client: Any = None
        self._cluster: Any = None
        # Calls to submit, with their shipped functions; guarded by queue_lock.
        self.queue: list[Submitted] = []
        self.queue_lock = threading.Lock()
        # Set by shutdown (under queue_lock): submit refuses from then on, and results
        # left on the cluster can no longer be fetched.
        self.closing = False
        # For the reporter thread, from the loop (and from shutdown).
        self.outcomes: queue.SimpleQueue[list[Outcome] | None] = queue.SimpleQueue()
        self._reporter: threading.Thread | None = None
        self._loop = _ClientLoop(self)
        self._functions = _ShippedFunctions()

    def start(self) -> None:
        settings = self._settings
        client_kwargs = dict(settings.client_kwargs or {})
        client_kwargs.setdefault("set_as_default", False)
        if settings.address is not None:
            runner_logger.info("Connecting to an existing Dask cluster at %s", settings.address)
            self.client = Client(settings.address, **client_kwargs)  # type: ignore[no-untyped-call]
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
                self.client = Client(self._cluster, **client_kwargs)  # type: ignore[no-untyped-call]
            except BaseException:
                self._cluster.close()
                raise
        try:
            if "direct_to_workers" in client_kwargs:
                self._loop.direct = client_kwargs["direct_to_workers"]
            elif _on_this_machine(self.client):
                self._loop.direct = True
            link = getattr(self.client, "dashboard_link", None)
            if link:
                runner_logger.info("The Dask dashboard is available at %s", link)
            self._reporter = threading.Thread(
                target=report_outcomes,
                args=(self.outcomes,),
                name="actorflow-dask-reporter",
                daemon=True,
            )
            self._reporter.start()
        except BaseException:
            self.shutdown()  # the runner does not call it when start() fails
            raise

    def submit(self, call: TaskCall) -> None:
        """Hand `call` to the client's event loop, which submits it to Dask. A call it
        cannot submit (arguments that cannot be pickled) is refused later, with
        `SubmitRefused`."""
        client = self.client
        if client is None or self.closing:
            raise _closed()
        if not call.claim():
            return
        shipped = self._functions.get(call.fn)
        if not call.report_started():
            return  # the task run ended meanwhile: its function must not run
        with self.queue_lock:  # one loop wake-up per burst of submissions, not per task
            if self.closing:  # checked with the append: shutdown drains under this lock
                raise _closed()
            self.queue.append((shipped, call))
            if len(self.queue) == 1:
                client.loop.add_callback(self._loop.submit_queued)

    def abandon(self, call: TaskCall) -> None:
        """Cancel the call's Dask future, without waiting for the scheduler to answer."""
        client = self.client
        with self.queue_lock:
            queued = [entry for entry in self.queue if entry[1] is call]
            if queued:  # not submitted yet, and now it never will be
                self.queue.remove(queued[0])
                return
        if client is not None:
            # After the call's own submission: the loop runs its callbacks in order.
            client.loop.add_callback(self._loop.cancel, call)

    def shutdown(self) -> None:
        with self.queue_lock:  # from here on, submit() refuses
            self.closing = True  # and results left on the cluster can no longer be fetched
        try:
            if self.client is not None:
                if self.client.status == "running":
                    self.client.close()
                else:  # the scheduler was lost: the task runs have said so already
                    with _quiet_cancelled_reconnect():
                        self.client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()
            self.client = self._cluster = None
            with self.queue_lock:  # queued, and the loop stopped before submitting them
                unsubmitted, self.queue = self.queue, []
            if unsubmitted:
                closed = RuntimeError("the client closed")
                self.outcomes.put(
                    [(call, _Refused(closed, closing=True), True) for _, call in unsubmitted]
                )
            if self._reporter is not None:
                self.outcomes.put(None)
                self._reporter.join()
                self._reporter = None


def _closed() -> TaskRunnerError:
    return TaskRunnerError("the Dask client of this flow run is closed")


def _on_this_machine(client: Any) -> bool:
    """Whether the scheduler and every worker it knows listen on loopback addresses, so
    the workers can be reached from here directly."""
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
            try:
                shipped = _ShippedFunction(zlib.compress(cloudpickle.dumps(fn)))
            except Exception:
                return fn
            with self._lock:
                self._shipped[fn] = shipped
        return shipped
