"""A task waiting on futures inside an in-process runner is woken, never polls.

The waiting task's thread helps its runner (runs queued calls) through
`ExecutorBackend.help_until(done, timeout)`. It must sleep until what it waits for happens
(a future resolves, a `wait()` countdown reaches zero, an `as_completed` future ends) or a
call is queued, and must still honour timeouts. Each test counts how often the waiting
thread evaluates its `done()` check: a thread that polls evaluates it hundreds of times a
second; one that is woken, a handful of times per wait.
"""

from __future__ import annotations

import threading
import time

import pytest

from actorflow import as_completed, flow, task, wait
from actorflow.runners.executor import ExecutorBackend
from actorflow.task_runners import ConcurrentTaskRunner, SequentialTaskRunner

from .conftest import wait_until

HOLD = 0.3  # how long the awaited task is held: ~150 wake-ups if polled every 2 ms
FEW = 8  # evaluations of `done()` allowed per wait (a woken wait needs 2 or 3)


@pytest.fixture
def checks(monkeypatch):
    """Counts, per `help_until` call, the evaluations of its `done()` check."""
    counts: list[int] = []
    original = ExecutorBackend.help_until

    def counting(self, done, timeout, *args, **kwargs):
        index = len(counts)
        counts.append(0)

        def counted() -> bool:
            counts[index] += 1
            return done()

        return original(self, counted, timeout, *args, **kwargs)

    monkeypatch.setattr(ExecutorBackend, "help_until", counting)
    return counts


def _waits_on_a_held_task(waiting):
    """Run `waiting(future)` in a task on its own worker of a two-slot runner, while the
    task behind `future` runs on the other worker, held until a third thread lets it go.

    Returns what `waiting` returned and the seconds from the release to its return.
    """
    gate = threading.Event()
    started = threading.Event()
    released_at: list[float] = []
    holder = {}

    @task
    def held() -> str:
        started.set()
        assert gate.wait(20)
        return "released"

    @task
    def waiter():
        result = waiting(holder["future"])
        return result, time.monotonic()

    def release() -> None:
        released_at.append(time.monotonic())
        gate.set()

    @flow(task_runner=ConcurrentTaskRunner(max_workers=2))
    def runs():
        holder["future"] = held.submit()
        assert started.wait(20)  # `held` holds one worker: `waiter` gets the other
        timer = threading.Timer(HOLD, release)
        timer.start()
        try:
            return waiter.submit().result(timeout=20)
        finally:
            timer.cancel()
            gate.set()

    result, returned_at = runs()
    return result, returned_at - released_at[0]


@pytest.mark.parametrize(
    "waiting",
    [
        pytest.param(lambda f: f.result(timeout=20), id="result"),
        pytest.param(lambda f: f.wait().result(), id="wait"),
        pytest.param(lambda f: wait([f], timeout=20)[0].pop().result(), id="module-wait"),
        pytest.param(lambda f: [g.result() for g in as_completed([f])][0], id="as_completed"),
    ],
)
def test_a_waiting_task_is_woken_by_the_future_not_by_polling(checks, waiting):
    result, latency = _waits_on_a_held_task(waiting)
    assert result == "released"
    # one help_until call per wait (the flow body is not a worker: it does not help)
    assert len(checks) == 1
    assert checks[0] <= FEW, f"the waiting thread checked {checks[0]} times in {HOLD}s"
    assert latency < 1.0  # woken promptly (generous: a loaded 2-core VM)


@pytest.mark.parametrize(
    "runner",
    [SequentialTaskRunner(), ConcurrentTaskRunner(max_workers=1)],
    ids=["sequential", "concurrent-1"],
)
def test_a_waiting_task_on_a_one_slot_runner_is_woken_by_the_queued_retry(checks, runner):
    # The awaited task fails once and is retried after a delay: meanwhile nothing is queued
    # and nothing runs, so the waiter (on the only slot) sleeps. The retry's submission
    # wakes it; it runs the retry itself, which resolves the future.
    attempts: list[str] = []

    @task(retries=1, retry_delay_seconds=HOLD)
    def flaky() -> str:
        attempts.append(threading.current_thread().name)
        if len(attempts) == 1:
            msg = "first attempt fails"
            raise ValueError(msg)
        return "second attempt"

    @task
    def waiter() -> tuple[str, float]:
        future = flaky.submit()
        started = time.monotonic()
        return future.result(timeout=20), time.monotonic() - started

    @flow(task_runner=runner)
    def runs():
        return waiter()

    result, waited = runs()
    assert result == "second attempt"
    assert waited >= HOLD * 0.9
    assert len(attempts) == 2
    assert len(checks) == 1
    assert checks[0] <= FEW, f"the waiting thread checked {checks[0]} times in {waited:.2f}s"


