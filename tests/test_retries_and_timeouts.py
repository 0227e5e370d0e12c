"""Retries and timeouts of tasks and flows: timer messages, never a sleeping pool thread."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from actorflow import ActorSystem, StateType, flow, task
from actorflow.clocks import ManualClock
from actorflow.task_runners import ConcurrentTaskRunner, SequentialTaskRunner

from .conftest import wait_until


def _advance_to_the_timer(clock: ManualClock, seconds: float) -> None:
    """Advance `clock` by `seconds` once a timer is pending, and check that one fired.

    A run sets its timers on its own threads, a moment after the event the test waited
    for (a body or attempt seen to start): advancing before would move time under it.
    """
    assert wait_until(lambda: clock.next_deadline() is not None), "no timer was set"
    assert clock.advance(seconds) >= 1


def test_retries_go_through_awaiting_retry_and_retrying(task_runner, caplog, tmp_path):
    counter = tmp_path / "attempts"  # a file, so that Dask worker processes count too

    @task(retries=2, retry_delay_seconds=0)
    def flaky(path) -> int:
        with path.open("a") as f:
            f.write("x")
        attempts = len(path.read_text())
        if attempts < 3:
            raise ValueError("boom")
        return attempts

    @flow(task_runner=task_runner)
    def retrying():
        future = flaky.submit(counter)
        future.wait(60)
        return future.result()

    caplog.set_level(logging.INFO, logger="actorflow")
    assert retrying() == 3
    assert counter.read_text() == "xxx"
    lines = [r.getMessage() for r in caplog.records if "- retry" in r.getMessage()]
    assert len(lines) == 2
    assert lines[0].endswith("failed with ValueError('boom') - retry 1/2 in 0.0 second(s)")
    assert lines[1].endswith("failed with ValueError('boom') - retry 2/2 in 0.0 second(s)")


def test_retry_history_and_final_failure(local_runner):
    @task(retries=1, retry_delay_seconds=[0.05])
    def always_fails() -> None:
        raise RuntimeError("still broken")

    recorded = {}

    @flow(task_runner=local_runner)
    def fails():
        from actorflow._context import current_flow_run

        context = current_flow_run()
        assert context is not None
        state = always_fails(return_state=True)
        recorded["state"] = state

    fails(return_state=True)
    state = recorded["state"]
    assert str(state) == (
        "Failed(message='Task run encountered an exception: RuntimeError: still broken', type=FAILED)"
    )


def test_retry_states_seen_by_the_future(local_runner):
    """On a manual clock: the retry waits until the test has seen `AwaitingRetry` (a real
    0.3 s delay could pass before a busy machine let the watching body look)."""
    seen: list[str] = []
    attempts = []

    @task(retries=1, retry_delay_seconds=0.3)
    def second_time_lucky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("first")
        return "ok"

    @flow(task_runner=local_runner)
    def watches():
        future = second_time_lucky.submit()
        deadline = time.monotonic() + 20
        while not future.done() and time.monotonic() < deadline:
            state = future.state
            if state is not None and (not seen or seen[-1] != state.name):
                seen.append(state.name)
            time.sleep(0.005)
        return future.result()

    clock = ManualClock()
    with ActorSystem(clock=clock) as system:
        run = system.launch(watches)
        assert wait_until(lambda: "AwaitingRetry" in seen)
        assert len(attempts) == 1  # the retry waits for its delay
        _advance_to_the_timer(clock, 0.3)
        assert run.result(timeout=20) == "ok"
    assert len(attempts) == 2
    assert "AwaitingRetry" in seen


def test_retry_delays_do_not_hold_a_pool_thread():
    """On a manual clock: the retry is due only when the test says, so the other task
    provably ran on the only thread while the retry waited (no timing margins)."""
    import threading

    from actorflow import ActorSystem
    from actorflow.clocks import ManualClock

    finished: list[str] = []
    quick_done = threading.Event()

    @task(retries=1, retry_delay_seconds=3600)
    def fails_once(attempts=[]) -> str:  # noqa: B006 (state across attempts)
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("once")
        finished.append("retried")
        return "retried"

    @task
    def quick() -> str:
        finished.append("quick")
        return "quick"

    @flow(task_runner=ConcurrentTaskRunner(max_workers=1))
    def shares_one_thread():
        retried = fails_once.submit()
        deadline = time.monotonic() + 10
        while not (retried.state is not None and retried.state.name == "AwaitingRetry"):
            assert time.monotonic() < deadline
            time.sleep(0.001)
        assert quick.submit().result(timeout=20) == "quick"  # the only thread is free
        quick_done.set()
        return retried.result(timeout=20)

    clock = ManualClock()
    with ActorSystem(clock=clock) as system:
        run = system.launch(shares_one_thread)
        assert quick_done.wait(20)
        assert clock.advance(3600) == 1  # the retry is due now, not before
        assert run.result(timeout=20) == "retried"
    assert finished == ["quick", "retried"]


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_retries_are_validated(bad):
    with pytest.raises(ValueError, match="retries"):
        task(retries=bad)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="retries"):
        flow(retries=bad)  # type: ignore[call-overload]


def test_delays_and_timeouts_are_validated():
    with pytest.raises(ValueError, match="retry_delay_seconds"):
        task(retry_delay_seconds=-1)
    with pytest.raises(ValueError, match="retry_delay_seconds"):
        task(retry_delay_seconds=[])
    with pytest.raises(TypeError, match="retry_delay_seconds"):
        task(retry_delay_seconds="1")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="timeout_seconds"):
        task(timeout_seconds=0)
    with pytest.raises(ValueError, match="timeout_seconds"):
        flow(timeout_seconds=-3)


def test_a_task_timeout_ends_timed_out_and_the_flow_goes_on(local_runner):
    release = threading.Event()
    late = []

    @task(timeout_seconds=0.2)
    def too_slow() -> str:
        release.wait(20)
        late.append("returned")
        return "late result"

    @task
    def after() -> str:
        return "after"

    @flow(task_runner=local_runner)
    def times_out():
        timed_out = too_slow(return_state=True)
        value = after()  # runs although the abandoned call still blocks its old thread
        release.set()
        return timed_out, value

    timed_out, value = times_out()
    assert str(timed_out) == (
        "TimedOut(message='Task run exceeded timeout of 0.2 second(s)', type=FAILED)"
    )
    assert value == "after"
    deadline = time.monotonic() + 10
    while not late and time.monotonic() < deadline:
        time.sleep(0.01)
    assert late == ["returned"]
    assert timed_out.type is StateType.FAILED  # the late result was never recorded


def test_sequential_timeout_does_not_block_later_tasks():
    release = threading.Event()

    @task(timeout_seconds=0.1)
    def stuck() -> None:
        release.wait(20)

    @task
    def later(i: int) -> int:
        return i

    @flow(task_runner=SequentialTaskRunner())
    def carries_on():
        first = stuck.submit()
        rest = [later.submit(i) for i in range(3)]
        values = [f.result(timeout=10) for f in rest]
        release.set()
        return first.wait(10), values

    first, values = carries_on()
    assert first is not None and first.name == "TimedOut"
    assert values == [0, 1, 2]


def test_timeouts_are_retried():
    """On a manual clock: the first attempt times out when the test says (it is still
    blocked then), and the retry's own timeout cannot fire however slow the machine."""
    attempts: list[threading.Thread] = []
    first_started = threading.Event()
    release_first = threading.Event()

    @task(timeout_seconds=0.1, retries=1)
    def slow_then_fast() -> str:
        attempts.append(threading.current_thread())
        if len(attempts) == 1:
            first_started.set()
            assert release_first.wait(20)
            return "late"
        return "fast"

    @flow(task_runner=ConcurrentTaskRunner(max_workers=2))
    def retries_timeout():
        return slow_then_fast()

    clock = ManualClock()
    try:
        with ActorSystem(clock=clock) as system:
            run = system.launch(retries_timeout)
            assert first_started.wait(20)
            _advance_to_the_timer(clock, 0.1)  # the first attempt times out: retried at once
            assert run.result(timeout=20) == "fast"
        assert len(attempts) == 2
    finally:
        release_first.set()
    # the abandoned first attempt's thread ends once its call returns
    assert wait_until(lambda: not attempts[0].is_alive())


