"""Names for annotations only, shared by the Dask modules: nothing here runs.

`TaskCall` is imported for the type checker alone (here, and nowhere else in the
package), so at run time the runner loads neither pykka nor `actorflow.actors`. The
aliases are strings for the same reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from actorflow._context import TaskCall as _TaskCall

__all__ = ["Outcome", "Submitted", "TaskCall"]

TaskCall: TypeAlias = "_TaskCall"
"""One attempt at a task's function, as handed to a backend."""

Submitted: TypeAlias = "tuple[Any, TaskCall]"
"""A call handed to Dask, with its Dask future (or, while still queued, its function)."""

Outcome: TypeAlias = "tuple[TaskCall, Any, bool]"
"""What the reporter thread tells a call: `(call, value, raised)`."""
