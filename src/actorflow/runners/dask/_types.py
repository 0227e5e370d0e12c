"""Names for annotations only, shared by the Dask modules: the bottom of the package.

Every module imports this one under `if TYPE_CHECKING:` alone, so it never loads at run
time. `TaskCall` is imported for the type checker alone (here, and nowhere else in the
package), so at run time the runner loads neither pykka nor `actorflow.actors`. The
aliases are strings for the same reason.

The protocols name what a module uses of an object made higher up, so that no module
imports a higher one (the package has no import cycle, not even for the type checker):
`DaskSettings` is what the backend reads of `DaskTaskRunner`; `BackendState` and
`LoopBackend` are what the result and the client loop use of `_DaskBackend`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable
    from queue import SimpleQueue

    from actorflow._context import TaskCall as _TaskCall

__all__ = ["BackendState", "DaskSettings", "LoopBackend", "Outcome", "Submitted", "TaskCall"]

TaskCall: TypeAlias = "_TaskCall"
"""One attempt at a task's function, as handed to a backend."""

Submitted: TypeAlias = "tuple[Any, TaskCall]"
"""A call handed to Dask, with its Dask future (or, while still queued, its function)."""

Outcome: TypeAlias = "tuple[TaskCall, Any, bool]"
"""What the reporter thread tells a call: `(call, value, raised)`."""


class DaskSettings(Protocol):
    """What `_DaskBackend` reads of its settings (`DaskTaskRunner`, a frozen dataclass)."""

    @property
    def address(self) -> str | None: ...
    @property
    def cluster_class(self) -> type[Any] | Callable[..., Any] | str | None: ...
    @property
    def cluster_kwargs(self) -> dict[str, Any] | None: ...
    @property
    def adapt_kwargs(self) -> dict[str, Any] | None: ...
    @property
    def client_kwargs(self) -> dict[str, Any] | None: ...


class BackendState(Protocol):
    """What a `_DaskResult` reads of its `_DaskBackend`: whether results can still be
    fetched."""

    client: Any
    closing: bool


class LoopBackend(BackendState, Protocol):
    """What `_ClientLoop` uses of its `_DaskBackend` (see there): the client, the queue of
    calls to submit (under `queue_lock`), `closing`, and the reporter thread's queue."""

    queue: list[Submitted]
    queue_lock: threading.Lock
    outcomes: SimpleQueue[list[Outcome] | None]
