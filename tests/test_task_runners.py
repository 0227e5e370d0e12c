"""Task runners: settings, lifecycle, subflows with their own runner, and clean shutdown."""

from __future__ import annotations

import gc
import logging
import threading
from typing import TYPE_CHECKING

import psutil
import pytest

from actorflow import StateType, TaskRunnerError, flow, task
from actorflow.runners.base import Backend
from actorflow.task_runners import (
    ConcurrentTaskRunner,
    DaskTaskRunner,
    SequentialTaskRunner,
    TaskRunner,
)

from .conftest import small_dask_runner

if TYPE_CHECKING:
    from actorflow.actors.task_call import TaskCall


@task
def where() -> str:
    return threading.current_thread().name


@task
def fail() -> None:
    raise ValueError("inside")


# -- sequential ----------------------------------------------------------------------------


def test_sequential_runs_tasks_one_at_a_time_in_order():
    order = []

    @task
    def record(i: int) -> str:
        order.append(i)
        return threading.current_thread().name

    @flow(task_runner=SequentialTaskRunner())
    def ordered():
        called = [record(i) for i in range(10)]
        submitted = [record.submit(i) for i in range(10, 20)]
        return called, [f.result(timeout=20) for f in submitted]

    called, submitted = ordered()
    assert order == list(range(20))
    # A task called from the flow body, which waits for it anyway, runs right there when
    # the runner is free ("caller runs": no hand-off); submitted ones run on the worker.
    assert all(name.startswith("actorflow-flow-body-") for name in called)
    assert len(set(submitted)) == 1
    assert submitted[0].startswith("actorflow-worker-")


def test_caller_runs_waits_its_turn_behind_submitted_tasks():
    gate = threading.Event()
    order = []

    @task
    def slow() -> None:
        gate.wait(20)
        order.append("slow")

    @task
    def quick() -> str:
        order.append("quick")
        return threading.current_thread().name

    @flow(task_runner=SequentialTaskRunner())
    def queued():
        first = slow.submit()
        threading.Timer(0.2, gate.set).start()
        name = quick()  # must not jump ahead of the submitted task
        first.wait(20)
        return name

    name = queued()
    assert order == ["slow", "quick"]
    assert name.startswith("actorflow-worker-")


# -- custom runners and runner failures ----------------------------------------------------


class _BrokenBackend(Backend):
    def start(self) -> None:
        raise OSError("no cluster here")

    def submit(self, call: TaskCall) -> None:  # pragma: no cover - never started
        raise AssertionError


class BrokenRunner(TaskRunner):
    def create_backend(self) -> Backend:
        return _BrokenBackend()


def test_a_runner_that_cannot_start_crashes_the_run(caplog):
    @flow(task_runner=BrokenRunner())
    def never_runs():
        raise AssertionError("the body must not start")

    caplog.set_level(logging.INFO, logger="actorflow")
    state = never_runs(return_state=True)
    assert state.type is StateType.CRASHED
    assert state.message == "Task runner `BrokenRunner` failed to start: OSError: no cluster here"
    with pytest.raises(OSError, match="no cluster here"):
        never_runs()
    assert "Task runner `BrokenRunner` failed to start" in caplog.text


def test_a_crashed_subflow_does_not_take_the_parent_down():
    @flow(task_runner=BrokenRunner)
    def broken_sub():
        return None

    @flow
    def parent():
        return broken_sub(return_state=True)

    state = parent(return_state=True)
    assert str(state) == "Failed(message='1/1 states failed.', type=FAILED)"


def test_backend_submit_errors_fail_the_task_not_the_runner():
    class RefusingBackend(Backend):
        def submit(self, call: TaskCall) -> None:
            raise TypeError("cannot ship this argument")

    class RefusingRunner(TaskRunner):
        def create_backend(self) -> Backend:
            return RefusingBackend()

    @flow(task_runner=RefusingRunner)
    def refused():
        return where(return_state=True)

    state = refused(return_state=True)
    assert state.is_failed()
    error = state.result(raise_on_failure=False)
    assert isinstance(error, TypeError)
    assert str(error) == "cannot ship this argument"


def test_task_runner_error_is_an_actorflow_error():
    from actorflow import ActorflowError

    assert issubclass(TaskRunnerError, ActorflowError)


# -- subflows ------------------------------------------------------------------------------


def test_subflow_gets_its_own_runner_and_the_parents_is_untouched(caplog):
    @flow(task_runner=SequentialTaskRunner())
    def child():
        return where()

    @flow(task_runner=SequentialTaskRunner())
    def parent():
        before = where()
        inside = child()
        after = where()
        return before, inside, after

    caplog.set_level(logging.INFO, logger="actorflow")
    before, inside, after = parent()
    assert before == after
    assert inside != before
    text = caplog.text
    assert text.count("Starting task runner `SequentialTaskRunner`...") == 2
    assert text.count("Shutting down task runner `SequentialTaskRunner`...") == 2
    assert "Beginning subflow run '" in text
    assert "Subflow run '" in text


