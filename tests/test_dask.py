"""The Dask runner on real clusters: failures, worker deaths, existing schedulers."""

from __future__ import annotations

import ast
import contextlib
import os
import pickle
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import cloudpickle
import pytest

from actorflow import ResultNotAvailableError, StateType, WorkerLostError, flow, task
from actorflow.task_runners import DaskTaskRunner, get_dask_client

from .conftest import small_dask_runner

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.dask


@task
def identity(value):
    return value


@task
def square(x: int) -> int:
    return x * x


def test_an_unpicklable_argument_fails_the_task_and_names_it(capfd):
    @task(retries=2)
    def keeps(value):
        return value

    @flow(task_runner=small_dask_runner())
    def ships_a_lock():
        state = keeps(threading.Lock(), return_state=True)
        return state, square(3)

    state, after = ships_a_lock()
    err = capfd.readouterr().err
    assert after == 9  # the flow went on
    assert state.is_failed()
    assert "retry" not in err  # retrying cannot make it picklable
    assert "Failed to serialize" not in err
    message = state.message or ""
    assert "keeps-" in message
    assert "argument 0 cannot be pickled" in message
    assert "cannot pickle '_thread.lock' object" in message


def test_an_unpicklable_result_fails_the_task_and_says_so():
    @task
    def returns_a_lock():
        return threading.Lock()

    seen = []

    @flow(task_runner=small_dask_runner())
    def gets_a_lock():
        seen.append(returns_a_lock(return_state=True))

    gets_a_lock(return_state=True)
    state = seen[0]
    assert state.is_failed()
    assert "could not be sent back from the Dask worker" in (state.message or "")
    assert "Traceback" not in (state.message or "")


BIG = 40_000_000  # bytes: far above what the client process would not notice


@task
def big_bytes(n: int) -> bytes:
    return b"x" * n


@task
def total_length(values: list[bytes], named: dict[str, bytes], one: bytes) -> int:
    return sum(len(v) for v in values) + sum(len(v) for v in named.values()) + len(one)


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def test_a_large_result_goes_from_worker_to_worker_without_passing_through_the_client():
    @flow(task_runner=small_dask_runner())
    def passes_big_data(n: int) -> int:
        data = big_bytes.submit(n)
        # The future directly, and inside a list and a dict: each becomes the Dask future.
        return total_length.submit([data, data], {"k": data}, data).result()

    assert passes_big_data(1_000) == 4_000  # the same path, small: warms everything up
    before = _peak_rss_mb()
    assert passes_big_data(BIG) == 4 * BIG
    grown = _peak_rss_mb() - before
    assert grown < BIG / 2**20 / 2, f"the client's peak memory grew by {grown:.0f} MB"


def test_a_large_result_is_fetched_when_asked_for_and_not_after_the_flow_run():
    kept = []

    @flow(task_runner=small_dask_runner())
    def asks_for_it(n: int) -> tuple[int, bytes]:
        data = big_bytes.submit(n)
        kept.append(big_bytes.submit(n).wait())  # never asked for inside the flow
        state = big_bytes(n, return_state=True)  # a returned state's result is fetched
        return len(data.result()), state

    length, state = asks_for_it(1_000_000)
    assert length == 1_000_000
    assert state.result() == b"x" * 1_000_000
    with pytest.raises(
        ResultNotAvailableError, match=r"big_bytes-.*flow run that used it has ended"
    ):
        kept[0].result()


def test_a_dying_worker_crashes_the_task_and_retries_apply(tmp_path):
    marker = tmp_path / "attempts"

    @task(retries=1)
    def dies_once(path: Path) -> str:
        with path.open("a") as f:
            f.write("x")
        if len(path.read_text()) == 1:
            os._exit(1)  # the worker process dies mid-task
        return "second attempt"

    @task
    def dies_always() -> None:
        os._exit(1)

    @flow(task_runner=small_dask_runner())
    def loses_workers():
        return dies_once(marker), dies_always(return_state=True)

    survived, crashed = loses_workers()
    assert survived == "second attempt"
    assert marker.read_text() == "xx"  # ran exactly as often as its retries allow
    assert crashed.type is StateType.CRASHED
    assert "died" in (crashed.message or "")
    assert isinstance(crashed.result(raise_on_failure=False), WorkerLostError)