def test_a_timed_out_attempt_finishing_during_the_retry_delay_does_not_stop_the_retry():
    """The late outcome of the abandoned attempt arrives while the run waits for its retry
    (the attempt number has not moved on yet): it must be ignored, and the retry happen.

    On a manual clock, so that the order is the test's, not the machine's: the attempt
    times out, then returns (its thread ends once it has reported), then the retry is due.
    """
    first_started = threading.Event()
    release_first = threading.Event()
    attempts: list[threading.Thread] = []

    @task(timeout_seconds=0.2, retries=1, retry_delay_seconds=0.6)
    def slow_then_fast() -> str:
        attempts.append(threading.current_thread())
        if len(attempts) == 1:
            first_started.set()
            assert release_first.wait(20)  # returns inside the retry delay
            return "late"
        return "retried"

    @flow(task_runner=ConcurrentTaskRunner(max_workers=2))
    def retries_after_a_delay() -> str:
        return slow_then_fast.submit().result(timeout=20)  # TimeoutError: the run hung

    clock = ManualClock()
    try:
        with ActorSystem(clock=clock) as system:
            run = system.launch(retries_after_a_delay)
            assert first_started.wait(20)
            _advance_to_the_timer(clock, 0.2)  # timed out: the retry is due in 0.6 s
            assert wait_until(lambda: clock.next_deadline() is not None)  # the retry's timer
            release_first.set()
            # An abandoned worker exits once its call has returned and reported: the late
            # outcome has reached the task run, before the retry is due.
            assert wait_until(lambda: not attempts[0].is_alive())
            assert len(attempts) == 1
            _advance_to_the_timer(clock, 0.6)
            assert run.result(timeout=20) == "retried"
        assert len(attempts) == 2
    finally:
        release_first.set()


