"""`_DaskResult`: a task's result left on the Dask cluster, fetched on the user's thread.

Made on the client's event loop (when the result is too large to gather with its batch);
`as_argument` runs on whichever thread resolves a downstream task's arguments, and
`fetch` on the thread that asks for the value (the flow body or user code), where it may
block until the value arrives.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from actorflow._exceptions import ResultNotAvailableError
from actorflow._results import RemoteResult

if TYPE_CHECKING:
    from actorflow.runners.dask._types import BackendState

__all__ = ["FETCH_LIMIT"]

FETCH_LIMIT = 64 * 1024
"""Results up to this size (as the workers measure it) come back with their batch; larger
ones stay on the workers until asked for (see `_DaskResult`)."""


class _DaskResult(RemoteResult):
    """A task's result left on the Dask worker that computed it.

    Holds the Dask future, so the value stays in the cluster's memory while the run's
    state is referenced and the client is open. Downstream tasks receive the Dask future
    (`as_argument`), so the value moves between workers only. `fetch()` brings it here
    once, on the asking (user) thread.
    """

    __slots__ = ("_backend", "_fetched", "_future", "_lock", "_task_run_name", "_value")

    def __init__(self, future: Any, task_run_name: str, backend: BackendState) -> None:
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
        if self._backend.closing or self._backend.client is None:
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
