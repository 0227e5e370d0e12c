"""Task graphs: a small description of tasks, their dependencies, failures and retries,
what the rules say each task run ends as, and a flow that runs it on any task runner.

`actorflow.testing.strategies.task_graphs()` generates them; a property test then checks
that a runner (or a helper of yours around flows) ends every task run as `expected_types`
says.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from actorflow._annotations import allow_failure
from actorflow.flows import flow
from actorflow.states import State, StateType, aggregate_states
from actorflow.tasks import task

if TYPE_CHECKING:
    from actorflow.runners.base import TaskRunner

__all__ = ["ALWAYS_FAILS", "GraphNode", "GraphRun", "TaskGraph"]

ALWAYS_FAILS: Final = 1_000_000
"""`GraphNode.fail_attempts` for a task that fails on every attempt."""

Dependency = Literal["data", "wait_for", "allow"]
"""How a node depends on an earlier one: takes its result (`data`), waits for it
(`wait_for`), or takes it even if it failed (`allow`, `allow_failure`)."""


@dataclass(frozen=True, slots=True)
class GraphNode:
    """One task of a graph."""

    deps: tuple[tuple[int, Dependency], ...] = ()
    """(index of an earlier node, how this one depends on it)."""
    fail_attempts: int = 0
    """How many attempts raise before one succeeds (`ALWAYS_FAILS`: every one)."""
    retries: int = 0


@dataclass(frozen=True, slots=True)
class GraphRun:
    """What running a graph gave: the flow run's final state and each node's."""

    state: State
    node_states: tuple[State, ...]


_runs = itertools.count()


@dataclass(frozen=True, slots=True)
class TaskGraph:
    """Tasks submitted in order by one flow, each depending on earlier ones."""

    nodes: tuple[GraphNode, ...]

    def expected_types(self) -> list[StateType]:
        """What the rules say each node's task run ends as: COMPLETED, FAILED, or
        CANCELLED (`NotReady`) when a `data` or `wait_for` upstream did not complete."""
        types: list[StateType] = []
        for node in self.nodes:
            blocked = any(
                kind != "allow" and types[dep] is not StateType.COMPLETED for dep, kind in node.deps
            )
            if blocked:
                types.append(StateType.CANCELLED)
            elif node.fail_attempts == 0 or node.fail_attempts <= node.retries:
                types.append(StateType.COMPLETED)
            else:
                types.append(StateType.FAILED)
        return types

    def expected_state(self) -> State:
        """The flow run's final state the rules say (its type and message)."""
        return aggregate_states([State(type=t) for t in self.expected_types()])

    def run(self, task_runner: TaskRunner) -> GraphRun:
        """Run the graph as one flow on `task_runner` and return what each run ended as.
        Blocks until the flow run has ended."""
        attempts: dict[int, int] = {}
        lock = threading.Lock()
        tasks: dict[int, Any] = {}
        for retries in {node.retries for node in self.nodes}:

            @task(name=f"graph_node_r{retries}", retries=retries)
            def node_task(index: int, fail_attempts: int, *inputs: object) -> int:
                del inputs
                with lock:
                    attempts[index] = attempts.get(index, 0) + 1
                    attempt = attempts[index]
                if attempt <= fail_attempts:
                    msg = f"node {index} attempt {attempt} fails, as planned"
                    raise ValueError(msg)
                return index

            tasks[retries] = node_task

        futures: list[Any] = []
        nodes = self.nodes

        @flow(name=f"task-graph-{next(_runs)}", task_runner=task_runner)
        def graph() -> None:
            for i, node in enumerate(nodes):
                data: list[Any] = [futures[d] for d, kind in node.deps if kind == "data"]
                data += [allow_failure(futures[d]) for d, kind in node.deps if kind == "allow"]
                wait_for = [futures[d] for d, kind in node.deps if kind == "wait_for"]
                futures.append(
                    tasks[node.retries].submit(i, node.fail_attempts, *data, wait_for=wait_for)
                )

        state = graph.run_state()
        node_states = tuple(f.wait(timeout=0) for f in futures)  # all ended with the flow run
        assert all(s is not None for s in node_states)
        return GraphRun(state=state, node_states=node_states)
