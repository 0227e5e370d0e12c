"""The actor system: launching, observing, cancelling, shutting down."""

from __future__ import annotations

import threading
import time

import pytest

import actorflow
from actorflow import ActorflowError, ActorSystem, FlowRunCancelled, flow, task
from actorflow.states import StateType
from actorflow.task_runners import ConcurrentTaskRunner, SequentialTaskRunner

from .conftest import wait_until


@task
def step(i: int) -> int:
    return i


def _system_threads() -> set[threading.Thread]:
    return set(threading.enumerate())


def test_launch_returns_at_once_and_the_run_can_be_observed():
    gate = threading.Event()

    @flow
    def waits_for_gate(x: int) -> int:
        assert gate.wait(20)
        return step(x) * 2

    with ActorSystem() as system:
        run = system.launch(waits_for_gate, 21)
        assert run.flow_name == "waits-for-gate"
        assert len(run.id) == 32
        assert "-" in run.name
        assert wait_until(lambda: run.state is not None and run.state.is_running())
        assert run.state is not None and run.state.is_running()
        assert run.wait(timeout=0.05) is None
        gate.set()
        assert run.result(timeout=20) == 42
        assert run.state.is_completed()
        (snapshot,) = run.task_runs()
        assert snapshot.task_name == "step"
        assert snapshot.task_run_name.startswith("step-")
        assert [s.name for s in snapshot.history] == ["Pending", "Running", "Completed"]


def test_launch_binds_arguments_before_anything_starts():
    @flow
    def needs_x(x: int) -> int:
        return x

    with ActorSystem() as system:
        with pytest.raises(TypeError, match="'x'"):
            system.launch(needs_x)
        with pytest.raises(TypeError, match="@flow"):
            system.launch(step, 1)  # type: ignore[arg-type]
        assert system.runtime.runs == {}


def test_result_raises_like_a_flow_call():
    @flow
    def fails():
        raise ValueError("nope")

    with ActorSystem() as system:
        run = system.launch(fails)
        with pytest.raises(ValueError, match="nope"):
            run.result(timeout=20)
        with pytest.raises(TimeoutError):
            system.launch(_sleeper, 5).result(timeout=0.05)


@flow
def _sleeper(seconds: float) -> None:
    actorflow.sleep(seconds)


@pytest.mark.parametrize(
    "runner", [SequentialTaskRunner, ConcurrentTaskRunner], ids=["seq", "conc"]
)
def test_cancel_stops_a_busy_body_in_bounded_time(runner):
    swallowed = []
    steps = []

    @flow(task_runner=runner)
    def busy() -> None:
        i = 0
        while True:
            try:
                step(i)
            except Exception:  # user code that catches everything still stops
                swallowed.append(i)
            steps.append(i)
            i += 1

    with ActorSystem() as system:
        run = system.launch(busy)
        assert wait_until(lambda: len(steps) >= 10)  # busy calling tasks
        started = time.monotonic()
        run.cancel()
        state = run.wait(timeout=20)
        assert state is not None
        assert state.type is StateType.CANCELLED
        assert time.monotonic() - started < 10  # not never (the body loops for good)
        assert swallowed == []


def test_cancel_interrupts_sleep_and_cancels_pending_tasks_and_subflows():
    release = threading.Event()
    seen: dict = {}

    @task
    def blocks() -> None:
        release.wait(20)

    @flow
    def child() -> None:
        seen["child"] = True
        actorflow.sleep(30)

    @flow(task_runner=ConcurrentTaskRunner(max_workers=1))
    def parent() -> None:
        seen["running"] = blocks.submit()
        seen["queued"] = blocks.submit()  # never starts
        try:
            child()
        except FlowRunCancelled:
            seen["signal"] = True
            raise

    with ActorSystem() as system:
        run = system.launch(parent)
        assert wait_until(lambda: "child" in seen)  # the subflow sleeps, two tasks submitted
        run.cancel("stop now")
        state = run.wait(timeout=20)
        release.set()
        assert str(state) == "Cancelled(message='stop now', type=CANCELLED)"
        assert seen["queued"].state.is_cancelled()
        assert seen["running"].done()
        # the body hears of the cancel on its own thread, whenever it next runs
        assert wait_until(lambda: seen.get("signal") is True)
        names = {s.task_name: s.state.type for s in run.task_runs()}
        assert names == {"blocks": StateType.CANCELLED}


def test_shutdown_cancels_runs_and_leaves_no_threads():
    before = _system_threads()
    system = ActorSystem()
    runs = [system.launch(_sleeper, 30) for _ in range(3)]
    assert wait_until(lambda: all(r.state is not None and r.state.is_running() for r in runs))
    system.shutdown(timeout=20)
    assert all(r.state is not None and r.state.is_cancelled() for r in runs)
    leftover = {t for t in _system_threads() - before if t.is_alive()}
    assert leftover == set()
    system.shutdown()  # a second shutdown does nothing
    with pytest.raises(ActorflowError, match="shut down"):
        system.launch(_sleeper, 1)


