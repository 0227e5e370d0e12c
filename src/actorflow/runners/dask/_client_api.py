"""`get_dask_client`: a task running on a Dask worker submits work of its own.

Runs in a Dask worker process, inside a task. `distributed` is imported when it is called,
not when `actorflow.task_runners` is: this module is loaded with the package.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from actorflow._exceptions import MissingContextError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["get_dask_client"]


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
    from distributed import worker_client  # noqa: PLC0415  (loaded on a worker, when called)

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
