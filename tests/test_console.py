"""The default console output, checked in fresh interpreters (as a user runs a script)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STAMP = r"\d\d:\d\d:\d\d\.\d{3} \| "
SLUG = r"[a-z]+-[a-z]+"
HEX = r"[0-9a-f]{8}"


def run_script(code_or_path: str | Path, *, timeout: float = 120) -> list[str]:
    args = (
        [sys.executable, str(code_or_path)]
        if isinstance(code_or_path, Path)
        else [
            sys.executable,
            "-c",
            code_or_path,
        ]
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout
    return done.stdout.splitlines()


def assert_in_order(lines: list[str], patterns: list[str]) -> None:
    """Each pattern matches a whole line, in this order (other lines may come between)."""
    position = 0
    for pattern in patterns:
        regex = re.compile(pattern)
        for i in range(position, len(lines)):
            if regex.fullmatch(lines[i]):
                position = i + 1
                break
        else:
            raise AssertionError(
                f"no line matching {pattern!r} after line {position}:\n" + "\n".join(lines)
            )


@pytest.mark.dask
def test_the_reference_example_prints_the_reference_sequence():
    lines = run_script(ROOT / "examples" / "multiple_task_runners.py", timeout=180)
    assert_in_order(
        lines,
        [
            STAMP + rf"Beginning flow run '({SLUG})' for flow 'my-flow'\.\.\.",
            STAMP + r"Starting task runner `SequentialTaskRunner`\.\.\.",
            STAMP + rf"Submitting task run 'hello_local-({HEX})-0' to task runner\.\.\.",
            r"Hello!",
            STAMP
            + rf"Task run 'hello_local-{HEX}-0' finished in state Completed\(message=None, type=COMPLETED\)",
            STAMP + rf"Beginning subflow run '{SLUG}' for flow 'my-subflow'\.\.\.",
            STAMP + r"Starting task runner `DaskTaskRunner`\.\.\.",
            STAMP + r"Creating a new Dask cluster with `distributed\.deploy\.local\.LocalCluster`",
            STAMP + r"The Dask dashboard is available at http://127\.0\.0\.1:\d+/status",
            STAMP + rf"Submitting task run 'hello_dask-{HEX}-0' to task runner\.\.\.",
            STAMP
            + rf"Task run 'hello_dask-{HEX}-0' finished in state Completed\(message=None, type=COMPLETED\)",
            STAMP + r"Shutting down task runner `DaskTaskRunner`\.\.\.",
            STAMP
            + rf"Subflow run '{SLUG}' finished in state Completed\(message='All states completed\.', type=COMPLETED\)",
            STAMP + rf"Submitting task run 'hello_local-{HEX}-1' to task runner\.\.\.",
            r"Hello!",
            STAMP
            + rf"Task run 'hello_local-{HEX}-1' finished in state Completed\(message=None, type=COMPLETED\)",
            STAMP + r"Shutting down task runner `SequentialTaskRunner`\.\.\.",
            STAMP
            + rf"Flow run '{SLUG}' finished in state Completed\(message='All states completed\.', type=COMPLETED\)",
        ],
    )
    assert "Hello from Dask!" in lines
    # The same task definition keeps its key; the flow run name is one slug throughout.
    text = "\n".join(lines)
    keys = set(re.findall(rf"hello_local-({HEX})-\d", text))
    assert len(keys) == 1
    first = re.search(rf"Beginning flow run '({SLUG})'", text)
    last = re.search(rf"Flow run '({SLUG})' finished", text)
    assert first and last and first.group(1) == last.group(1)
    assert "Traceback" not in text
    assert "CommClosedError" not in text


def test_console_format_without_user_logging():
    lines = run_script(
        "from actorflow import flow, task\n"
        "@task\n"
        "def t(): raise ValueError('bad')\n"
        "@flow\n"
        "def f():\n"
        "    t(return_state=True)\n"
        "f(return_state=True)\n"
    )
    assert all(re.match(STAMP, line) for line in lines), lines
    assert_in_order(
        lines,
        [
            STAMP + r"Beginning flow run '[a-z]+-[a-z]+' for flow 'f'\.\.\.",
            STAMP
            + rf"Task run 't-{HEX}-0' finished in state Failed\(message='Task run encountered an exception: ValueError: bad', type=FAILED\)",
            STAMP
            + r"Flow run '[a-z]+-[a-z]+' finished in state Failed\(message='1/1 states failed\.', type=FAILED\)",
        ],
    )


def test_user_logging_configuration_is_respected():
    lines = run_script(
        "import logging, sys\n"
        "logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format='USER %(levelname)s %(message)s')\n"
        "from actorflow import flow, task, get_run_logger\n"
        "@flow\n"
        "def f():\n"
        "    get_run_logger().warning('shown')\n"
        "    get_run_logger().info('hidden')\n"
        "f()\n"
    )
    assert lines == ["USER WARNING shown"]


def test_filters_and_handlers_added_to_actorflow_loggers_after_set_up_apply():
    # The console handler writes task-run lines directly only while nothing else could see
    # or change them; a filter or handler added later takes effect at once.
    lines = run_script(
        "import logging, sys\n"
        "from actorflow import flow, task\n"
        "@task\n"
        "def t(): return 1\n"
        "@flow\n"
        "def f(): t()\n"
        "f()\n"
        "runs = logging.getLogger('actorflow.task_runs')\n"
        "runs.addFilter(lambda record: 'finished' not in record.getMessage())\n"
        "f()\n"
        "runs.filters.clear()\n"
        "extra = logging.StreamHandler(sys.stdout)\n"
        "extra.setFormatter(logging.Formatter('EXTRA %(name)s %(message)s'))\n"
        "logging.getLogger('actorflow').addHandler(extra)\n"
        "f()\n"
    )
    finished = [line for line in lines if re.search(r"Task run 't-\w+-0' finished", line)]
    assert len(finished) == 3, lines  # runs 1 and 3 on the console, run 3 also on EXTRA
    assert all(re.match(STAMP, line) for line in finished[:2]), finished
    assert re.match(
        r"EXTRA actorflow\.task_runs Task run 't-\w+-0' finished in state Completed", finished[2]
    )


def test_import_does_not_load_distributed_and_is_fast():
    # CPU time, not wall time: what the import itself costs, however busy the machine
    # (~0.04 s; importing distributed as well costs ~0.4 s).
    code = (
        "import sys, time\n"
        "import pykka, msgpack\n"
        "t = time.process_time()\n"
        "import actorflow, actorflow.task_runners\n"
        "elapsed = time.process_time() - t\n"
        "assert 'distributed' not in sys.modules and 'dask' not in sys.modules, 'dask imported'\n"
        "print(elapsed)\n"
    )
    elapsed = min(float(run_script(code)[-1]) for _ in range(3))
    assert elapsed < 0.1, f"import actorflow took {elapsed:.3f}s of CPU beyond pykka and msgpack"


def test_the_futures_example_runs():
    lines = run_script(ROOT / "examples" / "futures_and_mapping.py")
    assert "12 items" in lines
    assert sum(line.startswith("done: fetch-") for line in lines) == 5


def test_the_retries_example_runs():
    lines = run_script(ROOT / "examples" / "retries_and_timeouts.py")
    assert "downloaded after 3 attempt(s)" in lines
    assert "TimedOut(message='Task run exceeded timeout of 0.5 second(s)', type=FAILED)" in lines
    assert "the flow went on" in lines
    assert any(" - retry 1/3 in 0.1 second(s)" in line for line in lines)


def test_held_console_lines_go_out_in_one_write_before_the_deferred_actions(monkeypatch):
    import io
    import logging

    from actorflow._logging import ConsoleFormatter, _StderrHandler, after_console, console_held

    class Counting(io.StringIO):
        writes = 0

        def write(self, text: str) -> int:
            Counting.writes += 1
            return super().write(text)

    stream = Counting()
    monkeypatch.setattr(sys, "stderr", stream)
    handler = _StderrHandler()
    handler.setFormatter(ConsoleFormatter())

    def log(text: str) -> None:
        handler.handle(logging.makeLogRecord({"msg": text, "levelno": logging.INFO}))

    seen_by_actions: list[str] = []

    def action(name: str) -> None:  # e.g. a future resolved: what it sees is on the console
        seen_by_actions.append(f"{name}: {stream.getvalue().count(chr(10))} lines")

    with console_held():
        log("first")
        after_console(action, "after first")
        with console_held():  # nested: the outer block writes
            log("second")
        assert stream.getvalue() == ""
        assert seen_by_actions == []
    assert Counting.writes == 1
    assert seen_by_actions == ["after first: 2 lines"]
    lines = [line.split(" | ", 1)[1] for line in stream.getvalue().splitlines()]
    assert lines == ["first", "second"]
    log("third")  # outside a block: written at once, and an action runs at once
    assert stream.getvalue().endswith("| third\n")
    after_console(action, "outside")
    assert seen_by_actions[-1] == "outside: 3 lines"


def test_a_failing_deferred_action_does_not_stop_the_others(monkeypatch):
    import io
    import logging

    from actorflow._logging import after_console, console_held, logger

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    records: list[logging.LogRecord] = []
    catcher = logging.Handler()
    catcher.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(catcher)
    ran: list[int] = []

    def broken() -> None:
        raise RuntimeError("boom")

    try:
        with console_held():
            after_console(broken)
            after_console(ran.append, 1)
    finally:
        logger.removeHandler(catcher)
    assert ran == [1]
    (record,) = records
    assert "A deferred step" in record.getMessage()
    assert record.exc_info is not None
    assert "boom" in str(record.exc_info[1])
