"""Ctrl-C: the exit path says what it waits for, and a second Ctrl-C exits at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"

SCRIPT = textwrap.dedent(
    """
    import time
    from actorflow import flow, task

    @task
    def slow():
        print("ready", flush=True)  # the run is under way
        time.sleep(20)  # user code that cannot notice a cancel

    @flow
    def main():
        slow()

    main()
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_says_what_it_waits_for_and_a_second_one_exits_at_once():
    """Regression: Ctrl-C on the sequential runner waited, silently, up to 30 s in the
    interpreter's exit for the running task."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        stderr_lines: list[str] = []
        assert process.stderr is not None
        while not any("press Ctrl-C again" in line for line in stderr_lines):
            assert time.monotonic() < deadline, stderr_lines
            stderr_lines.append(process.stderr.readline())
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        assert time.monotonic() - started < 5  # not the 20 s task nor the 30 s shutdown
        rest = process.stderr.read()
        assert "exiting without waiting" in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
