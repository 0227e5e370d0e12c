"""Results that stay where they were computed.

A backend that runs tasks elsewhere (the Dask runner) may leave a task's return value
where it is, and put a `RemoteResult` in the run's state instead. The value travels only
when someone asks for it:

- `State.result()` (and so `future.result()`, or calling the task in the flow body)
  fetches it, once, on the asking thread;
- a downstream task run on the same backend receives `as_argument()` in its place, so the
  value goes from worker to worker without passing through this process.

Thread rule: `fetch()` blocks, so only user threads (a flow body, a caller) call it; actor
threads pass remote results along, unopened.
"""

from __future__ import annotations

import abc
from typing import Any

__all__ = ["RemoteResult"]


class RemoteResult(abc.ABC):
    """A task run's return value, held by the backend that computed it."""

    __slots__ = ()

    @abc.abstractmethod
    def fetch(self) -> Any:
        """The value, brought here (once; later calls return the same object).

        Raises:
            ResultNotAvailableError: the backend holding it has shut down, or lost it.
        """

    @abc.abstractmethod
    def as_argument(self) -> Any:
        """What the backend takes as this value in a downstream task's arguments."""
