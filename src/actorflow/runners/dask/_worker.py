"""What runs in the Dask worker processes: the task wrapper and the function it calls.

`_run_on_worker` runs on a worker's task thread, and so does `get_dask_client` (it is
for task code). A `_ShippedFunction` is made in the flow's process (by `submit`, see
`_backend._ShippedFunctions`) and loaded on the worker; a `_Raised` is made on the worker
and unpickled in the flow's process, on the client's event loop. The scheduler unpickles
a `_ShippedFunction` too, but never the function inside it.
"""

from __future__ import annotations

import functools
import pickle
import sys
import traceback
import zlib
from typing import TYPE_CHECKING, Any

import cloudpickle

from actorflow._context import RemoteTaskRunContext, reset_current, set_current
from actorflow._exceptions import RemoteTaskError
from actorflow._logging import ensure_console_logging

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["_ShippedFunction", "_load_function", "_run_on_worker"]


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


@functools.lru_cache(maxsize=64)
def _load_function(blob: bytes) -> Callable[..., Any]:
    """On a worker: the function, unpickled once per process."""
    fn: Callable[..., Any] = cloudpickle.loads(zlib.decompress(blob))
    return fn


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


def _transferable(error: BaseException) -> BaseException:
    """`error` if it survives a pickle round trip, else a `RemoteTaskError` with its type,
    message and traceback as text (the user's error, not a serialization failure of
    Dask's, and no traceback flood on the console)."""
    try:
        pickle.loads(pickle.dumps(error))  # noqa: S301  (our own bytes, just made)
    except Exception:
        try:
            message = str(error)
        except Exception:
            message = ""
        formatted = "".join(traceback.format_exception(error))
        return RemoteTaskError(type(error).__name__, message, formatted)
    return error


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
    except BaseException as error:  # SystemExit too: the worker lives on, the run says why
        return _Raised(_transferable(error))
    finally:
        reset_current(token)
        # Worker processes share the terminal but buffer their output: flush so a task's
        # prints appear before its run is reported finished.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError, AttributeError):
                continue
