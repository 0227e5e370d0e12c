"""Random sequences of launch / cancel / crash / supervise / shutdown against a system."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import actorflow
from actorflow import ActorSystem, Backoff, flow, task

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


FLOWS = {"quick": (quick, (1,)), "crashing": (crashing, ()), "long": (long_running, ())}


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
    @rule()
    def shutdown(self):
        self.system.shutdown(timeout=30)
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
        self.system.shutdown(timeout=30)
        for run in self.runs:
            state = run.wait(timeout=30)
            assert state is not None, f"{run} never ended"
            assert state.is_final()
        for sup, max_restarts in self.supervisors:
            assert sup.status in ("stopped", "gave_up")
            assert sup.restarts <= max_restarts
            for run in sup.runs:
                final = run.wait(timeout=30)
                assert final is not None
                assert final.is_final()


SystemMachine.TestCase.settings = settings(max_examples=15, stateful_step_count=8, deadline=None)
TestSystemMachine = SystemMachine.TestCase