def test_flow_retries(caplog):
    attempts = []

    @flow(retries=2, retry_delay_seconds=0.05)
    def flaky_flow() -> int:
        attempts.append(1)
        if len(attempts) < 3:
            raise ValueError("flow boom")
        return len(attempts)

    caplog.set_level(logging.INFO, logger="actorflow")
    assert flaky_flow() == 3
    retry_lines = [r.getMessage() for r in caplog.records if "- retry" in r.getMessage()]
    assert len(retry_lines) == 2
    assert "retry 1/2 in 0.05 second(s)" in retry_lines[0]


def test_flow_retries_rerun_the_tasks_and_only_count_the_last_attempt():
    attempts = []

    @task
    def fails_first_time() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("first")
        return 1

    @flow(retries=1)
    def reruns():
        fails_first_time.submit()

    state = reruns(return_state=True)
    assert str(state) == "Completed(message='All states completed.', type=COMPLETED)"
    assert len(attempts) == 2


def test_flow_timeout_cancels_pending_tasks_and_ends_timed_out():
    release = threading.Event()
    futures = []

    @task
    def blocks() -> None:
        release.wait(20)

    @flow(timeout_seconds=0.3, task_runner=ConcurrentTaskRunner(max_workers=1))
    def too_long():
        first = blocks.submit()
        futures.extend([first, blocks.submit()])  # the second is queued: never starts
        first.wait(20)

    started = time.monotonic()
    state = too_long(return_state=True)
    took = time.monotonic() - started
    release.set()
    assert (
        str(state) == "TimedOut(message='Flow run exceeded timeout of 0.3 second(s)', type=FAILED)"
    )
    assert took < 10  # the 0.3 s timeout, not the 20 s the blocked task would take
    assert all(f.done() for f in futures)
    assert all(f.state is not None and f.state.is_cancelled() for f in futures)
    release.clear()
    with pytest.raises(TimeoutError, match="Flow run exceeded timeout"):
        too_long()
    release.set()


def test_a_subflow_timeout_does_not_stop_the_parent():
    release = threading.Event()  # the subflow's body is stuck until the test says

    @flow(timeout_seconds=0.2)
    def sleeper():
        release.wait(20)

    @flow
    def parent():
        state = sleeper(return_state=True)
        return state.name

    try:
        assert parent() == "TimedOut"
    finally:
        release.set()  # the abandoned body ends (the thread check waits for it)


