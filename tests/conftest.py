from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import time
from typing import TYPE_CHECKING

# Every run's journal goes to a temporary home, never to the user's ~/.actorflow (set
# before actorflow is imported; subprocesses started by tests inherit it).
if "ACTORFLOW_TEST_KEEP_HOME" not in os.environ:
    os.environ["ACTORFLOW_HOME"] = tempfile.mkdtemp(prefix="actorflow-test-home-")
    atexit.register(shutil.rmtree, os.environ["ACTORFLOW_HOME"], ignore_errors=True)

import pytest
from hypothesis import HealthCheck, settings

from actorflow.task_runners import ConcurrentTaskRunner, DaskTaskRunner, SequentialTaskRunner

if TYPE_CHECKING:
    from collections.abc import Callable

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile("patience", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Threads a run starts and must stop when it ends (the shared actor pool lives on).
_RUN_THREAD_PREFIXES = (
    "actorflow-flow-run",
    "actorflow-runner",
    "actorflow-flow-body",
    "actorflow-worker",
    "actorflow-dask-reporter",
)


def run_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(_RUN_THREAD_PREFIXES)]


def wait_until(predicate: Callable[[], object], timeout: float = 20.0) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds have passed; its last value.

    The one way a test waits for something to happen on another thread (never a fixed
    sleep): `assert wait_until(lambda: ...)`. The deadline only stops a hang; a passing
    test never waits for it, so it can be generous.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return bool(predicate())
        time.sleep(0.002)
    return True


@pytest.fixture(autouse=True)
def _no_run_threads_left_behind():
    """Every test: once it returns, no flow-run, runner or body thread is alive."""
    yield
    wait_until(lambda: not run_threads(), timeout=5.0)
    leftover = run_threads()
    assert not leftover, f"threads left behind by the test: {leftover}"


def small_dask_runner() -> DaskTaskRunner:
    """A real process-based LocalCluster, as small as it gets."""
    return DaskTaskRunner(
        cluster_kwargs={"n_workers": 1, "threads_per_worker": 2, "processes": True}
    )


RUNNERS = [
    pytest.param(SequentialTaskRunner, id="sequential"),
    pytest.param(lambda: ConcurrentTaskRunner(max_workers=4), id="concurrent"),
    pytest.param(small_dask_runner, id="dask", marks=pytest.mark.dask),
]


@pytest.fixture(params=RUNNERS)
def task_runner(request):
    """A fresh task runner of each kind."""
    return request.param()


IN_PROCESS_RUNNERS = RUNNERS[:2]


@pytest.fixture(params=IN_PROCESS_RUNNERS)
def local_runner(request):
    """A fresh task runner of each in-process kind (threads shared with the test)."""
    return request.param()
