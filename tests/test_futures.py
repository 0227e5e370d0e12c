"""submit, map, futures, dataflow between task runs, and waiting on many."""

from __future__ import annotations

import threading
import time
from typing import NamedTuple

import pytest

from actorflow import (
    ForeignFutureError,
    MissingContextError,
    StateType,
    TaskFuture,
    allow_failure,
    as_completed,
    flow,
    task,
    unmapped,
    wait,
)
from actorflow.task_runners import ConcurrentTaskRunner, SequentialTaskRunner


class Pair(NamedTuple):
    left: object
    right: object


@task
def add(x: int, y: int = 0) -> int:
    return x + y


@task
def fail(message: str = "boom") -> int:
    raise ValueError(message)


@task
def echo(value):
    return value


def test_submit_returns_a_future_at_once(task_runner):
    @task
    def waits(event) -> str:
        return "ran" if event.wait(20) else "timed out"

    @flow(task_runner=task_runner)
    def submits():
        event = threading.Event() if not hasattr(task_runner, "address") else None
        future = add.submit(1, y=2)
        assert isinstance(future, TaskFuture)
        assert future.result(timeout=60) == 3
        assert future.done()
        assert future.state is not None and future.state.is_completed()
        assert str(future.wait()) == "Completed(message=None, type=COMPLETED)"
        return event

    submits()


def test_submit_does_not_wait_for_the_task(local_runner):
    @task
    def waits(event) -> str:
        return "ran" if event.wait(20) else "timed out"

    @flow(task_runner=local_runner)
    def submits():
        event = threading.Event()
        future = waits.submit(event)
        assert not future.done()  # the task is blocked until we say so
        event.set()
        return future.result(timeout=20)

    assert submits() == "ran"


def test_map_zips_and_unmapped_passes_whole(task_runner):
    @task
    def combine(a, b, c):
        return (a, b, c)

    @flow(task_runner=task_runner)
    def maps():
        futures = combine.map([1, 2, 3], (4, 5, 6), c=unmapped([7]))
        return [f.result(timeout=60) for f in futures]

    assert maps() == [(1, 4, [7]), (2, 5, [7]), (3, 6, [7])]


def test_map_arguments_are_checked():
    @flow
    def bad_lengths():
        add.map([1, 2], y=[1, 2, 3])

    @flow
    def nothing_to_map():
        add.map(1, y=2)

    with pytest.raises(ValueError, match="different lengths: argument 0 has 2, y has 3"):
        bad_lengths()
    with pytest.raises(ValueError, match="at least one iterable"):
        nothing_to_map()


def test_map_passes_strings_and_mappings_whole():
    @flow
    def maps():
        return [f.result() for f in echo.map(["ab", {"k": 1}])]

    @flow
    def maps_str():
        return [f.result() for f in add.map([1, 2], y=unmapped(0))]

    assert maps() == ["ab", {"k": 1}]
    assert maps_str() == [1, 2]


def test_submit_and_map_outside_a_flow_say_what_to_do():
    with pytest.raises(MissingContextError, match=r"inside a function decorated with @flow"):
        add.submit(1)
    with pytest.raises(MissingContextError, match=r"add\.map\(\) was called in no flow run"):
        add.map([1])


def test_futures_in_arguments_are_replaced_by_results(task_runner):
    @flow(task_runner=task_runner)
    def dataflow():
        one, two = add.submit(1), add.submit(2)
        nested = echo.submit(
            {"list": [one, two], "tuple": (one,), "set": {two}, one: "key", "pair": Pair(one, two)}
        )
        return nested.result(timeout=60), add.submit(one, y=two).result(timeout=60)

    nested, total = dataflow()
    assert nested == {"list": [1, 2], "tuple": (1,), "set": {2}, 1: "key", "pair": Pair(1, 2)}
    assert total == 3


def test_a_task_waiting_on_upstreams_holds_no_thread():
    gate = threading.Event()

    @task
    def blocked() -> int:
        assert gate.wait(20)
        return 1

    @flow(task_runner=ConcurrentTaskRunner(max_workers=2))
    def fan_in():
        upstream = blocked.submit()
        # Many downstreams wait on the blocked upstream: they must not take the pool's
        # threads, or the independent task below could never run.
        downstreams = [add.submit(upstream, y=i) for i in range(50)]
        independent = add.submit(41, y=1)
        value = independent.result(timeout=20)
        gate.set()
        return value, [d.result(timeout=20) for d in downstreams]

    value, results = fan_in()
    assert value == 42
    assert results == [1 + i for i in range(50)]


