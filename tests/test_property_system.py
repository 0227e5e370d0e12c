"""Random sequences of launch / cancel / crash / supervise / shutdown against a system, with
the hard cases of long-running work among the flows: deep recursion, callbacks raising
SystemExit, a cancel during a long map, shutdown with many runs in flight, huge timeouts.
Every run ends in a final state, and no thread is left behind (the autouse fixture)."""

from __future__ import annotations

import time

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import actorflow
from actorflow import ActorSystem, Backoff, flow, task
from actorflow.testing import check_history, history_of

FAST = Backoff(initial=0.001, maximum=0.01, factor=2.0, jitter=0.5)


@task
def unit(x: int) -> int:
    return x


@flow
def quick(x: int) -> int:
    return unit(x)


@flow
def crashing() -> None:
    unit(1)
    raise RuntimeError("crash")


@flow
def long_running() -> None:
    while True:
        unit(0)
        actorflow.sleep(0.01)


@task
def down(n: int) -> int:
    return n if n >= 300 else down(n + 1)


@flow
def deep_recursion() -> int:
    return down(0)  # ends Failed (RecursionError), never wedged


@task
def item(i: int) -> int:
    actorflow.sleep(0.001)
    return i


@flow
def long_map() -> int:
    return len(item.map(range(5_000)))  # a cancel stops the map at once


def _exit(_future: object) -> None:
    raise SystemExit("a callback must not take a thread down")


@flow
def raising_callbacks() -> int:
    futures = unit.map(range(5))
    for future in futures:
        future.add_done_callback(_exit)
    return sum(f.result() for f in futures)


@task(timeout_seconds=float("inf"), retries=1, retry_delay_seconds=1e10)
def patient(x: int) -> int:
    return x


@flow(timeout_seconds=1e10)
def huge_timeouts() -> int:
    return patient(1)


FLOWS = {
    "quick": (quick, (1,)),
    "crashing": (crashing, ()),
    "long": (long_running, ()),
    "deep_recursion": (deep_recursion, ()),
    "long_map": (long_map, ()),
    "raising_callbacks": (raising_callbacks, ()),
    "huge_timeouts": (huge_timeouts, ()),
}


class SystemMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.system = ActorSystem()
        self.runs = []
        self.supervisors = []  # (supervisor, max_restarts)
        self.shut_down = False

    @precondition(lambda self: not self.shut_down)
    @rule(kind=st.sampled_from(sorted(FLOWS)))
    def launch(self, kind):
        flow_, args = FLOWS[kind]
        self.runs.append(self.system.launch(flow_, *args))

    @precondition(lambda self: not self.shut_down and self.runs)
    @rule(data=st.data())
    def cancel(self, data):
        run = data.draw(st.sampled_from(self.runs))
        run.cancel()

    @precondition(lambda self: not self.shut_down and len(self.supervisors) < 3)
    @rule(
        max_restarts=st.integers(0, 3),
        restart=st.sampled_from(["permanent", "transient", "temporary"]),
    )
    def supervise(self, max_restarts, restart):
        sup = self.system.supervise(
            crashing, restart=restart, max_restarts=max_restarts, within_seconds=30, backoff=FAST
        )
        self.supervisors.append((sup, max_restarts))

    @precondition(lambda self: not self.shut_down)
    @rule(many=st.integers(0, 12))
    def shutdown(self, many):
        for _ in range(many):  # with many runs in flight
            self.runs.append(self.system.launch(long_running))
        started = time.monotonic()
        late = self.system.shutdown(timeout=30)
        assert late == ()
        assert time.monotonic() - started < 30
        self.shut_down = True

    @precondition(lambda self: self.shut_down)
    @rule()
    def launching_after_shutdown_is_refused(self):
        try:
            self.system.launch(quick, 1)
        except actorflow.SystemShutDownError:
            return
        raise AssertionError("a shut-down system started a run")

    @invariant()
    def restart_limits_hold(self):
        for sup, max_restarts in self.supervisors:
            assert sup.restarts <= max_restarts

    def teardown(self):
        assert self.system.shutdown(timeout=30) == ()
        for run in self.runs:
            state = run.wait(timeout=30)
            assert state is not None, f"{run} never ended"
            assert state.is_final()
            # Every run's history is a path through the table: the flow run's own (from
            # the journal) and each of its task runs'.
            check_history(history_of(run))
            for snapshot in run.task_runs():
                check_history(snapshot.history)
        for sup, max_restarts in self.supervisors:
            assert sup.status in ("stopped", "gave_up")
            assert sup.restarts <= max_restarts
            for run in sup.runs:
                final = run.wait(timeout=30)
                assert final is not None
                assert final.is_final()


SystemMachine.TestCase.settings = settings(max_examples=15, stateful_step_count=8, deadline=None)
TestSystemMachine = SystemMachine.TestCase