def test_systems_are_independent():
    with ActorSystem() as first, ActorSystem() as second:
        slow = second.launch(_sleeper, 0.5)
        first.shutdown()
        assert slow.wait(timeout=20).is_completed()
        assert first.is_shut_down and not second.is_shut_down


def test_sleep_outside_a_flow_and_bad_values():
    actorflow.sleep(0)
    with pytest.raises(ValueError, match="seconds"):
        actorflow.sleep(-1)


@pytest.mark.parametrize(
    "runner", [SequentialTaskRunner, ConcurrentTaskRunner], ids=["seq", "conc"]
)
def test_shutdown_leaves_no_threads_for_either_runner(runner):
    worked: list[int] = []

    @flow(task_runner=runner)
    def works_until_cancelled() -> None:
        futures = [step.submit(i) for i in range(5)]
        for future in futures:
            future.result(timeout=20)
        worked.append(1)
        actorflow.sleep(30)

    before = _system_threads()
    system = ActorSystem()
    runs = [system.launch(works_until_cancelled) for _ in range(2)]
    assert wait_until(lambda: len(worked) == 2)  # both runs' runners and workers are up
    system.shutdown(timeout=30)
    assert all(r.state is not None and r.state.is_cancelled() for r in runs)
    assert {t for t in _system_threads() - before if t.is_alive()} == set()


