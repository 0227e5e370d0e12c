"""The injected clock: retries, timeouts and supervisor backoff run on the system's clock,
so a manual clock drives them with no real waiting."""

from __future__ import annotations

import threading
import time

import pytest

from actorflow import (
    ActorSystem,
    Backoff,
    StateType,
    SystemShutDownError,
    TaskRunTimeoutError,
    flow,
    task,
)
from actorflow.clocks import ManualClock, RealClock

from .conftest import wait_until


def _drive(clock: ManualClock, done, *, real_seconds: float = 10.0) -> None:
    """Advance the clock to each next timer until `done()`; a real-time deadline stops a hang."""
    deadline = time.monotonic() + real_seconds
    while not done():
        assert time.monotonic() < deadline, "the run did not end"
        if not clock.advance_to_next():
            time.sleep(0.001)  # the run is busy on another thread: let it get to a timer


def test_an_hour_between_three_retries_takes_no_real_time():
    calls = []

    @task(retries=3, retry_delay_seconds=3600)
    def flaky() -> int:
        calls.append(1)
        if len(calls) < 4:
            raise ValueError("not yet")
        return len(calls)

    @flow
    def retrying() -> int:
        return flaky()

    clock = ManualClock(start=1_000_000.0)
    started = time.monotonic()
    with ActorSystem(clock=clock) as system:
        run = system.launch(retrying)
        _drive(clock, run.done)
        assert run.result(timeout=5) == 4
        history = run.task_runs()[0].history
    assert time.monotonic() - started < 30  # not the three hours of the real clock
    assert [s.name for s in history].count("AwaitingRetry") == 3
    assert clock.now() == pytest.approx(1_000_000.0 + 3 * 3600)
    assert history[-1].timestamp == pytest.approx(clock.now())  # stamped by the system's clock


def test_a_task_timeout_fires_only_when_the_clock_says_so():
    @task(timeout_seconds=30)
    def waits_for_the_clock() -> None:
        time.sleep(0.2)

    @flow
    def times_out():
        return waits_for_the_clock(return_state=True).name

    clock = ManualClock()
    with ActorSystem(clock=clock) as system:
        run = system.launch(times_out)
        assert run.result(timeout=10) == "Completed"  # 0.2 s of real time is not 30 s

    clock = ManualClock()
    release = threading.Event()  # `hangs` returns only once the test has seen it time out

    @task(timeout_seconds=30)
    def hangs() -> None:
        release.wait(20)

    @flow
    def times_out_for_real():
        state = hangs(return_state=True)
        return state.name, state.type, state.data

    try:
        with ActorSystem(clock=clock) as system:
            run = system.launch(times_out_for_real)
            _drive(clock, run.done)
            name, state_type, error = run.result(timeout=10)
            assert name == "TimedOut" and state_type is StateType.FAILED
            assert isinstance(error, TaskRunTimeoutError) and isinstance(error, TimeoutError)
    finally:
        release.set()


def test_a_flow_timeout_runs_on_the_system_clock():
    release = threading.Event()  # the body returns only once the test has seen it time out

    @flow(timeout_seconds=3600)
    def slow() -> None:
        release.wait(20)

    clock = ManualClock()
    with ActorSystem(clock=clock) as system:
        try:
            run = system.launch(slow)
            _drive(clock, run.done)
            state = run.wait(10)
            assert state is not None and state.name == "TimedOut"
        finally:
            release.set()  # before the shutdown, which waits for the abandoned body


def test_supervisor_backoff_restarts_exactly_when_the_clock_is_advanced():
    @flow
    def crashes() -> None:
        raise RuntimeError("crash")

    clock = ManualClock()
    with ActorSystem(clock=clock) as system:
        sup = system.supervise(
            crashes,
            max_restarts=5,
            within_seconds=10_000,
            backoff=Backoff(initial=60, maximum=600, factor=2, jitter=0),
        )
        assert wait_until(lambda: sup.current is not None and sup.current.done())
        # the restart's timer is set once the end is seen
        assert wait_until(lambda: clock.next_deadline() is not None)
        due = clock.now() + 60
        assert clock.next_deadline() == pytest.approx(due)
        clock.advance(59.9)
        assert clock.next_deadline() == pytest.approx(due)  # not fired: still pending
        assert len(sup.runs) == 1 and sup.restarts == 0
        clock.advance(0.1)
        assert wait_until(lambda: len(sup.runs) >= 2)
        assert sup.restarts == 1
        sup.stop(10)


