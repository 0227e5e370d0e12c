"""The runtime's own console lines about task runs that the journal does not store.

The task-run machine logs them; the journal's readers rebuild them, word for word, from
the records (see `actorflow.journal`). One definition for both, in a module light enough
for the `actorflow` command to import.
"""

from __future__ import annotations

from logging import ERROR, INFO
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from actorflow.states import StateType

__all__ = ["FINISHED_LINE", "SUBMITTED_LINE", "finished_level"]

SUBMITTED_LINE: Final = "Submitting task run %r to task runner..."
"""Logged when a task run is created, with its name."""
FINISHED_LINE: Final = "Task run %r finished in state %s"
"""Logged when a task run ends, with its name and final state, at `finished_level`."""


def finished_level(state_type: StateType) -> int:
    """The level of a task run's "finished" line: INFO when it completed, else ERROR."""
    return INFO if state_type.value == "COMPLETED" else ERROR
