"""The only code that uses a private name of `distributed`. Runs on the client's event loop.

Checked against distributed 2026.8.0 (`distributed.__version__`); after an upgrade, run
the Dask tests: if this breaks, Dask task runs never finish.

- `until_done(future)` awaits the future's `FutureState`, as distributed's own
  `done_callback`, `wait` and `as_completed` do. The runner watches every Dask future on
  the client's loop and gathers the finished ones many at a time; no public awaitable says
  "this future finished, failed or was cancelled" without costing that:
  `await future` (`Future.result`) gathers the value, one round trip per future, and
  raises the task's error; `distributed.wait` works on the *default* client (the runner's
  is not one) and raises for cancelled futures; `as_completed` hands each future over
  through locks and conditions meant for other threads; `Future.add_done_callback` calls
  back on a thread pool, not on the loop.

Everything else goes through public methods: called with `asynchronous=True` they return
the coroutine to await on the loop, the one their private counterpart returns, instead of
blocking: `Client.gather` (in place of `Client._gather`), `Client.cancel`
(`Client._cancel`), `Future.exception` (`Future._exception`) and `Client.nbytes` (the
scheduler RPC `Client.scheduler.nbytes`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Awaitable

__all__ = ["until_done"]


def until_done(future: Any) -> Awaitable[None]:
    """On the client's loop: awaitable until the Dask `future` has finished, failed or been
    cancelled. Neither fetches its result nor raises its error."""
    done: Awaitable[None] = future._state.wait()
    return done
