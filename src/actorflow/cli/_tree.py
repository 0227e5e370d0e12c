"""`actorflow runs show`: a flow run as a tree of its states, task runs and subflows.

Drawn here rather than with `rich.tree`, in the same style: rich takes over half a second
to lay out a tree of 10,000 task runs, and `runs show` of such a run must answer within
one. Colors (ANSI) only when stdout is a terminal and `NO_COLOR` is not set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from actorflow.cli._spans import span
from actorflow.cli._text import NONE, clock, duration, state_label
from actorflow.states import StateType

if TYPE_CHECKING:
    from collections.abc import Iterator

    from actorflow.journal import FlowRunDetail, TaskRunHistory
    from actorflow.states import State

__all__ = ["Node", "render", "run_tree"]

_CODES: Final = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
}
STATE_STYLES: Final = {
    StateType.COMPLETED: "green",
    StateType.FAILED: "red",
    StateType.CRASHED: "magenta",
    StateType.CANCELLED: "yellow",
    StateType.CANCELLING: "yellow",
    StateType.PAUSED: "yellow",
    StateType.RUNNING: "blue",
    StateType.PENDING: "dim",
    StateType.SCHEDULED: "dim",
}
_SEP: Final = ("  ", "")

Segment = tuple[str, str]
"""Text and its style ("" for none; one of `_CODES`)."""


@dataclass(slots=True)
class Node:
    label: list[Segment]
    children: list[Node] = field(default_factory=list)


def render(root: Node, *, color: bool) -> Iterator[str]:
    """The tree's lines, guides drawn as rich draws them (`├── `, `└── `, `│   `)."""
    yield _paint(root.label, color)
    stack: list[tuple[Node, str, bool]] = [
        (child, "", i == len(root.children) - 1) for i, child in enumerate(root.children)
    ][::-1]
    while stack:
        node, prefix, last = stack.pop()
        yield prefix + ("└── " if last else "├── ") + _paint(node.label, color)
        inner = prefix + ("    " if last else "│   ")
        count = len(node.children)
        stack.extend((node.children[i], inner, i == count - 1) for i in reversed(range(count)))


def _paint(label: list[Segment], color: bool) -> str:
    if not color:
        return "".join(text for text, _ in label)
    return "".join(
        f"\x1b[{_CODES[style]}m{text}\x1b[0m" if style else text for text, style in label
    )


def _state(state: State | None) -> Segment:
    return (state_label(state), STATE_STYLES.get(state.type, "") if state else "blue")


def _message(state: State | None) -> list[Segment]:
    """A not-completed state's message, first line, as the end of a label."""
    if state is None or state.type is StateType.COMPLETED or not state.message:
        return []
    first = state.message.strip().splitlines()[0] if state.message.strip() else ""
    return [_SEP, (first[:200], "dim")] if first else []


def _history(history: tuple[State, ...]) -> Node:
    parts: list[Segment] = [("states: ", "dim")]
    for i, state in enumerate(history):
        if i:
            parts.append((" → ", "dim"))
        parts += [_state(state), (" " + clock(state.timestamp), "dim")]
    return Node(parts)


def _task_node(task_run: TaskRunHistory) -> Node:
    state = task_run.state
    times = span(task_run.history)
    label: list[Segment] = [
        (task_run.task_run_name, "cyan"),
        _SEP,
        _state(state),
        _SEP,
        (duration(times.duration) if times else NONE, ""),
        *_message(state),
    ]
    return Node(label)


def run_tree(detail: FlowRunDetail, *, subflow: bool = False) -> Node:
    """The tree of a flow run: its parameters and states, then its task runs and subflow
    runs in the order they were created, each subflow with its own."""
    summary = detail.summary
    label: list[Segment] = [
        (summary.flow_run_name, "bold"),
        _SEP,
        ("subflow " if subflow else "flow ", "dim"),
        (summary.flow_name, ""),
        _SEP,
        _state(summary.state),
        _SEP,
        (duration(summary.duration), ""),
        _SEP,
        (summary.flow_run_id, "dim"),
        *_message(summary.state),
    ]
    node = Node(label)
    if detail.parameters:
        shown = ", ".join(f"{k}={v}" for k, v in detail.parameters.items())
        node.children.append(Node([("parameters: ", "dim"), (shown, "")]))
    if detail.history:
        node.children.append(_history(detail.history))
    timed: list[tuple[float, int, Node]] = [
        (t.history[0].timestamp if t.history else 0.0, i, _task_node(t))
        for i, t in enumerate(detail.task_runs)
    ]
    offset = len(timed)
    timed += [
        (s.summary.started, offset + i, run_tree(s, subflow=True))
        for i, s in enumerate(detail.subflows)
    ]
    timed.sort(key=lambda item: (item[0], item[1]))
    node.children.extend(item[2] for item in timed)
    return node