def test_subflow_failures_count_in_the_parents_aggregate():
    @flow
    def failing_child():
        fail()

    @flow
    def parent():
        failing_child(return_state=True)
        where()

    state = parent(return_state=True)
    assert str(state) == "Failed(message='1/2 states failed.', type=FAILED)"


# -- Dask ------------------------------------------------------------------------------------


def test_dask_settings_are_plain_data():
    runner = DaskTaskRunner(cluster_kwargs={"n_workers": 1})
    copy = runner.duplicate()
    assert copy == runner
    assert copy.cluster_kwargs is not runner.cluster_kwargs
    assert DaskTaskRunner() == DaskTaskRunner()
    assert runner.name == "DaskTaskRunner"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"address": 8786}, TypeError, "address"),
        ({"cluster_kwargs": ["n_workers", 1]}, TypeError, "cluster_kwargs"),
        ({"client_kwargs": "x"}, TypeError, "client_kwargs"),
        ({"adapt_kwargs": 3}, TypeError, "adapt_kwargs"),
        ({"cluster_class": 3}, TypeError, "cluster_class"),
        (
            {"address": "tcp://127.0.0.1:8786", "cluster_kwargs": {}},
            ValueError,
            "cannot be combined",
        ),
    ],
)
def test_dask_settings_are_validated_at_construction(kwargs, error, match):
    with pytest.raises(error, match=match):
        DaskTaskRunner(**kwargs)


def test_dask_runner_does_not_import_distributed_until_it_starts():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from actorflow.task_runners import DaskTaskRunner\n"
        "DaskTaskRunner(cluster_kwargs={'n_workers': 1})\n"
        "assert 'distributed' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def _children() -> set[int]:
    """Live child processes, less multiprocessing's resource tracker (one per interpreter,
    started by the first spawned process and kept until exit)."""
    pids = set()
    for child in psutil.Process().children(recursive=True):
        try:
            if child.is_running() and "resource_tracker" not in " ".join(child.cmdline()):
                pids.add(child.pid)
        except psutil.NoSuchProcess:
            continue
    return pids


@pytest.mark.dask
def test_dask_subflow_runs_on_a_real_cluster_and_cleans_up(caplog):
    import distributed

    before_children = _children()

    @task
    def pid() -> int:
        import os

        return os.getpid()

    @flow(task_runner=small_dask_runner())
    def on_dask():
        return pid()

    @flow
    def parent():
        return pid(), on_dask()

    caplog.set_level(logging.INFO, logger="actorflow")
    local, remote = parent()
    import os

    assert local == os.getpid()
    assert remote != os.getpid()
    text = caplog.text
    assert "Creating a new Dask cluster with `distributed.deploy.local.LocalCluster`" in text
    assert "The Dask dashboard is available at http://127.0.0.1:" in text
    assert "Shutting down task runner `DaskTaskRunner`..." in text
    # Nothing is left: no worker processes, no client.
    psutil.wait_procs([psutil.Process(p) for p in _children() - before_children], timeout=10)
    assert _children() - before_children == set()
    gc.collect()
    open_clients = [
        o for o in gc.get_objects() if isinstance(o, distributed.Client) and o.status != "closed"
    ]
    assert open_clients == []


@pytest.mark.dask
def test_a_task_raising_inside_a_dask_subflow_ends_both_flows():
    @flow(task_runner=small_dask_runner())
    def dask_child():
        fail()

    @flow
    def parent():
        child_state = dask_child(return_state=True)
        return child_state

    state = parent(return_state=True)
    assert state.is_final()
    assert str(state) == "Failed(message='1/1 states failed.', type=FAILED)"
    with pytest.raises(ValueError, match="inside"):
        state.result()


@pytest.mark.dask
def test_dask_logger_and_prints_work_on_the_worker(capfd):
    from actorflow import get_run_logger

    @task
    def chatty() -> int:
        print("printed on the worker")
        get_run_logger().info("logged on the worker")
        return 3

    @flow(task_runner=small_dask_runner())
    def dask_flow():
        return chatty()

    assert dask_flow() == 3
    out, err = capfd.readouterr()
    assert "printed on the worker" in out
    assert "logged on the worker" in err


@pytest.mark.dask
def test_unreachable_scheduler_crashes_the_flow_quickly():
    import socket
    import time

    with socket.socket() as s:  # a free port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    @flow(
        task_runner=DaskTaskRunner(
            address=f"tcp://127.0.0.1:{port}", client_kwargs={"timeout": "2s"}
        )
    )
    def unreachable():
        raise AssertionError("must not start")

    started = time.monotonic()
    state = unreachable(return_state=True)
    assert state.type is StateType.CRASHED
    assert "failed to start" in (state.message or "")
    assert time.monotonic() - started < 30