@pytest.mark.dask
def test_a_task_timeout_on_dask_ends_timed_out(tmp_path):
    from .conftest import small_dask_runner

    release = tmp_path / "release"  # a file: the task runs in a worker process

    @task(timeout_seconds=0.5)
    def sleeps_on_a_worker(release) -> str:
        deadline = time.monotonic() + 60
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # stuck until its run has timed out
        return "late"

    @task
    def after() -> str:
        return "after"

    @flow(task_runner=small_dask_runner())
    def times_out_on_dask():
        state = sleeps_on_a_worker(release, return_state=True)
        release.touch()  # the abandoned call may return now
        return state, after()

    started = time.monotonic()
    state, value = times_out_on_dask()
    assert (
        str(state) == "TimedOut(message='Task run exceeded timeout of 0.5 second(s)', type=FAILED)"
    )
    assert value == "after"
    assert time.monotonic() - started < 30


def test_an_abandoned_body_is_refused_and_does_not_hang():
    seen = {}
    release = threading.Event()  # the body goes on only once its run has timed out

    @flow
    def sub() -> str:
        return "never"

    @flow(timeout_seconds=0.3)
    def too_slow() -> None:
        release.wait(20)
        try:
            sub()
        except BaseException as error:
            seen["error"] = type(error).__name__
            raise

    try:
        state = too_slow(return_state=True)
    finally:
        release.set()
    assert state.name == "TimedOut"
    assert wait_until(lambda: "error" in seen)
    assert seen["error"] == "FlowRunCancelled"


def test_late_submissions_of_a_timed_out_attempt_do_not_count_in_the_retry():
    """On a manual clock: the first attempt times out while it is stuck, and submits its
    task only once the second attempt runs (which waits for it, with no timeout of its own
    firing meanwhile)."""
    attempts = []
    first_started = threading.Event()
    release_first = threading.Event()
    late: list[str] = []  # what became of the abandoned attempt's submission

    @task
    def fails() -> None:
        raise ValueError("late")

    @flow(timeout_seconds=0.5, retries=1)
    def first_attempt_is_slow() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            first_started.set()
            assert release_first.wait(20)
            try:
                fails.submit()  # refused: this attempt timed out
            except BaseException as error:
                late.append(type(error).__name__)
                raise
            late.append("accepted")
        else:
            release_first.set()  # the late submission happens during this attempt
            assert wait_until(lambda: late)

    clock = ManualClock()
    try:
        with ActorSystem(clock=clock) as system:
            run = system.launch(first_attempt_is_slow)
            assert first_started.wait(20)
            _advance_to_the_timer(clock, 0.5)  # times out: the retry starts at once
            state = run.wait(20)
    finally:
        release_first.set()
    assert state is not None
    assert str(state) == "Completed(message='All states completed.', type=COMPLETED)"
    assert len(attempts) == 2
    assert late == ["FlowRunCancelled"]


def test_a_nested_task_with_a_timeout_ends_at_its_deadline():
    release = threading.Event()
    inner_threads: list[threading.Thread] = []

    @task(timeout_seconds=0.3)
    def inner() -> str:
        inner_threads.append(threading.current_thread())
        release.wait(30)  # the call would take 30 s: only its timeout ends it sooner
        return "late"

    @task
    def outer() -> tuple[str, float]:
        started = time.monotonic()
        state = inner(return_state=True)
        return state.name, time.monotonic() - started

    @flow(task_runner=ConcurrentTaskRunner(max_workers=2))
    def nests():
        return outer()

    try:
        name, took = nests()
    finally:
        release.set()
    assert name == "TimedOut"
    assert took < 10  # at its 0.3 s deadline, far from the 30 s the abandoned call takes
    assert inner_threads
    assert wait_until(lambda: not inner_threads[0].is_alive())  # it ends once released


def test_idle_workers_are_all_woken():
    barrier = threading.Barrier(3, timeout=10)

    @task
    def warm() -> None:
        return None

    @task
    def meet(_i: int) -> bool:
        barrier.wait()
        return True

    @flow(task_runner=ConcurrentTaskRunner(max_workers=4))
    def three_at_once():
        from actorflow._context import current_flow_run

        context = current_flow_run()
        assert context is not None
        backend = context.backend
        warm.submit().wait(10)  # leaves one idle worker
        assert wait_until(lambda: backend._idle == 1)  # asleep: the calls below must wake it
        return [f.result(timeout=15) for f in meet.map(range(3))]

    assert three_at_once() == [True, True, True]