def test_wait_for_orders_without_data(local_runner):
    order = []

    @task
    def record(name: str, delay: float = 0.0) -> str:
        time.sleep(delay)
        order.append(name)
        return name

    @flow(task_runner=local_runner)
    def ordered():
        first = record.submit("first", 0.2)
        second = record.submit("second", wait_for=[first])
        return second.result(timeout=20)

    assert ordered() == "second"
    assert order == ["first", "second"]


def test_downstream_of_a_failure_is_not_ready(task_runner):
    @flow(task_runner=task_runner)
    def broken_chain():
        bad = fail.submit("upstream broke")
        downstream = add.submit(bad, y=1)
        ordered = add.submit(1, wait_for=[bad])
        return downstream.wait(60), ordered.wait(60), bad.task_run_name

    state = broken_chain(return_state=True)
    assert str(state) == "Completed(message=None, type=COMPLETED)"
    downstream, ordered, name = state.result()
    for not_ready in (downstream, ordered):
        assert not_ready.type is StateType.CANCELLED
        assert not_ready.name == "NotReady"
        assert not_ready.message == f"Upstream task run '{name}' did not reach a 'COMPLETED' state."


def test_not_ready_counts_in_n_but_not_in_k(task_runner):
    @flow(task_runner=task_runner)
    def aggregate():
        bad = fail.submit()
        add.submit(bad)
        add.submit(bad)
        add.submit(1)

    state = aggregate(return_state=True)
    assert str(state) == "Failed(message='1/4 states failed.', type=FAILED)"


def test_allow_failure_passes_the_exception(task_runner):
    @flow(task_runner=task_runner)
    def tolerant():
        bad = fail.submit("tolerated")
        return echo.submit([allow_failure(bad), 1]).result(timeout=60)

    error, one = tolerant()
    assert isinstance(error, ValueError)
    assert str(error) == "tolerated"
    assert one == 1


def test_allow_failure_takes_only_futures():
    with pytest.raises(TypeError, match="allow_failure\\(\\) takes a TaskFuture"):
        allow_failure(3)  # type: ignore[arg-type]


def test_done_callbacks(local_runner):
    seen = []

    @flow(task_runner=local_runner)
    def calls_back():
        future = add.submit(1, 1)
        future.add_done_callback(lambda f: seen.append(("early", f.result())))
        future.wait(20)
        future.add_done_callback(lambda f: seen.append(("late", f.result())))

    calls_back()
    assert sorted(seen) == [("early", 2), ("late", 2)]


def test_wait_and_as_completed(local_runner):
    @task
    def sleepy(seconds: float) -> float:
        time.sleep(seconds)
        return seconds

    @flow(task_runner=local_runner)
    def waits():
        futures = [sleepy.submit(s) for s in (0.3, 0.0, 0.1)]
        done, not_done = wait(futures, timeout=30)
        assert not not_done
        assert done == set(futures)
        return [f.result() for f in as_completed(futures, timeout=30)]

    results = waits()
    assert sorted(results) == [0.0, 0.1, 0.3]


def test_wait_and_as_completed_time_out():
    gate = threading.Event()

    @task
    def held() -> int:
        gate.wait(20)
        return 1

    @flow(task_runner=ConcurrentTaskRunner(max_workers=2))
    def times_out():
        future = held.submit()
        quick = add.submit(1)
        try:
            done, not_done = wait([future, quick], timeout=0.2)
            assert future in not_done
            assert future.wait(timeout=0.05) is None
            with pytest.raises(TimeoutError, match="did not finish within 0.05"):
                future.result(timeout=0.05)
            iterator = as_completed([future], timeout=0.1)
            with pytest.raises(TimeoutError, match="1 of 1 task runs did not finish"):
                next(iterator)
        finally:
            gate.set()
        return future.result(timeout=20)

    assert times_out() == 1


def test_futures_of_another_flow_run_are_refused():
    holder = {}

    @flow
    def makes():
        holder["future"] = add.submit(1)

    @flow
    def uses():
        add(holder["future"])

    makes()
    with pytest.raises(ForeignFutureError, match="belongs to another flow run"):
        uses()


def test_the_flow_waits_for_futures_it_did_not_wait_for(local_runner):
    futures = []

    @task
    def slow() -> str:
        time.sleep(0.2)
        return "done"

    @flow(task_runner=local_runner)
    def forgets():
        futures.append(slow.submit())

    state = forgets(return_state=True)
    assert str(state) == "Completed(message='All states completed.', type=COMPLETED)"
    assert futures[0].done()
    assert futures[0].result() == "done"


