"""Supervisors: restart policies, limits, backoff, strategies, stopping."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

import actorflow
from actorflow import ActorSystem, Backoff, Child, flow

from .conftest import wait_until

FAST = Backoff(initial=0.01, maximum=0.05, factor=2.0, jitter=0.2)


@flow
def crashes() -> None:
    raise RuntimeError("crash")


@flow
def completes() -> int:
    return 1


@flow
def serves() -> None:
    actorflow.sleep(60)


def test_permanent_restarts_until_the_limit_then_gives_up(caplog):
    caplog.set_level(logging.INFO, logger="actorflow")
    with ActorSystem() as system:
        sup = system.supervise(crashes, max_restarts=2, within_seconds=30, backoff=FAST)
        assert sup.wait_stopped(20)
        assert sup.status == "gave_up"
        assert sup.restarts == 2
        assert len(sup.runs) == 3
        assert len({run.id for run in sup.runs}) == 3  # each restart is a new flow run
        assert all(run.state is not None and run.state.is_failed() for run in sup.runs)
        assert sup.current is sup.runs[-1] or sup.current.id == sup.runs[-1].id
    assert "gave up: more than 2 restart(s) within 30.0 second(s)" in caplog.text


def test_transient_does_not_restart_a_completed_run_and_temporary_never_restarts():
    with ActorSystem() as system:
        transient = system.supervise(completes, restart="transient", backoff=FAST)
        temporary = system.supervise(crashes, restart="temporary", backoff=FAST)
        assert wait_until(lambda: transient.current is not None and transient.current.done())
        assert wait_until(lambda: temporary.current is not None and temporary.current.done())
        time.sleep(0.2)
        assert len(transient.runs) == 1 and transient.restarts == 0
        assert len(temporary.runs) == 1 and temporary.restarts == 0
        assert transient.status == "running"


def test_transient_restarts_a_failed_run(tmp_path):
    marker = tmp_path / "runs"

    @flow
    def fails_once(path) -> None:
        with path.open("a") as f:
            f.write("x")
        if len(path.read_text()) == 1:
            raise RuntimeError("first time")

    with ActorSystem() as system:
        sup = system.supervise(fails_once, marker, restart="transient", backoff=FAST)
        assert wait_until(lambda: len(sup.runs) == 2 and sup.runs[1].done())
        assert sup.runs[1].state.is_completed()
        assert sup.restarts == 1


def test_one_for_all_restarts_every_child():
    with ActorSystem() as system:
        group = system.supervisor(
            strategy="one_for_all",
            children=[Child(flow=serves), Child(flow=crashes, restart="transient")],
            max_restarts=1,
            within_seconds=30,
            backoff=FAST,
        )
        assert group.wait_stopped(20)  # the crasher exhausts the limit: the group gives up
        assert group.status == "gave_up"
        names = [run.flow_name for run in group.runs]
        assert names.count("serves") == 2  # restarted along with the crashing child
        assert names.count("crashes") == 2


def test_rest_for_one_restarts_only_later_children():
    with ActorSystem() as system:
        group = system.supervisor(
            strategy="rest_for_one",
            children=[Child(flow=serves), Child(flow=crashes), Child(flow=serves)],
            max_restarts=1,
            within_seconds=30,
            backoff=FAST,
        )
        assert group.wait_stopped(20)
        first, second, third = (r for r in group.current_runs())
        assert first is group.runs[0]  # the first child never restarted
        assert [r.flow_name for r in group.runs].count("serves") == 3


def test_stop_cancels_children_and_shutdown_stops_supervisors_first():
    before = set(threading.enumerate())
    system = ActorSystem()
    sup = system.supervise(serves, backoff=FAST)
    assert wait_until(
        lambda: (
            sup.current is not None
            and sup.current.state is not None
            and sup.current.state.is_running()
        )
    )
    assert sup.stop(timeout=20)
    assert sup.status == "stopped"
    assert sup.current.state.is_cancelled()
    assert len(sup.runs) == 1  # stopping is not a reason to restart
    other = system.supervise(serves, backoff=FAST)
    assert wait_until(lambda: other.current is not None)
    system.shutdown(timeout=20)
    assert other.status == "stopped"
    assert len(other.runs) == 1
    assert {t for t in set(threading.enumerate()) - before if t.is_alive()} == set()


def test_bad_supervision_arguments():
    with ActorSystem() as system:
        with pytest.raises(ValueError, match="restart"):
            system.supervise(completes, restart="always")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="strategy"):
            system.supervisor(strategy="all_for_one", children=[Child(flow=completes)])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="'x'"):
            system.supervise(crashes, x=1)
        with pytest.raises(ValueError, match="max_restarts"):
            system.supervise(completes, max_restarts=-1)
    with pytest.raises(ValueError, match="factor"):
        Backoff(factor=0.5)


@given(
    initial=st.floats(0, 10),
    maximum=st.floats(0, 100),
    factor=st.floats(1, 5),
    jitter=st.floats(0, 1),
    n=st.integers(0, 2000),
    draw=st.floats(0, 1, exclude_max=True),
)
def test_backoff_delays_stay_within_their_bounds(initial, maximum, factor, jitter, n, draw):
    backoff = Backoff(initial=initial, maximum=maximum, factor=factor, jitter=jitter)
    try:
        base = min(maximum, initial * factor**n)
    except OverflowError:
        base = maximum
    delay = backoff.delay(n, draw)
    assert base <= delay <= base * (1 + jitter)
    assert delay <= maximum * (1 + jitter)


def test_the_supervised_poller_example_runs():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, str(root / "examples" / "supervised_poller.py"), "2"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "stopped: stopped"
    assert "fetched" in done.stderr


def test_groups_nest_and_a_giving_up_group_is_a_failed_child():
    from actorflow import Group

    with ActorSystem() as system:
        parent = system.supervisor(
            strategy="one_for_one",
            children=[
                Group(children=[Child(flow=crashes)], max_restarts=0, backoff=FAST),
                Child(flow=serves),
            ],
            max_restarts=1,
            within_seconds=30,
            backoff=FAST,
        )
        assert parent.wait_stopped(20)
        assert parent.status == "gave_up"
        assert parent.restarts == 1  # the group was restarted once, then the limit hit
        nested = parent.children[0]
        assert nested is not None
        assert nested.status == "gave_up"
        serving = parent.current_runs()[1]
        assert serving is not None and serving.wait(20).is_cancelled()  # stopped with the parent


def test_stopping_a_parent_stops_its_groups():
    from actorflow import Group

    with ActorSystem() as system:
        parent = system.supervisor(children=[Group(children=[Child(flow=serves)], backoff=FAST)])
        assert wait_until(
            lambda: parent.children[0] is not None and parent.children[0].current is not None
        )
        nested = parent.children[0]
        assert parent.stop(timeout=20)
        assert nested.wait_stopped(20)
        assert nested.status == "stopped"
        assert nested.current.wait(20).is_cancelled()


def test_backoff_grows_and_starts_over_after_a_long_enough_run():
    """On a manual clock: each restart is due exactly when the backoff says (no real
    waiting, no timing margins)."""
    import threading

    from actorflow.clocks import ManualClock

    runs: list[int] = []
    release_second = threading.Event()

    @flow
    def records_and_fails() -> None:
        runs.append(1)
        if len(runs) == 2:
            release_second.wait(20)  # lives as long as the test says
        raise RuntimeError("fail")

    def next_delay(clock: ManualClock) -> float:
        assert wait_until(lambda: clock.next_deadline() is not None, 10)
        deadline = clock.next_deadline()
        assert deadline is not None
        return deadline - clock.now()

    clock = ManualClock(start=0.0)
    backoff = Backoff(initial=60, maximum=120, factor=2.0, jitter=0.0)
    with ActorSystem(clock=clock) as system:
        sup = system.supervise(
            records_and_fails, max_restarts=3, within_seconds=10_000, backoff=backoff
        )
        assert next_delay(clock) == pytest.approx(60)  # n=0
        clock.advance(60)
        assert wait_until(lambda: len(runs) == 2, 10)
        clock.advance(200)  # the second run lives longer than the maximum (120 s)...
        release_second.set()
        assert next_delay(clock) == pytest.approx(60)  # ...so the count starts over: n=0
        clock.advance(60)
        assert next_delay(clock) == pytest.approx(120)  # the third failed at once: n=1
        sup.stop(20)


def test_group_children_stop_last_started_first():
    @flow
    def child_a() -> None:
        actorflow.sleep(60)

    @flow
    def child_b() -> None:
        actorflow.sleep(60)

    with ActorSystem() as system:
        group = system.supervisor(children=[Child(flow=child_a), Child(flow=child_b)])
        assert wait_until(
            lambda: all(
                r is not None and r.state is not None and r.state.is_running()
                for r in group.current_runs()
            )
        )
        assert group.stop(timeout=20)
        run_a, run_b = group.current_runs()
        end_a, end_b = run_a.wait(20), run_b.wait(20)
    assert end_a.is_cancelled() and end_b.is_cancelled()
    assert end_b.timestamp < end_a.timestamp  # b, started last, ended first


def test_a_supervisor_keeps_only_its_last_runs_and_counts_them_all():
    """Regression: a supervisor kept every run it started (with its exception and traceback)
    and the system kept every supervisor: memory grew with each restart, forever."""
    with ActorSystem() as system:
        sup = system.supervise(
            crashes, max_restarts=12, within_seconds=60, backoff=FAST, keep_runs=4
        )
        assert sup.wait_stopped(30)
        assert sup.status == "gave_up"
        assert sup.run_count == 13
        assert len(sup.runs) == 4
        assert sup.current is not None and sup.current.id == sup.runs[-1].id
        assert system.runtime._supervisors == []  # a stopped supervisor leaves the system
    with ActorSystem() as other, pytest.raises(ValueError, match="keep_runs"):
        other.supervise(crashes, keep_runs=0)