def test_tasks_submitted_after_the_runner_died_crash_instead_of_hanging():
    from actorflow._context import current_flow_run

    @flow
    def loses_its_runner():
        context = current_flow_run()
        assert context is not None
        context.backend.shutdown()  # as if its runner had died
        return where(return_state=True)

    state = loses_its_runner(return_state=True)
    assert str(state) == "Failed(message='1/1 states failed.', type=FAILED)"
    error = state.result(raise_on_failure=False)
    assert isinstance(error, TaskRunnerError)
    task_states = []

    @flow
    def inspects():
        context = current_flow_run()
        assert context is not None
        context.backend.shutdown()  # as if its runner had died
        task_states.append(where(return_state=True))

    inspects(return_state=True)
    assert task_states[0].is_crashed()
    assert task_states[0].message == (
        "Task run could not be submitted: the SequentialTaskRunner of this flow run is shut down"
    )


def test_a_crashing_ledger_crashes_the_run_instead_of_hanging(caplog):
    from actorflow._context import current_flow_run
    from actorflow.actors.messages import TaskRunSubmitted

    @flow
    def breaks_its_ledger():
        context = current_flow_run()
        assert context is not None
        context.port.ledger_ref.tell(  # a malformed message: an unhashable id crashes the handler
            TaskRunSubmitted(
                flow_run_id=context.flow_run_id,
                task_run_id=[],  # type: ignore[arg-type]
                task_run_name="x",
                task_name="x",
                task_run_ref=None,
                future=None,
            )
        )
        where()

    state = breaks_its_ledger(return_state=True)
    assert state.type is StateType.CRASHED
    assert state.message.startswith("The flow run's ledger crashed: TypeError")


def test_a_crashing_ledger_cancels_its_subflows_instead_of_waiting_for_them():
    """Regression: the ledger's crash path sent `CancelTaskRun` to subflow actors, which
    have no handler for it; the subflow ran to its end and the parent waited for it."""
    import time

    import actorflow
    from actorflow._context import current_flow_run
    from actorflow.actors.messages import TaskRunSubmitted

    @flow
    def long_child(parent_ledger) -> None:
        parent_ledger.tell(  # a malformed message: an unhashable id crashes the handler
            TaskRunSubmitted(
                flow_run_id="x",
                task_run_id=[],  # type: ignore[arg-type]
                task_run_name="x",
                task_name="x",
                task_run_ref=None,
                future=None,
            )
        )
        actorflow.sleep(60)  # the cancel interrupts it

    @flow
    def parent():
        context = current_flow_run()
        assert context is not None
        return long_child(context.port.ledger_ref, return_state=True)

    started = time.monotonic()
    state = parent(return_state=True)
    assert state.type is StateType.CRASHED
    assert state.message.startswith("The flow run's ledger crashed")
    assert time.monotonic() - started < 30  # not the subflow's 60 s


def test_a_task_run_cancelled_before_the_caller_hands_its_attempt_back_ends_cancelled():
    """Regression: if the task run ended between the caller taking its inline attempt and
    handing it back (the runner had no free slot), the caller got `pykka.ActorDeadError`."""
    from actorflow.core.events import CancelTaskRun
    from actorflow.runners.executor import ExecutorBackend

    class NoFreeSlot(ExecutorBackend):
        def run_here(self, call):
            # The run is cancelled right now (as its flow run's timeout might), and the
            # runner has no free slot for the caller.
            call.report(CancelTaskRun(task_run_id=call.task_run_id, message="cancelled meanwhile"))
            return False

    class Runner(SequentialTaskRunner):
        def create_backend(self):
            return NoFreeSlot(max_workers=1, name=self.name)

    @task
    def never_runs() -> int:
        raise AssertionError("must not run")

    @flow(task_runner=Runner())
    def calls_it() -> tuple[str, str | None]:
        state = never_runs.run_state()
        return state.name, state.message

    assert calls_it() == ("Cancelled", "cancelled meanwhile")


@pytest.mark.parametrize(
    "runner",
    [SequentialTaskRunner, lambda: ConcurrentTaskRunner(max_workers=2)],
    ids=["sequential", "concurrent-2"],
)
@pytest.mark.parametrize("how", ["call", "submit"])
def test_deep_task_recursion_fails_the_run_instead_of_wedging_it(runner, how):
    """Regression: a task calling itself as a task ~140 deep left a light actor's drain
    flag set after a RecursionError; the flow run hung until shutdown gave up on it."""
    import time

    @task
    def down(n: int) -> int:
        if n >= 200:
            return n
        return down(n + 1) if how == "call" else down.submit(n + 1).result()

    @flow(task_runner=runner())
    def deep():
        return down.run_state(0)

    started = time.monotonic()
    state = deep.run_state()
    assert time.monotonic() - started < 20
    assert state.is_failed()
    assert isinstance(state.data, RecursionError)