def test_sequential_runs_one_at_a_time_in_submission_order():
    spans = []

    @task
    def timed(i: int) -> None:
        start = time.monotonic()
        time.sleep(0.01)
        spans.append((i, start, time.monotonic()))

    @flow(task_runner=SequentialTaskRunner())
    def many():
        for future in [timed.submit(i) for i in range(10)]:
            future.wait(20)

    many()
    assert [i for i, _, _ in spans] == list(range(10))
    for (_, _, end), (_, start, _) in zip(spans, spans[1:], strict=False):
        assert end <= start


def test_concurrent_runs_tasks_at_the_same_time():
    barrier = threading.Barrier(3, timeout=20)

    @task
    def meet(_i: int) -> bool:
        barrier.wait()  # only returns once all three run at the same time
        return True

    @flow(task_runner=ConcurrentTaskRunner(max_workers=3))
    def together():
        return [f.result(timeout=20) for f in meet.map(range(3))]

    assert together() == [True, True, True]


def test_concurrent_runner_settings():
    assert ConcurrentTaskRunner().max_workers is None
    assert ConcurrentTaskRunner(max_workers=2) == ConcurrentTaskRunner(max_workers=2)
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="max_workers"):
            ConcurrentTaskRunner(max_workers=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "runner",
    [SequentialTaskRunner(), ConcurrentTaskRunner(max_workers=1)],
    ids=["sequential", "concurrent-1"],
)
def test_a_task_waiting_on_its_own_submission_does_not_deadlock(runner):
    @task
    def parent() -> int:
        children = [add.submit(i, y=1) for i in range(5)]
        chained = add.submit(children[0], y=children[1])
        return sum(f.result(timeout=20) for f in children) + chained.result(timeout=20)

    @flow(task_runner=runner)
    def nests():
        return parent()

    assert nests() == 15 + 3


def test_submit_inside_a_task_goes_to_the_flows_runner():
    # Unlike a direct call, submit does not run the child inside it: it returns first. The
    # child then runs on a worker, or on the parent's thread helping while it waits.
    submitted = threading.Event()

    @task
    def child() -> bool:
        return submitted.wait(timeout=10)

    @task
    def parent() -> bool:
        future = child.submit()
        submitted.set()
        return future.result(timeout=20)

    @flow(task_runner=ConcurrentTaskRunner(max_workers=2))
    def nests():
        return parent()

    assert nests() is True


def test_a_finished_task_run_lets_go_of_its_arguments_without_waiting_for_gc(local_runner):
    import gc
    import weakref

    class Payload:
        pass

    @task
    def takes(payload: Payload) -> int:
        return 1

    @flow(task_runner=local_runner)
    def passes_a_payload() -> bool:
        payload = Payload()
        ref = weakref.ref(payload)
        future = takes.submit(payload)
        future.result()
        del payload
        return ref() is None

    gc.disable()  # freed by reference counting, when the run ends, not by a later GC pass
    try:
        assert passes_a_payload()
    finally:
        gc.enable()


def test_a_finished_task_runs_result_is_freed_once_nothing_needs_it(local_runner):
    """Regression: a flow run kept every task run's result until it ended (a poller fetching
    1 MB per call grew by 1 MB per call)."""
    import gc
    import weakref

    class Payload:
        pass

    @task
    def fetch() -> Payload:
        return Payload()

    @flow(task_runner=local_runner)
    def polls() -> tuple[bool, bool]:
        result = fetch()
        ref = weakref.ref(result)
        kept = fetch.submit()  # the user holds this future: its result stays
        kept_ref = weakref.ref(kept.result())
        del result
        gc.collect()
        freed = ref() is None
        gc.collect()
        held = kept_ref() is not None
        return freed, held

    freed, held = polls()
    assert freed and held


def test_a_done_callback_raising_system_exit_harms_no_thread(caplog):
    """Regression: a done-callback raising SystemExit killed the sequential runner's only
    worker, silently; the next task stayed Pending forever."""

    @task
    def one() -> int:
        return 1

    def exits(_future) -> None:
        raise SystemExit("from a callback")

    @flow(task_runner=SequentialTaskRunner())
    def uses_a_bad_callback() -> int:
        first = one.submit()
        first.add_done_callback(exits)
        first.wait(10)
        return first.result() + one.submit().result(timeout=10)

    assert uses_a_bad_callback() == 2
    assert "A done-callback of" in caplog.text


def test_sleep_refuses_nan_and_bad_values():
    import actorflow

    for bad in (float("nan"), -1, "1", True):
        with pytest.raises(ValueError, match="sleep\\(seconds=...\\)"):
            actorflow.sleep(bad)  # type: ignore[arg-type]