def test_a_script_never_hangs_at_exit():
    import subprocess
    import sys

    script = (
        "import actorflow\n"
        "from actorflow import ActorSystem, flow\n"
        "@flow\n"
        "def forever():\n"
        "    actorflow.sleep(3600)\n"
        "@flow\n"
        "def quick():\n"
        "    return 1\n"
        "ActorSystem().launch(forever)  # never shut down by the script\n"
        "print(quick())\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
    assert "Flow run '" in done.stderr  # the last log lines of the plain call are there
    assert time.monotonic() - started < 30


def test_a_finished_run_s_task_results_are_not_kept_alive_by_the_runtime():
    import gc
    import weakref

    class Payload:
        pass

    refs: list[weakref.ref[Payload]] = []

    @task
    def make() -> Payload:
        payload = Payload()
        refs.append(weakref.ref(payload))
        return payload

    @flow
    def makes() -> None:
        for _ in range(3):
            make()

    makes()
    gc.collect()
    assert len(refs) == 3
    assert all(ref() is None for ref in refs), "a finished run's results are still referenced"


def test_actorflow_actors_stay_out_of_pykkas_global_registry():
    """A user's `pykka.ActorRegistry.stop_all()` must not reach actorflow's runs, and
    actorflow's failures must not stop the user's actors."""
    import pykka

    seen: list[int] = []

    @task
    def looks() -> None:
        seen.append(len(pykka.ActorRegistry.get_all()))

    @flow(task_runner=ConcurrentTaskRunner(max_workers=2))
    def child() -> None:
        looks.submit().result()

    @flow
    def parent() -> None:
        seen.append(len(pykka.ActorRegistry.get_all()))
        looks()
        child()

    with ActorSystem() as system:
        supervisor = system.supervise(parent, restart="temporary")
        assert supervisor.current is not None
        supervisor.current.wait(30)
        seen.append(len(pykka.ActorRegistry.get_all()))
    assert seen == [0, 0, 0, 0]


def test_shutdown_cancels_every_run_at_once_and_reports_the_late_ones():
    """Regression: shutdown cancelled runs one at a time, waiting for each body before the
    next, so most of 100 in-flight runs ran to completion during a 30 s shutdown."""
    import time

    import actorflow

    under_way: list[int] = []

    @flow
    def slow_to_notice(i: int) -> int:
        under_way.append(i)
        for _ in range(150):
            time.sleep(0.4)  # notices a cancel only at its next call into actorflow
            actorflow.sleep(0)
        return i

    system = ActorSystem()
    runs = [system.launch(slow_to_notice, i) for i in range(20)]
    assert wait_until(lambda: len(under_way) == 20)  # the runs are under way
    started = time.monotonic()
    late = system.shutdown(timeout=30)
    assert time.monotonic() - started < 4  # not 20 runs x up to 0.4 s each, in turn
    assert late == ()
    assert all(run.state is not None and run.state.is_cancelled() for run in runs)


def test_shutdown_returns_the_runs_that_would_not_stop_and_still_stops_its_threads(caplog):
    import threading

    release = threading.Event()

    @flow(timeout_seconds=3600)  # its timer starts the system's clock thread
    def stubborn() -> None:
        release.wait(30)  # no call into actorflow: the cancel cannot reach it

    system = ActorSystem()
    run = system.launch(stubborn)
    assert wait_until(lambda: run.state is not None and run.state.is_running())
    late = system.shutdown(timeout=0.5)
    try:
        assert [r.id for r in late] == [run.id]
        assert "had not stopped" in caplog.text
        clock_thread = system.runtime.clock._thread  # type: ignore[attr-defined]
        assert clock_thread is not None and not clock_thread.is_alive()
        assert not system.runtime.pool.threads
    finally:
        release.set()
        run.wait(10)


def test_a_cancel_during_map_stops_the_map_at_once():
    """Regression: a flow cancelled during `work.map(range(20_000))` went on starting task
    runs for thousands of items, and logged a traceback for each refused one."""
    import threading
    import time

    started: list[float] = []
    first = threading.Event()

    @task
    def work(i: int) -> int:
        started.append(time.monotonic())
        first.set()
        time.sleep(0.001)
        return i

    @flow(task_runner=ConcurrentTaskRunner(max_workers=2))
    def maps() -> None:
        work.map(range(20_000))

    with ActorSystem() as system:
        run = system.launch(maps)
        assert first.wait(10)
        cancelled_at = time.monotonic()
        run.cancel()
        state = run.wait(30)
    assert state is not None and state.is_cancelled()
    late = [t for t in started if t > cancelled_at + 0.2]
    assert not late, f"{len(late)} task runs started well after the cancel"
    assert len(started) < 20_000


def test_a_base_exception_in_one_system_reaches_no_other_system_nor_pykka_actors():
    """Regression: a BaseException escaping an actor's handler made Pykka stop every
    registered actor, which crashed an unrelated run in another ActorSystem."""
    import threading

    import pykka

    class Interrupting(SequentialTaskRunner):
        def create_backend(self):
            raise KeyboardInterrupt  # in the runner actor's thread

    class UsersOwn(pykka.ThreadingActor):
        def on_receive(self, message):
            return message

    release = threading.Event()

    @flow
    def waits() -> str:
        release.wait(20)
        return "unharmed"

    @flow(task_runner=Interrupting())
    def breaks() -> None:
        raise AssertionError("must not start")

    users = UsersOwn.start()
    try:
        with ActorSystem() as a, ActorSystem() as b:
            other = b.launch(waits)
            state = a.launch(breaks).wait(20)
            assert state is not None and state.is_crashed()
            assert "KeyboardInterrupt" in (state.message or "")
            release.set()
            assert other.result(timeout=20) == "unharmed"
        assert users.ask("still here", timeout=5) == "still here"
    finally:
        release.set()
        users.stop()


def test_runs_whose_threads_cannot_start_end_crashed_and_shutdown_completes(monkeypatch):
    """Regression: when no thread could be started, launch() raised but left a handle that
    never resolved, a body that failed to start left its run unresolved, and shutdown()
    raised part-way, never stopping its clock and pool."""
    import threading

    real_start = threading.Thread.start

    def refuse(prefix):
        def start(self):
            if self.name.startswith(prefix):
                raise RuntimeError("can't start new thread")
            return real_start(self)

        return start

    @flow
    def simple() -> int:
        return 1

    system = ActorSystem()
    try:
        monkeypatch.setattr(threading.Thread, "start", refuse("actorflow-flow-run"))
        with pytest.raises(ActorflowError, match="could not start: RuntimeError"):
            system.launch(simple)
        assert system.runtime.runs == {}  # nothing left registered
        monkeypatch.setattr(threading.Thread, "start", refuse("actorflow-flow-body"))
        run = system.launch(simple)
        state = run.wait(20)
        assert state is not None and state.is_crashed()
        assert "can't start new thread" in (state.message or "")
        monkeypatch.setattr(threading.Thread, "start", real_start)
    finally:
        monkeypatch.setattr(threading.Thread, "start", real_start)
        assert system.shutdown(timeout=20) == ()
    assert system.is_shut_down


def test_shutdown_called_inside_a_run_cancels_without_waiting_for_itself(caplog):
    """Regression: `shutdown()` called from inside a task waited its whole timeout (for the
    run that called it)."""
    import time

    box: dict[str, ActorSystem] = {}

    @task
    def stops_the_system() -> float:
        started = time.monotonic()
        box["system"].shutdown(timeout=20)
        return time.monotonic() - started

    @flow
    def calls_it() -> float:
        return stops_the_system()

    system = box["system"] = ActorSystem()
    run = system.launch(calls_it)
    state = run.wait(20)
    assert state is not None and state.is_final()
    took = state.result() if state.is_completed() else 0.0
    assert took < 5
    assert "called inside a flow run" in caplog.text


def test_a_cancel_that_comes_before_the_run_has_started_is_not_lost(monkeypatch):
    """Regression: a cancel arriving before `launch()` had stored the run's actor reference
    was dropped, and the run completed instead (shutdown then waited for it)."""
    import actorflow
    from actorflow.actors.flow_run import FlowRunActor

    @flow
    def naps() -> str:
        actorflow.sleep(30)
        return "completed"

    real_begin = FlowRunActor.begin

    def cancel_first(self):
        # The earliest moment another thread could cancel: the run exists, its actor has not
        # started yet.
        self._handle.cancel("cancelled at once")
        real_begin(self)

    monkeypatch.setattr(FlowRunActor, "begin", cancel_first)
    with ActorSystem() as system:
        run = system.launch(naps)
        state = run.wait(20)
    assert state is not None and state.is_cancelled()
    assert state.message == "cancelled at once"
