"""Entries: what the runtime hands the journal writer, one plain tuple per event.

They are built on the per-task path (the task-run and flow-run shells), so they are the
cheapest thing Python has: a tuple whose first item says what it is, appended to the
writer's mailbox (a `deque`: about 0.05 µs, no lock, no wake-up). Everything costly —
formatting, `repr` of parameters, msgpack, framing, writing — is done by the writer's own
thread, in batches (`actorflow.journal._writer`).

Layouts (each a tuple, in this order):

- `(TASK_CREATED, task_run_id, task_run_name, task_name, flow_run_id, fn, args, kwargs, at)`,
  where `args` and `kwargs` hold plain values (numbers, short strings) or the texts of
  the others (`actorflow.journal._parameters.summarize`), never the other arguments; each
  is None when there are none (and `fn`, needed only for positional names, is None then)
- `(TASK_STATE, task_run_id, flow_run_id, state_type, state_name, message, timestamp)`, the
  state type as its value (`"RUNNING"`: see `TYPE_VALUES`)
- `(FLOW_CREATED, flow_run_id, flow_run_name, flow_name, parent_flow_run_id, task_runner,
  fn, args, kwargs, at)`, with texts for `args` and `kwargs` as above
- `(FLOW_STATE, flow_run_id, state_type, state_name, message, timestamp)`, likewise
- `(FLOW_ENDED, flow_run_id)`: the flow-run actor has stopped; nothing more of this run
  follows (its index entry `RunEnded` is written here, with its final state).
- `(LOG, flow_run_id, task_run_id, at, level, logger_name, text, exc_text)`
- `(FLUSH, event)`: the writer sets the `threading.Event` once every entry before it is
  written (and fsynced if the policy says so at that point).

Entries hold only strings, numbers and None where they can (a task run's states always):
the garbage collector then stops tracking them at its first pass, so thousands of them
waiting in the mailbox cost it nothing. No entry holds a run's results or exceptions, nor any argument but numbers and short
strings (only the fields of its states, texts of its other arguments, formatted log
messages), so the mailbox never keeps them alive; a task's function is read by the
writer (its parameter names, cached weakly) and not kept.
"""

from __future__ import annotations

from typing import Final

from actorflow.states import StateType

__all__ = [
    "FLOW_CREATED",
    "FLOW_ENDED",
    "FLOW_STATE",
    "FLUSH",
    "LOG",
    "TASK_CREATED",
    "TASK_STATE",
    "TYPE_VALUES",
]

TASK_CREATED: Final = 0
TASK_STATE: Final = 1
FLOW_CREATED: Final = 2
FLOW_STATE: Final = 3
LOG: Final = 4
FLUSH: Final = 5
FLOW_ENDED: Final = 6

TYPE_VALUES: Final = {t: t.value for t in StateType}
"""A state type's value, by a dict lookup (cheaper than the enum's `value` property)."""
