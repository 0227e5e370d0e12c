"""Random task graphs on the in-process runners: every run ends final, as the rules say."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actorflow import allow_failure, flow, task
from actorflow.states import StateType
from actorflow.task_runners import ConcurrentTaskRunner, SequentialTaskRunner

ALWAYS = 99


@dataclass(frozen=True)
class Node:
    deps: tuple[tuple[int, str], ...]  # (earlier node, "data" | "wait_for" | "allow")
    fail_attempts: int  # attempts that raise before one succeeds (ALWAYS: every one)
    retries: int


@st.composite
def graphs(draw):
    size = draw(st.integers(1, 10))
    nodes = []
    for i in range(size):
        deps = draw(
            st.lists(
                st.tuples(st.integers(0, i - 1), st.sampled_from(["data", "wait_for", "allow"])),
                max_size=min(i, 3),
                unique_by=lambda d: d[0],
            )
            if i
            else st.just([])
        )
        nodes.append(
            Node(
                deps=tuple(deps),
                fail_attempts=draw(st.sampled_from([0, 0, 1, 2, ALWAYS])),
                retries=draw(st.integers(0, 2)),
            )
        )
    return nodes


def expected_types(nodes: list[Node]) -> list[StateType]:
    types: list[StateType] = []
    for node in nodes:
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


def expected_message(types: list[StateType]) -> str:
    n = len(types)
    failed = sum(t is StateType.FAILED for t in types)
    cancelled = sum(t is StateType.CANCELLED for t in types)
    if failed:
        return f"Failed(message='{failed}/{n} states failed.', type=FAILED)"
    if cancelled:
        return f"Cancelled(message='{cancelled}/{n} states cancelled.', type=CANCELLED)"
    return "Completed(message='All states completed.', type=COMPLETED)"


_runs = itertools.count()


def run_graph(nodes: list[Node], runner) -> tuple[str, list]:
    attempts: dict[int, int] = {}
    lock = threading.Lock()
    tasks = {}
    for retries in {node.retries for node in nodes}:

        @task(name=f"node_r{retries}", retries=retries)
        def node_task(index: int, fail_attempts: int, *inputs):
            with lock:
                attempts[index] = attempts.get(index, 0) + 1
                attempt = attempts[index]
            if attempt <= fail_attempts:
                raise ValueError(f"node {index} attempt {attempt}")
            return index

        tasks[retries] = node_task

    futures = []

    @flow(name=f"graph-{next(_runs)}", task_runner=runner)
    def graph():
        for i, node in enumerate(nodes):
            data = [futures[d] for d, kind in node.deps if kind == "data"]
            data += [allow_failure(futures[d]) for d, kind in node.deps if kind == "allow"]
            wait_for = [futures[d] for d, kind in node.deps if kind == "wait_for"]
            futures.append(
                tasks[node.retries].submit(i, node.fail_attempts, *data, wait_for=wait_for)
            )

    state = graph(return_state=True)
    return str(state), futures


@pytest.mark.parametrize(
    "make_runner",
    [SequentialTaskRunner, lambda: ConcurrentTaskRunner(max_workers=3)],
    ids=["sequential", "concurrent"],
)
@settings(deadline=None)
@given(nodes=graphs())
def test_random_graphs_end_as_the_rules_say(make_runner, nodes):
    final, futures = run_graph(nodes, make_runner())
    types = expected_types(nodes)
    assert final == expected_message(types)
    assert len(futures) == len(nodes)
    for future, expected in zip(futures, types, strict=True):
        assert future.done()
        state = future.state
        assert state is not None
        assert state.is_final()
        assert state.type is expected
        if expected is StateType.CANCELLED:
            assert state.name == "NotReady"