def test_a_fetched_result_does_not_run_again_when_its_worker_dies_later(tmp_path):
    """Once a small result is here, the cluster forgets it: Dask would otherwise compute
    it again, silently, if the worker holding it died while the flow still held its future."""
    runs = tmp_path / "runs"

    @task
    def record(path: Path) -> int:
        with path.open("a") as f:
            f.write(f"{os.getpid()}\n")
        return os.getpid()

    @flow(task_runner=DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1}))
    def kills_the_worker_after_the_result() -> int:
        future = record.submit(runs)
        worker_pid = future.result()
        assert square(2) == 4  # a round trip after it: the scheduler got the release first
        os.kill(worker_pid, signal.SIGKILL)
        deadline = time.monotonic() + 3  # a recomputation shows up well within this
        while time.monotonic() < deadline and len(runs.read_text().split()) < 2:
            time.sleep(0.05)
        return worker_pid

    worker_pid = kills_the_worker_after_the_result()
    assert runs.read_text().split() == [str(worker_pid)]


def test_get_dask_client_inside_a_task_does_not_deadlock_a_one_thread_worker():
    def inc(x: int) -> int:
        return x + 1

    @task
    def fans_out(n: int) -> int:
        with get_dask_client() as client:
            return sum(client.gather(client.map(inc, range(n))))

    runner = DaskTaskRunner(
        cluster_kwargs={"n_workers": 1, "threads_per_worker": 1, "processes": True}
    )

    @flow(task_runner=runner)
    def nested_dask():
        return fans_out(10)

    assert nested_dask() == sum(range(1, 11))


def test_a_local_cluster_of_threads_runs_tasks():
    """`processes=False`, as the docs suggest for tasks that release the GIL: the workers
    are threads of the flow's process, reached in-process rather than on 127.0.0.1."""

    @flow(
        task_runner=DaskTaskRunner(
            cluster_kwargs={"processes": False, "n_workers": 1, "threads_per_worker": 2}
        )
    )
    def on_threads() -> list[int]:
        return [future.result() for future in square.map(range(4))]

    assert on_threads() == [0, 1, 4, 9]


def test_get_dask_client_outside_a_dask_task():
    from actorflow import MissingContextError

    with pytest.raises(MissingContextError, match="inside a task running on a Dask worker"):
        with get_dask_client():
            pass


def test_a_flow_timeout_cancels_its_dask_futures():
    @task
    def sleeps() -> None:
        time.sleep(60)

    @flow(timeout_seconds=1.0, task_runner=small_dask_runner())
    def too_slow():
        sleeps()

    started = time.monotonic()
    state = too_slow(return_state=True)
    assert state.name == "TimedOut"
    assert time.monotonic() - started < 30


class _Cluster(NamedTuple):
    address: str
    scheduler: subprocess.Popen[bytes]


