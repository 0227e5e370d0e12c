"""actorflow's pytest plugin, registered through the `pytest11` entry point.

Fixtures:

- `actor_system`: a fresh `ActorSystem` for the test, its journal in a temporary home;
  shut down after the test, which then fails, with a readable list, if runs had not ended
  or threads the system started are still alive.
- `manual_clock`: a `ManualClock` (`actorflow.testing.ManualClock`); ask for both and the
  `actor_system` runs on it.

A project's own fixtures of the same names take precedence over these.

pytest loads this module in every session of an environment where actorflow is installed,
so it imports nothing of actorflow until a fixture is used (hence the imports inside them).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from actorflow.clocks import ManualClock
    from actorflow.system import ActorSystem

__all__ = ["actor_system", "manual_clock"]

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
