"""Retries and timeouts of tasks and flows: timer messages, never a sleeping pool thread."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from actorflow import StateType, flow, task
from actorflow.task_runners import ConcurrentTaskRunner, SequentialTaskRunner


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

    assert watches() == "ok"
    assert "AwaitingRetry" in seen
    assert seen.index("AwaitingRetry") < len(seen)


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
    attempts = []

    @task(timeout_seconds=0.1, retries=1)
    def slow_then_fast() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            time.sleep(0.5)
        return "fast"

    @flow(task_runner=ConcurrentTaskRunner(max_workers=2))
    def retries_timeout():
        return slow_then_fast()

    assert retries_timeout() == "fast"
    time.sleep(0.5)  # let the abandoned first attempt finish before the thread check


def test_a_timed_out_attempt_finishing_during_the_retry_delay_does_not_stop_the_retry():
    """The late outcome of the abandoned attempt arrives while the run waits for its retry
    (the attempt number has not moved on yet): it must be ignored, and the retry happen."""
    first_done = threading.Event()
    attempts = []

    @task(timeout_seconds=0.2, retries=1, retry_delay_seconds=0.6)
    def slow_then_fast() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            time.sleep(0.4)  # ends inside the retry delay
            first_done.set()
            return "late"
        return "retried"

    @flow(task_runner=ConcurrentTaskRunner(max_workers=2))
    def retries_after_a_delay() -> str:
        return slow_then_fast.submit().result(timeout=10)  # TimeoutError: the run hung

    assert retries_after_a_delay() == "retried"
    assert first_done.is_set()


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
    assert took < 5
    assert all(f.done() for f in futures)
    assert all(f.state is not None and f.state.is_cancelled() for f in futures)
    release.clear()
    with pytest.raises(TimeoutError, match="Flow run exceeded timeout"):
        too_long()
    release.set()
    time.sleep(0.1)


def test_a_subflow_timeout_does_not_stop_the_parent():
    @flow(timeout_seconds=0.2)
    def sleeper():
        time.sleep(0.6)

    @flow
    def parent():
        state = sleeper(return_state=True)
        return state.name

    assert parent() == "TimedOut"
    time.sleep(0.5)  # the abandoned body finishes before the thread check


@pytest.mark.dask
def test_a_task_timeout_on_dask_ends_timed_out():
    from .conftest import small_dask_runner

    @task(timeout_seconds=0.5)
    def sleeps_on_a_worker() -> str:
        time.sleep(3)
        return "late"

    @task
    def after() -> str:
        return "after"

    @flow(task_runner=small_dask_runner())
    def times_out_on_dask():
        return sleeps_on_a_worker(return_state=True), after()

    started = time.monotonic()
    state, value = times_out_on_dask()
    assert (
        str(state) == "TimedOut(message='Task run exceeded timeout of 0.5 second(s)', type=FAILED)"
    )
    assert value == "after"
    assert time.monotonic() - started < 30


def test_an_abandoned_body_is_refused_and_does_not_hang():
    seen = {}

    @flow
    def sub() -> str:
        return "never"

    @flow(timeout_seconds=0.3)
    def too_slow() -> None:
        time.sleep(0.6)
        try:
            sub()
        except BaseException as error:
            seen["error"] = type(error).__name__
            raise

    state = too_slow(return_state=True)
    assert state.name == "TimedOut"
    deadline = time.monotonic() + 10
    while "error" not in seen and time.monotonic() < deadline:
        time.sleep(0.02)
    assert seen["error"] == "FlowRunCancelled"


def test_late_submissions_of_a_timed_out_attempt_do_not_count_in_the_retry():
    attempts = []

    @task
    def fails() -> None:
        raise ValueError("late")

    @flow(timeout_seconds=0.5, retries=1)
    def first_attempt_is_slow() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            time.sleep(0.8)
            fails.submit()  # refused: this attempt timed out

    state = first_attempt_is_slow(return_state=True)
    assert str(state) == "Completed(message='All states completed.', type=COMPLETED)"
    time.sleep(0.5)


def test_a_nested_task_with_a_timeout_ends_at_its_deadline():
    @task(timeout_seconds=0.3)
    def inner() -> str:
        time.sleep(2.5)
        return "late"

    @task
    def outer() -> tuple[str, float]:
        started = time.monotonic()
        state = inner(return_state=True)
        return state.name, time.monotonic() - started

    @flow(task_runner=ConcurrentTaskRunner(max_workers=2))
    def nests():
        return outer()

    name, took = nests()
    assert name == "TimedOut"
    assert took < 1.8  # far from the 2.5 s the abandoned call takes
    time.sleep(2.0)  # the abandoned call finishes before the thread check


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
        warm.submit().wait(10)  # leaves one idle worker
        time.sleep(0.05)
        return [f.result(timeout=15) for f in meet.map(range(3))]

    assert three_at_once() == [True, True, True]