@contextlib.contextmanager
def _start_external_cluster(tmp_path: Path) -> Iterator[_Cluster]:
    """A real `dask scheduler` and `dask worker` on 127.0.0.1, stopped afterwards."""
    dask = shutil.which("dask") or str(Path(sys.executable).with_name("dask"))
    scheduler_file = tmp_path / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
         "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(scheduler_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True,
    )  # fmt: skip
    processes = [scheduler]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert scheduler_file.exists(), "the scheduler did not start"
        worker = subprocess.Popen(
            [dask, "worker", "--scheduler-file", str(scheduler_file), "--host", "127.0.0.1",
             "--nworkers", "1", "--nthreads", "2", "--dashboard-address", "127.0.0.1:0",
             "--death-timeout", "30"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True,
        )  # fmt: skip
        processes.append(worker)
        import json

        address = json.loads(scheduler_file.read_text())["address"]
        from distributed import Client

        with Client(address, timeout="30s", set_as_default=False) as client:
            client.wait_for_workers(1, timeout=60)
        yield _Cluster(address, scheduler)
    finally:
        for process in reversed(processes):
            with_group = os.getpgid(process.pid) if process.poll() is None else None
            if with_group is not None:
                os.killpg(with_group, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture
def external_cluster(tmp_path):
    """The address of a real scheduler with one worker, both stopped afterwards."""
    with _start_external_cluster(tmp_path) as cluster:
        yield cluster.address


def test_a_lost_scheduler_fails_the_running_task_and_says_so(tmp_path, capfd, caplog):
    started = tmp_path / "started"
    task_states = []

    @task
    def waits_long() -> None:
        started.touch()
        time.sleep(60)

    with _start_external_cluster(tmp_path) as cluster:
        runner = DaskTaskRunner(address=cluster.address, client_kwargs={"timeout": "5s"})

        @flow(task_runner=runner)
        def loses_its_scheduler() -> None:
            task_states.append(waits_long(return_state=True))

        def kill_the_scheduler_once_the_task_runs() -> None:
            deadline = time.monotonic() + 60
            while not started.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            os.killpg(os.getpgid(cluster.scheduler.pid), signal.SIGKILL)

        killer = threading.Thread(target=kill_the_scheduler_once_the_task_runs)
        killer.start()
        began = time.monotonic()
        try:
            state = loses_its_scheduler(return_state=True)
        finally:
            killer.join(timeout=70)
        assert time.monotonic() - began < 55  # not the task's whole minute
    (task_state,) = task_states
    assert task_state.is_crashed(), task_state
    assert "the Dask scheduler was lost while task run 'waits_long" in (task_state.message or "")
    assert state.is_failed()
    # The state says it; distributed's traceback of the reconnection it gave up is not shown.
    assert "Traceback" not in capfd.readouterr().err
    assert not [r for r in caplog.records if r.name.startswith("distributed") and r.exc_info]


def test_an_existing_cluster_runs_a_fan_out_and_a_subflow(external_cluster, caplog):
    import logging

    address = external_cluster
    runner = DaskTaskRunner(address=address, client_kwargs={"timeout": "30s"})

    @flow(task_runner=runner)
    def child(n: int) -> int:
        return square(n)

    @flow(task_runner=runner)
    def parent() -> tuple[list[int], int]:
        squares = [f.result() for f in square.map(range(10))]
        return squares, child(7)

    caplog.set_level(logging.INFO, logger="actorflow")
    squares, child_value = parent()
    assert squares == [i * i for i in range(10)]
    assert child_value == 49
    assert f"Connecting to an existing Dask cluster at {address}" in caplog.text
    assert "Creating a new Dask cluster" not in caplog.text
    # The runner closed its own clients but left the cluster it did not create running.
    from distributed import Client

    with Client(address, timeout="30s", set_as_default=False) as client:
        assert client.submit(sum, [1, 2]).result(timeout=30) == 3


def _run_example(name: str, *args: str) -> list[str]:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, str(root / "examples" / name), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "CommClosedError" not in done.stderr
    return done.stdout.splitlines()


def test_the_local_cluster_example_runs():
    (line,) = _run_example("dask_local_cluster.py")
    assert 0.45 < float(line) < 0.55


def test_the_data_locality_example_runs():
    checksum, peak = _run_example("dask_data_locality.py")
    assert checksum == "checksum: 120000000"
    megabytes = float(peak.split(": ")[1].split()[0])
    assert megabytes < 150, peak  # interpreter, Dask client and scheduler: ~85 MB; blobs: 80 MB


def test_the_adaptive_example_runs():
    assert _run_example("dask_adaptive.py") == ["[0, 1, 4, 9, 16, 25]"]


def test_the_existing_cluster_example_runs(external_cluster):
    assert _run_example("dask_existing_cluster.py", external_cluster) == ["9"]


def test_a_task_function_is_pickled_once_per_flow_run_not_once_per_task_run():
    from actorflow.runners.dask._backend import _ShippedFunctions
    from actorflow.runners.dask._worker import _load_function

    factor = 1

    def local(x: int) -> int:  # nested: pickled by value, with its closure
        return x * factor

    shipped = _ShippedFunctions()
    assert shipped.get(local) is shipped.get(local)
    # The scheduler unpickles a task and pickles it again for a worker: the function stays
    # bytes there, neither loaded nor pickled anew.
    loads_before = _load_function.cache_info()
    on_the_scheduler = pickle.loads(pickle.dumps(shipped.get(local)))
    assert _load_function.cache_info() == loads_before
    assert pickle.dumps(on_the_scheduler) == pickle.dumps(shipped.get(local))
    assert pickle.loads(pickle.dumps(on_the_scheduler))(2) == 2  # what a worker does with it
    factor = 10  # the next flow run has a backend of its own, and sees the new value
    assert _ShippedFunctions().get(local)(2) == 20
    acquire = threading.Lock().acquire
    assert shipped.get(acquire) is acquire  # not a plain function: shipped as it is


def test_a_script_s_task_function_does_not_make_dask_pickle_each_task_twice():
    """distributed pickles anything whose plain pickle contains `__main__` a second time,
    with cloudpickle: a function from a script, shipped as is, would cost that per task."""
    from actorflow.runners.dask._backend import _ShippedFunctions

    script: dict[str, object] = {"__name__": "__main__"}
    exec("def double(x):\n    return 2 * x\n", script)  # as defined in a script
    double = script["double"]
    shipped = _ShippedFunctions().get(double)  # type: ignore[arg-type]
    assert b"__main__" in cloudpickle.dumps(double)
    assert b"__main__" not in pickle.dumps(shipped)
    assert pickle.loads(pickle.dumps(shipped))(4) == 8


def test_a_large_result_used_as_a_dict_key_fails_the_downstream_and_says_why():
    @task
    def key_count(mapping: dict[bytes, int]) -> int:
        return len(mapping)

    @flow(task_runner=small_dask_runner())
    def keys_by_large_result() -> tuple[object, int]:
        data = big_bytes.submit(1_000_000)
        state = key_count.submit({data: 1}).wait()
        return state, key_count.submit({"k": 1}).result()  # the flow goes on

    state, after = keys_by_large_result()
    assert after == 1
    assert state.is_failed()
    assert "stayed on the Dask cluster" in state.message
    assert "dict key" in state.message


def test_results_come_straight_from_the_workers_only_when_all_listen_on_loopback(
    external_cluster,
):
    from actorflow.runners.dask._backend import _on_this_machine

    class Seen:
        """What a client knows of a cluster: its scheduler's address and its workers'."""

        def __init__(self, scheduler: str, workers: list[str]) -> None:
            self.scheduler = type("Rpc", (), {"address": scheduler})()
            self._workers = {address: {} for address in workers}

        def scheduler_info(self) -> dict[str, object]:
            return {"workers": self._workers}

    assert _on_this_machine(Seen("tcp://127.0.0.1:8786", ["tcp://127.0.0.1:4001"]))
    assert _on_this_machine(Seen("tcp://localhost:8786", ["tls://[::1]:4001"]))
    assert not _on_this_machine(Seen("tcp://127.0.0.1:8786", ["tcp://10.1.2.3:4001"]))
    assert not _on_this_machine(Seen("tcp://localhost:8786", ["tcp://worker-0.internal:4001"]))
    from distributed import Client

    with Client(external_cluster, set_as_default=False) as client:  # the real thing
        assert _on_this_machine(client)


def test_calls_still_queued_when_the_runner_shuts_down_are_refused_not_lost():
    """A call the client's loop never got to submit is reported, so its run cannot hang."""
    import pykka

    from actorflow._context import TaskCall
    from actorflow.actors.messages import SubmitRefused
    from actorflow.runners.dask._backend import _ShippedFunctions

    told: list[object] = []

    class TaskRun(pykka.ThreadingActor):
        def on_receive(self, message: object) -> None:
            if message != "ping":
                told.append(message)

    backend = DaskTaskRunner(
        cluster_kwargs={"processes": False, "n_workers": 1, "threads_per_worker": 1}
    ).create_backend()
    backend.start()
    ref = TaskRun.start()
    try:
        call = TaskCall(
            task_run_id="r1",
            task_run_name="square-0",
            task_name="square",
            fn=square.fn,
            args=(2,),
            kwargs={},
            report=lambda message: ref.tell(message) is None,
            flow_run=None,
        )
        assert call.claim()
        # As if the loop had stopped before its turn came: queued, never submitted.
        backend.queue.append((_ShippedFunctions().get(call.fn), call))  # type: ignore[attr-defined]
        backend.shutdown()
        ref.ask("ping")  # every earlier message is handled by now
    finally:
        ref.stop()
    (refused,) = told
    assert isinstance(refused, SubmitRefused)
    assert refused.task_run_id == "r1"
    assert "closed" in str(refused.error)


# -- what the runner modules may use ----------------------------------------------------

# distributed's private names the Dask backend needed; only `dask/_compat.py` may use them.
_DISTRIBUTED_PRIVATE = {"_gather", "_cancel", "_state", "_exception"}


def _runner_sources() -> dict[str, ast.Module]:
    """Every module under `actorflow/runners/` (the installed one being tested), parsed."""
    import actorflow.runners

    root = Path(actorflow.runners.__file__).parent
    return {
        path.relative_to(root).as_posix(): ast.parse(path.read_text(), str(path))
        for path in sorted(root.rglob("*.py"))
    }


def _private_distributed_uses(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in _DISTRIBUTED_PRIVATE:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Import):
            found += [
                f"line {node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name.split(".")[0] == "distributed"
                and any(part.startswith("_") for part in alias.name.split("."))
            ]
        elif (
            isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "distributed"
        ):
            names = [*node.module.split("."), *(alias.name for alias in node.names)]  # type: ignore[union-attr]
            if any(name.startswith("_") for name in names):
                found.append(f"line {node.lineno}: from {node.module} import ...")
    return found


def test_only_the_compat_module_uses_private_names_of_distributed():
    sources = _runner_sources()
    assert _private_distributed_uses(sources["dask/_compat.py"])  # the check sees them
    offenders = {
        name: uses
        for name, tree in sources.items()
        if name != "dask/_compat.py" and (uses := _private_distributed_uses(tree))
    }
    assert not offenders, f"private distributed API outside dask/_compat.py: {offenders}"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _run_time_imports(node: ast.AST, package: list[str]) -> list[tuple[int, str]]:
    """The modules `node` imports when it runs: `if TYPE_CHECKING:` bodies left out."""
    if isinstance(node, ast.If) and _is_type_checking(node.test):
        children: list[ast.AST] = list(node.orelse)
    else:
        children = list(ast.iter_child_nodes(node))
    found: list[tuple[int, str]] = []
    if isinstance(node, ast.Import):
        found += [(node.lineno, alias.name) for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = package[: len(package) - node.level + 1] if node.level else []
        module = ".".join([*base, *([node.module] if node.module else [])])
        found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    for child in children:
        found += _run_time_imports(child, package)
    return found


def test_the_runners_import_neither_pykka_nor_the_actors_at_run_time():
    sources = _runner_sources()
    offenders = []
    for name, tree in sources.items():
        package = ["actorflow", "runners", *name.split("/")[:-1]]
        for line, module in _run_time_imports(tree, package):
            if module.split(".")[0] == "pykka" or module.startswith("actorflow.actors"):
                offenders.append(f"{name}, line {line}: {module}")
    assert not offenders, f"run-time imports of pykka or actorflow.actors: {offenders}"
    # The check sees imports inside functions, and skips only `if TYPE_CHECKING:` bodies.
    sample = ast.parse(
        "if TYPE_CHECKING:\n    import pykka\ndef f():\n    from ..actors import x\n"
    )
    assert _run_time_imports(sample, ["actorflow", "runners"]) == [(4, "actorflow.actors.x")]


def _dask_imports(tree: ast.Module, module: str) -> set[str]:
    """The `dask/` modules that `module` imports, in any way: at the top, inside a
    function, or under `if TYPE_CHECKING:`."""
    prefix = "actorflow.runners.dask."
    package = ["actorflow", "runners", "dask"]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            parent = ".".join([*base, *([node.module] if node.module else [])])
            names = [parent, *(f"{parent}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            if name.startswith(prefix):
                found.add(name[len(prefix) :].split(".")[0])
    found.discard(module)
    return found


def test_the_dask_modules_import_one_another_one_way_only():
    sources = {
        name.removeprefix("dask/").removesuffix(".py"): tree
        for name, tree in _runner_sources().items()
        if name.startswith("dask/") and name != "dask/__init__.py"
    }
    edges = {
        module: _dask_imports(tree, module) & sources.keys() for module, tree in sources.items()
    }
    assert edges["_settings"] == {"_backend"}  # the check sees them
    cycles = []
    for start in sorted(edges):
        reached: set[str] = set()
        todo = list(edges[start])
        while todo:
            module = todo.pop()
            if module not in reached:
                reached.add(module)
                todo += edges[module]
        if start in reached:
            cycles.append(start)
    assert not cycles, f"dask modules in an import cycle: {cycles} ({edges})"


@pytest.mark.dask
def test_task_exceptions_that_cannot_travel_and_system_exit_keep_the_users_error(capfd):
    """Regression: an exception that could not be pickled lost the user's error (another
    TypeError replaced it) and flooded the console; SystemExit in a task killed the worker."""
    import threading

    from actorflow import RemoteTaskError

    class HoldsALock(Exception):
        def __init__(self, text: str) -> None:
            super().__init__(text)
            self.lock = threading.Lock()  # cannot be pickled

    class NeedsTwo(Exception):
        def __init__(self, a: str, b: str) -> None:  # pickles, but cannot be unpickled
            super().__init__(f"{a}+{b}")

    @task
    def raises_unpicklable() -> None:
        raise HoldsALock("the real reason")

    @task
    def raises_unloadable() -> None:
        raise NeedsTwo("x", "y")

    @task
    def exits() -> None:
        raise SystemExit(3)

    @task
    def fine() -> int:
        return 7

    @flow(task_runner=small_dask_runner())
    def tries():
        return (
            raises_unpicklable.run_state(),
            raises_unloadable.run_state(),
            exits.run_state(),
            fine(),
        )

    unpicklable, unloadable, exited, after = tries()
    assert unpicklable.is_failed()
    error = unpicklable.data
    assert isinstance(error, RemoteTaskError)
    assert error.type_name == "HoldsALock" and error.message == "the real reason"
    assert (
        "in raises_unpicklable" in error.traceback
        and "HoldsALock: the real reason" in error.traceback
    )
    assert unloadable.is_failed() and isinstance(unloadable.data, RemoteTaskError)
    assert unloadable.data.type_name == "NeedsTwo"
    assert exited.is_crashed() and isinstance(exited.data, SystemExit)
    assert after == 7  # the worker lived on
    err = capfd.readouterr().err
    assert "CRITICAL" not in err and "Failed to deserialize" not in err
