"""actorflow's pytest plugin, registered through the `pytest11` entry point.

Fixtures:

- `actor_system`: a fresh `ActorSystem` for the test, its journal in a temporary home;
  shut down after the test, which then fails, with a readable list, if runs had not ended
  or threads the system started are still alive.
- `manual_clock`: a `ManualClock` (`actorflow.testing.ManualClock`); ask for both and the
  `actor_system` runs on it.
- `task_runner`: a fresh task runner of the kind the test runs under (below); sequential
  by default.

Option `--actorflow-runner=sequential,concurrent,dask` (any of them, comma-separated):
every test runs once per runner named, and every flow run it starts (subflows included)
uses that runner instead of its flow's own.

Unless `ACTORFLOW_HOME` is set, the session's run journal goes to a temporary folder, not
to `~/.actorflow`.

A project's own fixtures of the same names take precedence over these.

pytest loads this module in every session of an environment where actorflow is installed,
so it imports nothing of actorflow until a fixture is used (hence the imports inside them).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from actorflow.clocks import ManualClock
    from actorflow.system import ActorSystem

__all__ = [
    "actor_system",
    "manual_clock",
    "pytest_addoption",
    "pytest_configure",
    "pytest_generate_tests",
    "pytest_unconfigure",
    "task_runner",
]

_OPTION = "--actorflow-runner"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        _OPTION,
        default=None,
        metavar="KINDS",
        help=(
            "run every test once per task runner named (sequential, concurrent, dask; "
            "comma-separated), with every flow run it starts on that runner"
        ),
    )


def _kinds(config: pytest.Config) -> list[str]:
    value = config.getoption(_OPTION)
    if not value:
        return []
    kinds = [k.strip() for k in str(value).split(",") if k.strip()]
    unknown = [k for k in kinds if k not in ("sequential", "concurrent", "dask")]
    if unknown or not kinds:
        msg = f"{_OPTION}={value!r}: choose among sequential, concurrent, dask (comma-separated)"
        raise pytest.UsageError(msg)
    return kinds


def pytest_configure(config: pytest.Config) -> None:
    _kinds(config)  # a bad option fails at once, not per test
    if "ACTORFLOW_HOME" not in os.environ:
        home = tempfile.mkdtemp(prefix="actorflow-pytest-home-")
        os.environ["ACTORFLOW_HOME"] = home
        config.stash[_HOME] = home


def pytest_unconfigure(config: pytest.Config) -> None:
    home = config.stash.get(_HOME, None)
    if home is not None:
        os.environ.pop("ACTORFLOW_HOME", None)
        shutil.rmtree(home, ignore_errors=True)


_HOME = pytest.StashKey[str]()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    kinds = _kinds(metafunc.config)
    if kinds and "_actorflow_runner_kind" in metafunc.fixturenames:
        metafunc.parametrize("_actorflow_runner_kind", kinds, indirect=True, ids=kinds)


@pytest.fixture(autouse=True)
def _actorflow_runner_kind(request: pytest.FixtureRequest) -> Iterator[str | None]:
    kind: str | None = getattr(request, "param", None)
    if kind is None:
        yield None
        return
    from actorflow.testing._runners import make_task_runner, use_task_runner  # noqa: PLC0415

    with use_task_runner(make_task_runner(kind)):
        yield kind


@pytest.fixture
def task_runner(_actorflow_runner_kind: str | None) -> Any:
    """A fresh task runner of the kind this test runs under (`--actorflow-runner`);
    a `SequentialTaskRunner` without the option."""
    from actorflow.testing._runners import make_task_runner  # noqa: PLC0415

    return make_task_runner(_actorflow_runner_kind or "sequential")


SHUTDOWN_TIMEOUT = 10.0
"""How long `actor_system`'s shutdown waits for runs left going at the end of a test."""


@pytest.fixture
def manual_clock() -> ManualClock:
    """A clock that moves only when the test says (`advance`, `advance_to_next`)."""
    from actorflow.clocks import ManualClock  # noqa: PLC0415  (see the module docs)

    return ManualClock()


@pytest.fixture
def actor_system(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ActorSystem]:
    """A fresh, isolated `ActorSystem` for one test (on `manual_clock` if the test asks for
    that fixture too); its journal goes to a temporary home."""
    from actorflow.system import ActorSystem  # noqa: PLC0415  (see the module docs)

    clock = (
        request.getfixturevalue("manual_clock") if "manual_clock" in request.fixturenames else None
    )
    before = set(threading.enumerate())
    system = ActorSystem(clock=clock, home=tmp_path / "actorflow-home")
    try:
        yield system
    finally:
        going = [
            f"{ref.name!r} of flow {ref.flow_name!r} ({ref.state.name if ref.state else 'not started'})"
            for ref in _runs_going(system)
        ]
        late = system.shutdown(timeout=SHUTDOWN_TIMEOUT)
        left = _threads_left(before)
    problems = []
    if going:
        problems.append(
            "flow runs still going when the test ended (cancelled by the shutdown): "
            + ", ".join(going)
        )
    if late:
        problems.append(
            f"flow runs that had not stopped {SHUTDOWN_TIMEOUT:g} s after the shutdown: "
            + ", ".join(repr(ref.name) for ref in late)
        )
    if left:
        problems.append("threads left running: " + ", ".join(t.name for t in left))
    if problems:
        pytest.fail("actor_system: " + "; ".join(problems), pytrace=False)


def _runs_going(system: ActorSystem) -> list[Any]:
    from actorflow.actors.handle import FlowRunRef  # noqa: PLC0415  (see the module docs)

    return [
        FlowRunRef(handle) for handle in list(system.runtime.runs.values()) if not handle.done()
    ]


def _threads_left(before: set[threading.Thread]) -> list[threading.Thread]:
    """Threads actorflow started during the test that are still alive a moment after
    the shutdown (a thread that is ending gets a few seconds to do so)."""
    deadline = time.monotonic() + 5.0
    while True:
        left = [
            t
            for t in threading.enumerate()
            if t not in before and t.name.startswith("actorflow-") and t.is_alive()
        ]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.01)