@pytest.mark.parametrize(
    ("waiting", "error"),
    [
        pytest.param(lambda f: f.result(timeout=HOLD), TimeoutError, id="result"),
        pytest.param(lambda f: f.wait(timeout=HOLD), None, id="wait"),
        pytest.param(lambda f: wait([f], timeout=HOLD), None, id="module-wait"),
        pytest.param(
            lambda f: next(as_completed([f], timeout=HOLD)), TimeoutError, id="as_completed"
        ),
    ],
)
def test_timeouts_are_honoured_without_polling(checks, waiting, error):
    gate = threading.Event()
    started = threading.Event()
    holder = {}

    @task
    def held() -> str:
        started.set()
        assert gate.wait(20)
        return "released"

    @task
    def waiter() -> tuple[str, float, object]:
        begun = time.monotonic()
        try:
            outcome = waiting(holder["future"])
        except TimeoutError as exc:
            outcome = exc
        return time.monotonic() - begun, outcome

    @flow(task_runner=ConcurrentTaskRunner(max_workers=2))
    def runs():
        holder["future"] = held.submit()
        assert started.wait(20)
        try:
            return waiter.submit().result(timeout=20)
        finally:
            gate.set()

    elapsed, outcome = runs()
    # at its timeout, not when the held task is let go (after the 20 s `result` timeout)
    assert HOLD <= elapsed < HOLD + 5.0
    if error is not None:
        assert isinstance(outcome, error)
    elif isinstance(outcome, tuple):  # module wait: (done, not_done)
        assert outcome[0] == set()
        assert holder["future"] in outcome[1]
    else:
        assert outcome is None
    assert len(checks) == 1
    assert checks[0] <= FEW, f"the waiting thread checked {checks[0]} times in {elapsed:.2f}s"


def test_a_zero_timeout_returns_at_once(checks):
    gate = threading.Event()
    started = threading.Event()
    holder = {}

    @task
    def held() -> str:
        started.set()
        assert gate.wait(20)
        return "released"

    @task
    def waiter() -> tuple[float, object]:
        begun = time.monotonic()
        state = holder["future"].wait(timeout=0)
        return time.monotonic() - begun, state

    @flow(task_runner=ConcurrentTaskRunner(max_workers=2))
    def runs():
        holder["future"] = held.submit()
        assert started.wait(20)
        try:
            return waiter.submit().result(timeout=20)
        finally:
            gate.set()

    elapsed, state = runs()
    assert state is None
    assert elapsed < 5.0  # not blocked until the held task is let go (after 20 s)


# -- the backend alone -----------------------------------------------------------------------


class _Call:
    """Just what `ExecutorBackend` uses of a `TaskCall`."""

    may_time_out = False
    flow_run = None  # (a call of a flow run that was cancelled is never started)

    def __init__(self, fn) -> None:
        self.fn = fn
        self.worker = None
        self._claim = threading.Lock()

    def claim(self) -> bool:
        return self._claim.acquire(blocking=False)

    def run_and_report(self) -> None:
        self.fn()


def test_help_until_sleeps_until_woken_and_runs_calls_queued_meanwhile():
    backend = ExecutorBackend(max_workers=1, name="test runner")
    flag = threading.Event()
    checked = []
    ran = []
    outcome = []
    helping = threading.Event()

    def done() -> bool:
        checked.append(1)
        helping.set()
        return flag.is_set()

    def waits() -> None:
        outcome.append(backend.help_until(done, 20))

    backend.submit(_Call(waits))
    try:
        assert helping.wait(20)
        time.sleep(0.1)  # asleep: no polling meanwhile
        assert len(checked) <= 2
        backend.submit(_Call(lambda: ran.append(threading.current_thread().name)))
        assert wait_until(lambda: ran)  # run by the helping thread (the only slot)
        assert not outcome
        flag.set()
        backend.wake_helpers()
        assert wait_until(lambda: outcome)
        assert outcome == [True]
        assert len(checked) <= FEW
    finally:
        flag.set()
        try:
            backend.wake_helpers()
        finally:
            backend.shutdown()


def test_help_until_honours_its_timeout_when_nothing_wakes_it():
    backend = ExecutorBackend(max_workers=1, name="test runner")
    outcome = []

    def waits() -> None:
        begun = time.monotonic()
        outcome.append((backend.help_until(lambda: False, 0.2), time.monotonic() - begun))

    backend.submit(_Call(waits))
    woke = wait_until(lambda: outcome)  # ignoring its timeout, it would sleep for good
    backend.shutdown()
    assert woke
    result, elapsed = outcome[0]
    assert result is False
    assert 0.2 <= elapsed < 5.0


@task
def _fib(n: int, how: str) -> int:
    if n < 2:
        return n
    first, second = _fib.submit(n - 1, how), _fib.submit(n - 2, how)
    if how == "result":
        return first.result(timeout=60) + second.result(timeout=60)
    if how == "wait":
        _done, not_done = wait([first, second], timeout=60)
        assert not not_done
        return first.result() + second.result()
    return sum(f.result() for f in as_completed([first, second], timeout=60))


@pytest.mark.parametrize("how", ["result", "wait", "as_completed"])
@pytest.mark.parametrize(
    "make_runner",
    [SequentialTaskRunner, *(lambda k=k: ConcurrentTaskRunner(max_workers=k) for k in (1, 2, 3))],
    ids=["sequential", "concurrent-1", "concurrent-2", "concurrent-3"],
)
def test_tasks_waiting_on_tasks_waiting_on_tasks_never_deadlock(make_runner, how):
    @flow(task_runner=make_runner())
    def fans_out() -> int:
        return _fib(7, how)

    assert fans_out() == 13