def test_manual_clock_fires_in_order_and_refuses_bad_input():
    clock = ManualClock(start=0.0)
    fired = []
    clock.call_later(5, lambda: fired.append("b"))
    clock.call_later(1, lambda: fired.append("a"))
    cancelled = clock.call_later(3, lambda: fired.append("never"))
    cancelled.cancel()
    clock.call_later(float("inf"), lambda: fired.append("inf"))
    assert clock.advance(10) == 2
    assert fired == ["a", "b"]
    assert clock.now() == 10.0
    with pytest.raises(ValueError, match="advance"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="delay"):
        clock.call_later(float("nan"), lambda: None)
    clock.shutdown()
    with pytest.raises(SystemShutDownError):
        clock.call_later(1, lambda: None)


def test_real_clock_survives_a_failing_callback_and_huge_delays():
    clock = RealClock(name="actorflow-timer-test")
    try:
        fired = []

        def boom() -> None:
            raise SystemExit("a callback must not take the clock down")

        clock.call_later(0, boom)
        clock.call_later(1e10, lambda: fired.append("far"))
        clock.call_later(float("inf"), lambda: fired.append("never"))
        clock.call_later(0.01, lambda: fired.append("soon"))
        assert wait_until(lambda: fired)
        assert fired == ["soon"]
    finally:
        clock.shutdown(timeout=5)


def test_actor_system_refuses_something_that_is_not_a_clock():
    with pytest.raises(TypeError, match="clock"):
        ActorSystem(clock=object())  # type: ignore[arg-type]


def test_done_callbacks_never_run_on_the_clock_thread():
    """Regression: a task timeout resolved the future on the timer thread, and its
    done-callbacks (user code) ran there."""
    threads: list[str] = []
    seen = threading.Event()
    release = threading.Event()  # so the timeout, on the clock's thread, ends the run

    @task(timeout_seconds=0.1)
    def hangs() -> None:
        release.wait(20)

    @flow
    def times_out() -> str | None:
        future = hangs.submit()
        future.add_done_callback(
            lambda _f: (threads.append(threading.current_thread().name), seen.set())
        )
        state = future.wait(10)
        return None if state is None else state.name

    try:
        assert times_out() == "TimedOut"
    finally:
        release.set()
    assert seen.wait(10)
    assert threads and not threads[0].startswith("actorflow-timer")


def test_cancelled_timers_let_go_of_their_runs_and_leave_the_queue():
    """Regression: a cancelled timer entry (a finished task's timeout) kept its task-run
    actor, and so its run's results, alive until its deadline."""
    import gc
    import weakref

    class Payload:
        pass

    clock = RealClock(name="actorflow-timer-test")
    try:
        payload = Payload()
        ref = weakref.ref(payload)
        handle = clock.call_later(3600, lambda p=payload: p)
        del payload
        handle.cancel()
        gc.collect()
        assert ref() is None  # the callback (and what it held) is gone at once
        for _ in range(5000):  # the queue does not grow with cancelled entries
            clock.call_later(3600, lambda: None).cancel()
        assert len(clock._heap) <= 2048
    finally:
        clock.shutdown(timeout=5)


def test_huge_and_infinite_timeouts_leave_the_clock_working():
    """Regression: `timeout_seconds=float("inf")` or 1e10 killed the timer thread
    (`Condition.wait` raised OverflowError), and no later delay ever fired."""

    @task(timeout_seconds=float("inf"))
    def no_timeout() -> int:
        return 1

    @task(timeout_seconds=1e10, retries=1, retry_delay_seconds=1e10)
    def far() -> int:
        return 2

    @task(retries=1, retry_delay_seconds=0.05)
    def retried(calls=[]) -> int:  # noqa: B006  (counts its calls)
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("once")
        return 3

    @flow(timeout_seconds=1e10)
    def uses_them() -> int:
        return no_timeout() + far() + retried()

    with ActorSystem() as system:
        run = system.launch(uses_them)
        assert run.result(timeout=20) == 6  # the 0.05 s retry delay still fired
