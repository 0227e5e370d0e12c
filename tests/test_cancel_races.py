"""Cancels and Ctrl-C that land at awkward moments: nothing starts late, nothing is lost."""

from __future__ import annotations

import io
import threading

import pytest

from actorflow import ActorSystem, flow, task
from actorflow.task_runners import ConcurrentTaskRunner

from .conftest import wait_until


def test_no_queued_task_run_starts_once_its_flow_run_is_cancelled():
    """Regression: cancelling handed the running calls back to the backend before the
    queued task runs heard of the cancel, and replacement workers started some of them."""
    for _ in range(3):
        started: list[int] = []
        gate = threading.Event()
        cancelled = threading.Event()
        late: list[int] = []

        @task
        def work(i: int) -> int:
            if cancelled.is_set():
                late.append(i)
            started.append(i)
            gate.wait(20)
            return i

        @flow(task_runner=ConcurrentTaskRunner(max_workers=2))
        def maps() -> None:
            work.map(range(2_000))

        with ActorSystem(journal=False) as system:
            run = system.launch(maps)
            wait_until(lambda: len(started) >= 2)  # both workers busy, the rest queued
            cancelled.set()  # (no worker is free before the cancel takes them back)
            run.cancel()
            state = run.wait(30)
            gate.set()
        assert state is not None
        assert state.is_cancelled()
        assert late == []


def test_a_ctrl_c_while_a_flow_run_starts_leaves_it_registered_and_cancelled(monkeypatch):
    """Regression: a KeyboardInterrupt in `Thread.start()` of the flow-run actor left a
    run going that the system (and so the exit hook) did not know of."""
    from actorflow.actors import flow_run as flow_run_module

    real_begin = flow_run_module.FlowRunActor.begin

    def begin_then_interrupt(self):
        real_begin(self)  # the thread runs...
        raise KeyboardInterrupt  # ...and the Ctrl-C lands before start() returns

    gate = threading.Event()

    @flow
    def waits() -> None:
        gate.wait(20)

    system = ActorSystem(journal=False)
    try:
        monkeypatch.setattr(flow_run_module.FlowRunActor, "begin", begin_then_interrupt)
        with pytest.raises(KeyboardInterrupt):
            system.launch(waits)
        monkeypatch.undo()
        (handle,) = system.runtime.runs.values()
        state = handle.wait(20)
        assert state is not None
        assert state.is_cancelled()
    finally:
        gate.set()
        system.shutdown(timeout=20)


def test_a_second_ctrl_c_at_the_exit_prompt_exits_at_once(monkeypatch):
    """Regression: a Ctrl-C while the exit hook was still writing its prompt escaped it."""
    gate = threading.Event()

    @flow
    def waits() -> None:
        gate.wait(20)

    system = ActorSystem(journal=False)
    system.launch(waits)
    wait_until(lambda: bool(system.runtime.runs))

    class InterruptedOnce(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self.interrupted = False

        def flush(self) -> None:
            if not self.interrupted:
                self.interrupted = True
                raise KeyboardInterrupt
            super().flush()

    err = InterruptedOnce()
    monkeypatch.setattr("sys.stderr", err)
    try:
        system.runtime.shutdown_at_exit()  # returns: the Ctrl-C is handled, not raised
    finally:
        monkeypatch.undo()
        gate.set()
        system.shutdown(timeout=20)
    assert "exiting without waiting" in err.getvalue()
