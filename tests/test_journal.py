"""The run journal: format, writer, reader, crashes, concurrent writers, bounded memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actorflow import ActorSystem, StateType, flow, get_run_logger, journal, task
from actorflow.journal import (
    Damage,
    FlowRunCreated,
    FlowRunStateChanged,
    Frame,
    JournalError,
    JournalSettings,
    LogEmitted,
    RunNotFoundError,
    TaskRunCreated,
    TaskRunStateChanged,
    decode,
    encode,
    frame,
    iter_frames,
)

from .conftest import wait_until

SRC = Path(__file__).resolve().parent.parent / "src"

# -- the format ------------------------------------------------------------------------------

_ids = st.text("0123456789abcdef", min_size=1, max_size=32)
_text = st.text(max_size=40)
_time = st.floats(min_value=0, max_value=4e9, allow_nan=False)
_state_types = st.sampled_from(list(StateType))
_params = st.dictionaries(_text, _text, max_size=3)

records = st.one_of(
    st.builds(FlowRunCreated, _ids, _text, _text, st.none() | _ids, _text, _params, _time),
    st.builds(TaskRunCreated, _ids, _text, _text, _ids, _params, _time),
    st.builds(FlowRunStateChanged, _ids, _state_types, _text, st.none() | _text, _time),
    st.builds(TaskRunStateChanged, _ids, _ids, _state_types, _text, st.none() | _text, _time),
    st.builds(
        LogEmitted, _ids, st.none() | _ids, st.sampled_from([20, 30, 40]), _text, _text, _time
    ),
)


def _intact(items):
    return [decode(i.payload) for i in items if isinstance(i, Frame)]


@given(st.lists(records, max_size=20))
def test_records_written_in_frames_read_back_equal(written):
    data = b"".join(frame(encode(r)) for r in written)
    assert _intact(iter_frames(data)) == written
    assert not [i for i in iter_frames(data) if isinstance(i, Damage)]


@given(st.lists(records, min_size=1, max_size=20), st.data())
def test_a_torn_tail_is_reported_and_never_read_as_data(written, data):
    frames = [frame(encode(r)) for r in written]
    whole = b"".join(frames)
    cut = data.draw(st.integers(min_value=1, max_value=len(frames[-1]) - 1))
    items = list(iter_frames(whole[:-cut]))
    assert _intact(items) == written[:-1]
    assert isinstance(items[-1], Damage)
    assert items[-1].kind == "torn"


@given(st.lists(records, min_size=3, max_size=20), st.data())
def test_a_corrupt_record_in_the_middle_hides_none_after_it(written, data):
    frames = [frame(encode(r)) for r in written]
    bad = data.draw(st.integers(min_value=0, max_value=len(frames) - 2))
    position = data.draw(st.integers(min_value=0, max_value=len(frames[bad]) - 1))
    damaged = bytearray(frames[bad])
    damaged[position] ^= data.draw(st.integers(min_value=1, max_value=255))
    whole = b"".join([*frames[:bad], bytes(damaged), *frames[bad + 1 :]])
    items = list(iter_frames(whole))
    survivors = _intact(items)
    # Every record but the damaged one is read (a flipped byte can, rarely, only make the
    # damaged frame unreadable: it is then reported, never returned changed).
    assert survivors in (written, written[:bad] + written[bad + 1 :])
    if survivors != written:
        assert [i.kind for i in items if isinstance(i, Damage)] == ["corrupt"]


def _entry_and_record(kind, ids, text, state_type, at):
    """One entry as a shell posts it, and the record the writer must make of it."""
    from actorflow.journal import _entries as e

    flow_id, task_id = ids
    if kind == "flow":
        return (
            (e.FLOW_CREATED, flow_id, text, "f", None, "R", len, (1,), {"k": "v"}, at),
            FlowRunCreated(flow_id, text, "f", None, "R", {"obj": "1", "k": "'v'"}, at),
        )
    if kind == "task":
        return (
            (e.TASK_CREATED, task_id, text, "t", flow_id, len, (), {"x": 2}, at),
            TaskRunCreated(task_id, text, "t", flow_id, {"x": "2"}, at),
        )
    if kind == "task_state":
        return (
            (e.TASK_STATE, task_id, flow_id, state_type.value, text, None, at),
            TaskRunStateChanged(task_id, flow_id, state_type, text, None, at),
        )
    if kind == "flow_state":
        return (
            (e.FLOW_STATE, flow_id, state_type.value, text, text, at),
            FlowRunStateChanged(flow_id, state_type, text, text, at),
        )
    return (
        (e.LOG, flow_id, task_id, at, 20, "actorflow.task_runs", text, None),
        LogEmitted(flow_id, task_id, 20, "actorflow.task_runs", text, at),
    )


_entries = st.lists(
    st.tuples(
        st.sampled_from(["flow", "task", "task_state", "flow_state", "log"]),
        st.tuples(_ids, _ids),
        _text,
        _state_types,
        _time,
    ),
    max_size=30,
)


@given(_entries, st.lists(st.integers(min_value=1, max_value=5), max_size=4), st.data())
def test_entries_written_by_the_writer_read_back_as_their_records(entries, batches, data):
    import tempfile

    from actorflow.journal._writer import SegmentWriter

    pairs = [_entry_and_record(*entry) for entry in entries]
    with tempfile.TemporaryDirectory() as folder:
        writer = SegmentWriter(Path(folder), JournalSettings(), writer_id="w")
        rest = [entry for entry, _ in pairs]
        for size in batches:  # in a few batches of random sizes, then the rest
            writer.write(rest[:size])
            rest = rest[size:]
        writer.write(rest)
        writer.close()
        (segment,) = journal.list_segments(Path(folder))
        whole = segment.path.read_bytes()
    read = list(_read(whole))
    assert read[1:] == [record for _, record in pairs]  # after the segment's header
    if len(read) > 1:  # a torn tail: everything before it still reads back
        cut = data.draw(st.integers(min_value=1, max_value=len(frame(encode(read[-1]))) - 1))
        assert list(_read(whole[:-cut])) == read[:-1]


def _read(data):
    from actorflow.journal._frames import FILE_MAGIC

    return (decode(f.payload) for f in iter_frames(data, len(FILE_MAGIC)) if isinstance(f, Frame))


def test_a_file_that_is_not_a_journal_is_refused(tmp_path):
    path = tmp_path / "notes.afj"
    path.write_text("hello")
    with pytest.raises(journal.NotAJournalError, match="not an actorflow journal file"):
        list(journal.read_file(path))
    with pytest.raises(journal.NotAJournalError):
        journal.verify_files([path])


# -- writing runs ------------------------------------------------------------------------------


@task
def add(x: int, y: int = 1) -> int:
    get_run_logger().info("adding %s", x)
    return x + y


@task
def fails() -> None:
    msg = "bad input"
    raise ValueError(msg)


@flow
def child(n: int) -> int:
    return add(n)


@flow
def parent(n: int, label: str = "x") -> int:
    total = sum(add(i, y=2) for i in range(n))
    return total + child(5)


def test_a_run_its_task_runs_its_subflow_and_their_logs_are_in_the_journal(tmp_path):
    with ActorSystem(home=tmp_path) as system:
        run = system.launch(parent, 3, label="secret" * 100)
        assert run.result(timeout=30) == 3 + 6 + 6
        (top,) = [s for s in system.runs() if s.parent_flow_run_id is None]
    assert top.flow_run_id == run.id
    assert top.flow_run_name == run.name
    assert top.state is not None
    assert top.state.type is StateType.COMPLETED
    assert (top.task_runs, top.task_runs_completed) == (3, 3)
    detail = journal.run_detail(run.id, home=tmp_path)
    assert detail.parameters["n"] == "3"
    assert len(detail.parameters["label"]) < 300  # a repr, cut short
    assert detail.task_runner == "SequentialTaskRunner"
    assert [s.type for s in detail.history] == [
        StateType.PENDING,
        StateType.RUNNING,
        StateType.COMPLETED,
    ]
    assert [t.parameters for t in detail.task_runs] == [
        {"x": "0", "y": "2"},
        {"x": "1", "y": "2"},
        {"x": "2", "y": "2"},
    ]
    assert all(
        [s.type for s in t.history] == [StateType.PENDING, StateType.RUNNING, StateType.COMPLETED]
        for t in detail.task_runs
    )
    (sub,) = detail.subflows
    assert sub.summary.flow_name == "child"
    assert sub.summary.parent_flow_run_id == run.id
    assert [t.parameters for t in sub.task_runs] == [{"x": "5"}]
    messages = [r.message for r in detail.logs]
    assert messages[0] == f"Beginning flow run {run.name!r} for flow 'parent'..."
    assert "adding 1" in messages
    name = detail.task_runs[1].task_run_name
    # The runtime's own per-task lines, rebuilt from the state records, word for word.
    assert f"Submitting task run {name!r} to task runner..." in messages
    assert (
        f"Task run {name!r} finished in state Completed(message=None, type=COMPLETED)" in messages
    )
    assert messages[-1].startswith(f"Flow run {run.name!r} finished in state Completed(")
    user_line = next(r for r in detail.logs if r.message == "adding 1")
    assert user_line.task_run_id == detail.task_runs[1].task_run_id
    assert user_line.flow_run_id == run.id


def test_a_failed_run_records_the_failure_and_its_error_line(tmp_path):
    @flow
    def breaks() -> None:
        fails()

    with ActorSystem(home=tmp_path) as system:
        run = system.launch(breaks)
        run.wait(30)
        logs = run.logs()
    (summary,) = journal.runs(tmp_path)
    assert summary.state.type is StateType.FAILED
    assert summary.state.message == "Flow run encountered an exception: ValueError: bad input"
    finished = [r for r in logs if "finished in state Failed" in r.message and r.task_run_id]
    assert finished[0].level == 40  # ERROR, as on the console
    assert journal.runs(tmp_path, state="FAILED") == [summary]
    assert journal.runs(tmp_path, state="COMPLETED") == []
    assert journal.runs(tmp_path, flow="breaks") == [summary]
    with pytest.raises(ValueError, match="not a state type"):
        journal.runs(tmp_path, state="DONE")


def test_runs_are_found_by_id_prefix_or_name_and_ambiguity_is_an_error(tmp_path):
    with ActorSystem(home=tmp_path) as system:
        first = system.launch(child, 1)
        second = system.launch(child, 2)
        first.wait(30)
        second.wait(30)
    assert journal.find_run(first.name, tmp_path).flow_run_id == first.id
    assert journal.find_run(first.id[:12], tmp_path).flow_run_id == first.id
    with pytest.raises(RunNotFoundError, match="no flow run"):
        journal.find_run("nonexistent-name", tmp_path)
    common = os.path.commonprefix([first.id, second.id])
    if len(common) >= 4:  # (rare) the two ids share a prefix long enough to look up
        with pytest.raises(RunNotFoundError, match="matches 2 flow runs"):
            journal.find_run(common, tmp_path)


def test_a_flow_run_keeps_only_recent_task_runs_and_reads_the_rest_back(tmp_path):
    @flow
    def many() -> int:
        return sum(add(i) for i in range(30))

    settings = JournalSettings(recent_task_runs=5)
    with ActorSystem(home=tmp_path, journal=settings) as system:
        run = system.launch(many)
        assert run.result(timeout=30) == sum(range(1, 31))
        held = run._handle.task_run_snapshots(10)  # what the flow run kept in memory
        snapshots = run.task_runs()
    assert len(held) == 5
    assert len(snapshots) == 30
    assert [int(s.task_run_name.rsplit("-", 1)[1]) for s in snapshots] == list(range(30))
    assert all(s.state is not None and s.state.is_completed() for s in snapshots)


def test_the_journal_can_be_switched_off(tmp_path, monkeypatch):
    with ActorSystem(home=tmp_path, journal=False) as system:
        run = system.launch(child, 1)
        run.wait(30)
        with pytest.raises(JournalError, match="journal=False"):
            run.logs()
        with pytest.raises(JournalError, match="keeps no journal"):
            system.runs()
        assert system.journal_directory is None
    assert not (tmp_path / "journal").exists()
    monkeypatch.setenv("ACTORFLOW_JOURNAL", "0")
    with ActorSystem(home=tmp_path) as system:
        assert system.journal_directory is None
    with ActorSystem(home=tmp_path, journal=True) as system:  # asked for: on
        assert system.journal_directory == tmp_path / "journal"


def test_bad_settings_name_the_argument(tmp_path):
    with pytest.raises(ValueError, match=r"fsync='sometimes'"):
        JournalSettings(fsync="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="flush_interval=5"):
        JournalSettings(flush_interval=5)
    with pytest.raises(ValueError, match="flush_interval=nan"):
        JournalSettings(flush_interval=float("nan"))
    with pytest.raises(ValueError, match="recent_task_runs=-1"):
        JournalSettings(recent_task_runs=-1)
    with pytest.raises(TypeError, match=r"ActorSystem\(journal=...\)"):
        ActorSystem(journal="yes")  # type: ignore[arg-type]
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError):
        ActorSystem(home=blocker)  # a file where the folder should be


def test_fsync_always_writes_every_batch_through(tmp_path):
    with ActorSystem(home=tmp_path, journal=JournalSettings(fsync="always")) as system:
        run = system.launch(parent, 2)
        run.wait(30)
    (summary,) = [s for s in journal.runs(tmp_path) if s.parent_flow_run_id is None]
    assert summary.state.is_completed()
    assert all(report.ok for report in journal.verify(tmp_path))


@task
def add_slowly(x: int) -> int:
    time.sleep(0.002)  # the run lasts several of the writer's 0.1 s batches
    return x


def test_a_segment_full_of_records_is_followed_by_the_next_and_runs_span_them(tmp_path):
    @flow
    def long() -> int:
        return sum(add_slowly(i) for i in range(300))

    settings = JournalSettings(segment_bytes=8192)
    with ActorSystem(home=tmp_path, journal=settings) as system:
        run = system.launch(long)
        run.wait(30)
    segments = journal.list_segments(tmp_path / "journal")
    assert len(segments) > 3
    assert len({s.writer_id for s in segments}) == 1
    detail = journal.run_detail(run.id, tmp_path)
    assert len(detail.task_runs) == 300
    assert all(t.state is not None and t.state.is_completed() for t in detail.task_runs)


_SMALL_SEGMENTS = textwrap.dedent(
    """
    from actorflow import ActorSystem, flow, task
    from actorflow.journal import JournalSettings

    @task
    def one(i):
        return i

    @flow
    def burst():
        for i in range(100):
            one(i)

    with ActorSystem(journal=JournalSettings(segment_bytes=8192)) as system:
        for _ in range(4):
            system.launch(burst).wait(60)
    """
)


def test_prune_removes_old_segments_of_ended_processes_only(tmp_path):
    assert _python(_SMALL_SEGMENTS, tmp_path, stderr=subprocess.DEVNULL).wait(timeout=120) == 0
    ended = journal.list_segments(tmp_path / "journal")
    assert len(ended) > 2
    with ActorSystem(home=tmp_path) as system:  # a writer that runs: none of it goes
        system.launch(child, 1).wait(30)
        system.runs()
        (live,) = [s for s in journal.list_segments(tmp_path / "journal") if s not in ended]
        old = time.time() - 40 * 86400
        for segment in [*ended[:-1], live]:
            os.utime(segment.path, (old, old))
        result = journal.prune(tmp_path, older_than=30 * 86400)
        assert {p.name for p in result.removed} == {s.name for s in ended[:-1]}
        assert not ended[0].index_path.exists()
        result = journal.prune(tmp_path, max_bytes=0)
        assert [p.name for p in result.removed] == [ended[-1].name]
        assert journal.list_segments(tmp_path / "journal") == [live]
    with pytest.raises(ValueError, match="older_than=-1"):
        journal.prune(tmp_path, older_than=-1)


def test_a_size_cap_keeps_the_journal_under_it_as_it_writes(tmp_path):
    settings = JournalSettings(segment_bytes=8192, max_bytes=4 * 8192)
    with ActorSystem(home=tmp_path, journal=settings) as system:
        for _ in range(12):
            system.launch(parent, 40).wait(30)
        system.runs()
    sizes = [f.stat().st_size for f in (tmp_path / "journal").iterdir()]
    # The cap, plus the segment being written when it was applied (closed past its size).
    assert sum(sizes) <= 4 * 8192 + 2 * max(sizes)
    assert len(journal.list_segments(tmp_path / "journal")) < 12


# -- crashes and other processes -------------------------------------------------------------

_CRASHING = textwrap.dedent(
    """
    import sys, time
    from actorflow import flow, task

    @task
    def step(i):
        if i == 5:
            print("five", flush=True)
            time.sleep(60)
        return i

    @flow
    def doomed():
        for i in range(10):
            step(i)

    doomed()
    """
)


def _python(code: str, home: Path, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(SRC), "ACTORFLOW_HOME": str(home)}
    env.pop("ACTORFLOW_JOURNAL", None)
    return subprocess.Popen([sys.executable, "-c", code], env=env, **kwargs)


def test_a_killed_process_leaves_a_readable_journal_and_its_run_reads_as_crashed(tmp_path):
    process = _python(_CRASHING, tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert process.stdout.readline().strip() == b"five"

        def written() -> bool:  # (within the writer's 0.1 s interval)
            found = journal.runs(tmp_path)
            if not found:
                return False
            states = [t.state for t in journal.run_detail(found[0], tmp_path).task_runs]
            return len(states) == 6 and states[-1] is not None and states[-1].is_running()

        assert wait_until(written, timeout=20)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    (summary,) = journal.runs(tmp_path)
    assert summary.state is not None
    assert summary.state.type is StateType.CRASHED
    assert f"(pid {process.pid}) ended before the run did" in summary.state.message
    assert "last heard from at" in summary.state.message
    detail = journal.run_detail(summary, tmp_path)
    states = [t.state.type for t in detail.task_runs]
    assert states == [StateType.COMPLETED] * 5 + [StateType.RUNNING]
    assert all(report.ok for report in journal.verify(tmp_path))
    # A write cut short by the kill would leave a torn tail: it is reported, and skipped.
    segment = journal.list_segments(tmp_path / "journal")[0].path
    with segment.open("ab") as file:
        file.write(frame(encode(LogEmitted("f", None, 20, "x", "y", 1.0)))[:-3])
    (report,) = [r for r in journal.verify(tmp_path) if r.path == segment]
    assert report.torn > 0
    assert report.corrupt == 0
    assert len(journal.run_detail(summary, tmp_path).task_runs) == 6


_WRITER = textwrap.dedent(
    """
    import sys
    from actorflow import flow, task

    @task
    def one(i):
        return i

    @flow
    def burst(worker: int):
        for i in range(200):
            one(i)

    for _ in range(5):
        burst(int(sys.argv[1]))
    """
)


def test_four_processes_write_at_once_and_nothing_is_lost_or_mixed(tmp_path):
    processes = [
        _python(_WRITER.replace("sys.argv[1]", str(i)), tmp_path, stderr=subprocess.DEVNULL)
        for i in range(4)
    ]
    for process in processes:
        assert process.wait(timeout=120) == 0
    found = journal.runs(tmp_path)
    assert len(found) == 20
    assert all(s.state.is_completed() and s.task_runs_completed == 200 for s in found)
    assert len({s.flow_run_id for s in found}) == 20
    assert len(journal.list_segments(tmp_path / "journal")) == 4  # one writer each
    assert all(report.ok for report in journal.verify(tmp_path))
    records = list(journal.read(tmp_path))
    assert sum(isinstance(r, TaskRunCreated) for r in records) == 4000
    assert sum(isinstance(r, TaskRunStateChanged) for r in records) == 8000


def test_a_long_flow_run_stays_in_flat_memory_with_the_journal_on(tmp_path):
    import psutil

    process = psutil.Process()

    @task
    def trivial() -> None:
        return None

    @flow
    def long_running(n: int) -> int:
        for _ in range(10_000):  # warm up: caches, pools, the first segment
            trivial()
        before = process.memory_info().rss
        for _ in range(n):
            trivial()
        return process.memory_info().rss - before

    with ActorSystem(home=tmp_path) as system:
        grown = system.launch(long_running, 100_000).result(timeout=100)
    # One in-memory record per task run would be ~60 MB here.
    assert grown < 15 * 1024 * 1024, f"resident memory grew {grown / 2**20:.1f} MiB"


def test_the_run_history_example_runs():
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, str(root / "examples" / "run_history.py")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].endswith("flow 'survey', Completed, 4/5 task runs completed")
    assert "  measure-" in lines[4] and ": Failed {'sample': '3'}" in lines[4]
    assert "  log: measuring sample 4" in lines


# -- edges found in review -------------------------------------------------------------------


def test_a_line_logged_after_its_run_ended_is_still_in_the_runs_logs(tmp_path):
    @task(timeout_seconds=0.2)
    def overstays() -> None:
        time.sleep(0.6)  # abandoned at its deadline; it logs once it wakes up
        get_run_logger().info("late line")

    @flow
    def abandons() -> None:
        overstays(return_state=True)

    with ActorSystem(home=tmp_path) as system:
        run = system.launch(abandons)
        run.wait(30)
        deadline = time.monotonic() + 10
        while "late line" not in [r.message for r in run.logs()]:
            assert time.monotonic() < deadline, "the late line never reached the run's logs"
            time.sleep(0.05)


def test_a_size_cap_never_removes_a_run_still_going(tmp_path):
    settings = JournalSettings(segment_bytes=8192, max_bytes=16384)

    @flow
    def long() -> bool:
        for i in range(400):  # ~1 s: many segments started, the cap applied each time
            add_slowly(i)
        name = get_run_logger().extra["flow_run_name"]
        return name in [s.flow_run_name for s in journal.runs(tmp_path)]

    with ActorSystem(home=tmp_path, journal=settings) as system:
        assert system.launch(long).result(timeout=60), "the run still going was pruned"
    # Many segments were started (and the cap applied each time); the ended run's went.
    assert max(s.number for s in journal.list_segments(tmp_path / "journal")) > 2


def test_task_runs_keep_submission_order_with_the_journal_on(tmp_path):
    from actorflow.task_runners import ConcurrentTaskRunner

    @task
    def sleeps(seconds: float) -> float:
        time.sleep(seconds)
        return seconds

    @flow(task_runner=ConcurrentTaskRunner(max_workers=2))
    def slow_then_fast() -> None:
        slow = sleeps.submit(0.3)
        sleeps.submit(0.0).wait()
        slow.wait()

    with ActorSystem(home=tmp_path) as system:
        run = system.launch(slow_then_fast)
        run.wait(30)
        names = [s.task_run_name for s in run.task_runs()]
    assert [int(n.rsplit("-", 1)[1]) for n in names] == [0, 1]


def test_odd_parameters_and_log_arguments_are_recorded_without_failing_the_run(tmp_path):
    import math

    @task
    def takes(value: object, note: str) -> None:
        get_run_logger().info("user %(name)s", {"name": "bob"})

    @flow
    def odd() -> None:
        takes(math.factorial(3000), "x" * 1000)  # an int too long to print; a long string
        takes({1, "a"}, "s")

    with ActorSystem(home=tmp_path) as system:
        run = system.launch(odd)
        assert run.wait(30).is_completed()
        logs = [r.message for r in run.logs()]
    first, second = journal.run_detail(run.id, tmp_path).task_runs
    assert first.parameters["value"].startswith("<int of ")
    assert first.parameters["note"].endswith("...") and len(first.parameters["note"]) < 210
    assert second.parameters["value"] in ("{1, 'a'}", "{'a', 1}")
    assert logs.count("user bob") == 2


_EXIT_WITHOUT_SHUTDOWN = textwrap.dedent(
    """
    from actorflow import ActorSystem, flow

    @flow
    def quick():
        return 1

    system = ActorSystem()  # never shut down: the interpreter's exit writes the journal
    print(system.launch(quick).result(30))
    """
)


def test_a_system_never_shut_down_still_writes_its_journal_at_exit(tmp_path):
    for _ in range(3):
        process = _python(_EXIT_WITHOUT_SHUTDOWN, tmp_path, stderr=subprocess.DEVNULL)
        assert process.wait(timeout=60) == 0
    found = journal.runs(tmp_path)
    assert len(found) == 3
    assert all(s.state is not None and s.state.is_completed() for s in found)


_FORKS = textwrap.dedent(
    """
    import os
    from actorflow import flow

    @flow
    def where(label: str) -> str:
        return label

    where("parent")
    pid = os.fork()
    if pid == 0:
        where("child")
        raise SystemExit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_a_forked_child_writes_its_own_journal(tmp_path):
    assert _python(_FORKS, tmp_path, stderr=subprocess.DEVNULL).wait(timeout=60) == 0
    found = journal.runs(tmp_path)
    assert len(found) == 2
    assert all(s.state is not None and s.state.is_completed() for s in found)
    assert len({s.segment.split("-")[2] for s in found}) == 2  # two writers


def test_a_full_disk_mid_batch_leaves_later_runs_readable(tmp_path, monkeypatch):
    from actorflow.journal import _writer

    real_write = os.write
    failures = iter([True])

    def write_half_then_fail(fd, data):
        if next(failures, False):
            real_write(fd, bytes(data[: len(data) // 2]))
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    with ActorSystem(home=tmp_path) as system:
        system.launch(child, 1).wait(30)
        system.runs()  # written
        monkeypatch.setattr(_writer.os, "write", write_half_then_fail)
        system.launch(child, 2).wait(30)  # its batch fails half-way: lost, and said so
        system.runs()
        later = system.launch(parent, 2)
        later.wait(30)
        system.runs()  # written
        detail = journal.run_detail(later.id, tmp_path)
    assert [s.type for s in detail.history][-1] is StateType.COMPLETED
    assert len(detail.task_runs) == 2
    assert all(report.ok for report in journal.verify(tmp_path))
