"""Per-task overhead, measured against baselines taken in the same run.

    python -m bench             # the full table
    python -m bench --quick     # small N and few repeats, for a smoke check
    python -m bench --only sequential,memory
    python -m bench --only journal   # the run journal's cost: on vs off, fsync policies

Every time figure is the median over repeats of the time per task (or per call), so the
ratios between rows of one run can be compared even on a noisy machine; absolute times
cannot. actorflow's default console output goes to a temporary file while it is measured,
and its run journal (on by default, as for users) to a temporary home.
Where Prefect is installed (it is not a dependency), the same scenarios run on it too.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import importlib.util
import os
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@dataclass
class Row:
    scenario: str
    n: int
    per_task_us: float
    note: str = ""
    unit: str = "µs/task"
    ask_ratio: float | None = None


ASK_SAMPLES: list[float] = []
"""Every Pykka ask measurement of this run (µs per round trip)."""


def median_per_item(run: Callable[[int], float], n: int, repeats: int) -> float:
    """`run(n)` returns elapsed seconds for n items; the median of µs per item."""
    run(min(n, 200))  # warm up
    return statistics.median(run(n) / n * 1e6 for _ in range(repeats))


def paired(
    raw: Callable[[int], float], ours: Callable[[int], float], n: int, repeats: int
) -> tuple[float, float, float]:
    """Median µs per item of each, measured alternately, and the median of the ratios
    ours/raw of each pair (a slow spell of the machine then hits both sides of a ratio)."""
    raw(min(n, 200))  # warm up
    ours(min(n, 200))
    raw_us, ours_us, ratios = [], [], []
    for _ in range(repeats):
        r = raw(n) / n * 1e6
        o = ours(n) / n * 1e6
        raw_us.append(r)
        ours_us.append(o)
        ratios.append(o / r)
    return statistics.median(raw_us), statistics.median(ours_us), statistics.median(ratios)


def measured(
    scenario: str, run: Callable[[int], float], n: int, repeats: int, note: str = ""
) -> Row:
    """Median µs per item, and the median ratio to a Pykka ask measured right before each
    repeat: the wake-up cost of this VM drifts (40-150 µs per ask seen here), and a ratio
    taken side by side survives the drift."""
    run(min(n, 200))  # warm up
    per_item, ratios = [], []
    for _ in range(repeats):
        ask = pykka_ask(2_000) / 2_000 * 1e6
        ASK_SAMPLES.append(ask)
        value = run(n) / n * 1e6
        per_item.append(value)
        ratios.append(value / ask)
    return Row(scenario, n, statistics.median(per_item), note, ask_ratio=statistics.median(ratios))


@contextlib.contextmanager
def console_to_file() -> Iterator[str]:
    """actorflow's default console output, sent to a temporary file instead of the terminal."""
    from actorflow._logging import ensure_console_logging

    ensure_console_logging()
    # Line-buffered, as Python makes stderr when it is redirected to a file (`2> file`).
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False, buffering=1) as log:
        # The file itself, not tempfile's wrapper, whose attribute lookups cost per line.
        saved, sys.stderr = sys.stderr, log.file
        try:
            yield log.name
        finally:
            sys.stderr = saved


# -- baselines -----------------------------------------------------------------------------


def plain_call(n: int) -> float:
    def trivial() -> int:
        return 1

    start = time.perf_counter()
    for _ in range(n):
        trivial()
    return time.perf_counter() - start


def pykka_ask(n: int) -> float:
    import pykka

    class Echo(pykka.ThreadingActor):
        def on_receive(self, message: object) -> object:
            return message

    ref = Echo.start()
    try:
        start = time.perf_counter()
        for _ in range(n):
            ref.ask(1)
        return time.perf_counter() - start
    finally:
        ref.stop()


# -- actorflow -----------------------------------------------------------------------------


def _trivial_task() -> Any:
    from actorflow import task

    @task
    def trivial(x: int = 0) -> int:
        return x

    return trivial


def af_sequential_calls(n: int) -> float:
    from actorflow import flow

    trivial = _trivial_task()

    @flow
    def calls_trivial(count: int) -> float:
        start = time.perf_counter()
        for _ in range(count):
            trivial()
        return time.perf_counter() - start

    return calls_trivial(n)


def af_submit_all(task_runner: Any, n: int) -> float:
    """A flow on `task_runner` submits n trivial tasks, then takes every result."""
    from actorflow import flow

    trivial = _trivial_task()

    @flow(task_runner=task_runner)
    def submits(count: int) -> float:
        start = time.perf_counter()
        futures = [trivial.submit(i) for i in range(count)]
        for future in futures:
            future.result()
        return time.perf_counter() - start

    return submits(n)


def af_concurrent_submit(n: int) -> float:
    from actorflow.task_runners import ConcurrentTaskRunner

    return af_submit_all(ConcurrentTaskRunner, n)


def af_concurrent_map(n: int) -> float:
    from actorflow import flow
    from actorflow.task_runners import ConcurrentTaskRunner

    trivial = _trivial_task()

    @flow(task_runner=ConcurrentTaskRunner)
    def maps(count: int) -> float:
        start = time.perf_counter()
        for future in trivial.map(range(count)):
            future.result()
        return time.perf_counter() - start

    return maps(n)


def af_chain(n: int) -> float:
    from actorflow import flow

    trivial = _trivial_task()

    @flow
    def chain(count: int) -> float:
        start = time.perf_counter()
        future = trivial.submit(0)
        for _ in range(count - 1):
            future = trivial.submit(future)
        future.result()
        return time.perf_counter() - start

    return chain(n)


def af_subflows(n: int) -> float:
    from actorflow import flow

    trivial = _trivial_task()

    @flow
    def child() -> int:
        return trivial()

    @flow
    def parent(count: int) -> float:
        start = time.perf_counter()
        for _ in range(count):
            child()
        return time.perf_counter() - start

    return parent(n)


def af_memory_per_task(n: int) -> float:
    """Bytes retained per finished task run (results aside) while the flow run is alive."""
    from actorflow import flow

    trivial = _trivial_task()
    measured: dict[str, float] = {}

    @flow
    def many(count: int) -> None:
        trivial()  # load everything first
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(count):
            trivial()
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        measured["retained"] = (after - before) / count
        measured["peak"] = peak

    many(n)
    return measured["retained"]


# -- the run journal ---------------------------------------------------------------------------


def journal_rows(n: int, repeats: int) -> list[Row]:
    """Sequential per-task cost in an `ActorSystem` with the journal off, on (default
    durability) and with `fsync="always"`, measured in turn within each repeat; the
    ratios are the medians of each repeat's ratio to "off"."""
    from actorflow import ActorSystem, flow
    from actorflow.journal import JournalSettings

    trivial = _trivial_task()

    @flow
    def calls(count: int) -> float:
        start = time.perf_counter()
        for _ in range(count):
            trivial()
        return time.perf_counter() - start

    def per_task(journal: Any, count: int) -> float:
        with ActorSystem(journal=journal) as system:
            elapsed: float = system.launch(calls, count).result(timeout=600)
        return elapsed / count * 1e6

    settings = {
        "off": False,
        "on (default: fsync at each flow run's end)": True,
        "on, fsync='always'": JournalSettings(fsync="always"),
    }
    for journal in settings.values():  # warm up
        per_task(journal, min(n, 200))
    figures: dict[str, list[float]] = {name: [] for name in settings}
    ratios: dict[str, list[float]] = {name: [] for name in settings}
    for _ in range(repeats):
        this = {name: per_task(journal, n) for name, journal in settings.items()}
        for name, value in this.items():
            figures[name].append(value)
            ratios[name].append(value / this["off"])
    return [
        Row(
            f"sequential, journal {name}",
            n,
            statistics.median(figures[name]),
            f"{statistics.median(ratios[name]):.2f}x journal off",
        )
        for name in settings
    ]


# -- Dask ----------------------------------------------------------------------------------


def dask_rows(quick: bool, repeats: int) -> list[Row]:
    """actorflow on Dask against raw `distributed`, on the same 2-worker LocalCluster."""
    from distributed import Client, LocalCluster

    from actorflow import flow
    from actorflow.task_runners import DaskTaskRunner

    n = 200 if quick else 1_000
    rows = []
    with LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    ) as cluster:
        address = cluster.scheduler_address
        raw_us, ours_us, ratio = paired(
            lambda count: _raw_submit_gather(address, count),
            lambda count: _af_submit_results(address, count),
            n,
            repeats,
        )
    rows.append(Row("dask raw: client.submit N + client.gather", n, raw_us, "2 workers"))
    rows.append(
        Row("dask actorflow: submit N, then all results", n, ours_us, f"{ratio:.2f}x raw dask")
    )

    with _external_cluster(workers=2) as address:
        raw_us, ours_us, ratio = paired(
            lambda count: _raw_submit_gather(address, count),
            lambda count: _af_submit_results(address, count),
            n,
            repeats,
        )
    rows.append(
        Row("dask raw, scheduler in its own process", n, raw_us, "dask scheduler + 2 dask worker")
    )
    rows.append(
        Row("dask actorflow, scheduler in its own process", n, ours_us, f"{ratio:.2f}x raw dask")
    )

    def raw_lifecycle(_: int) -> float:
        start = time.perf_counter()
        with (
            LocalCluster(host="127.0.0.1", dashboard_address="127.0.0.1:0") as c,
            Client(c, set_as_default=False) as client,
        ):
            client.submit(int, 1, pure=False).result()
        return time.perf_counter() - start

    trivial = _trivial_task()

    def ours_lifecycle(_: int) -> float:
        @flow(task_runner=DaskTaskRunner)
        def once() -> int:
            return trivial(1)

        start = time.perf_counter()
        once()
        return time.perf_counter() - start

    runs = 1 if quick else 5
    raw_times, our_times = [], []
    for _ in range(runs):  # alternated, so a slow spell of the machine hits both
        raw_times.append(raw_lifecycle(1))
        our_times.append(ours_lifecycle(1))
    raw_s = statistics.median(raw_times) * 1e6
    ours_s = statistics.median(our_times) * 1e6
    rows.append(Row("dask raw: LocalCluster + Client + 1 task + close", 1, raw_s, unit="µs/run"))
    rows.append(
        Row(
            "dask actorflow: default cluster, 1 task, shutdown",
            1,
            ours_s,
            f"{statistics.median(o / r for o, r in zip(our_times, raw_times, strict=True)):.2f}x raw dask",
            unit="µs/run",
        )
    )
    return rows


def _raw_submit_gather(address: str, count: int) -> float:
    from distributed import Client

    with Client(address, set_as_default=False) as client:
        start = time.perf_counter()
        futures = [client.submit(int, i, pure=False) for i in range(count)]
        client.gather(futures)
        return time.perf_counter() - start


def _af_submit_results(address: str, count: int) -> float:
    from actorflow.task_runners import DaskTaskRunner

    return af_submit_all(DaskTaskRunner(address=address), count)


@contextlib.contextmanager
def _external_cluster(workers: int) -> Iterator[str]:
    """`dask scheduler` and `dask worker` processes on 127.0.0.1: a LocalCluster runs its
    scheduler in this process, where it shares the interpreter lock with the flow."""
    import re
    import subprocess

    scheduler = subprocess.Popen(
        ["dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    processes: list[subprocess.Popen[Any]] = [scheduler]
    try:
        address = None
        assert scheduler.stderr is not None
        for line in scheduler.stderr:
            match = re.search(r"Scheduler at:\s+(tcp://\S+)", line)
            if match:
                address = match.group(1)
                break
        if address is None:
            msg = "dask scheduler did not start"
            raise RuntimeError(msg)
        threading.Thread(target=scheduler.stderr.read, daemon=True).start()  # keep it drained
        for _ in range(workers):
            processes.append(
                subprocess.Popen(
                    [
                        "dask",
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        from distributed import Client

        with Client(address, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


# -- Prefect, where installed --------------------------------------------------------------


def prefect_rows(n: int, repeats: int) -> list[Row]:
    """Prefect's figures, measured in a child interpreter whose stderr (Prefect's default
    console output) goes to a file: the same treatment as actorflow's rows."""
    import subprocess

    rows = []
    for scenario, label in (
        ("sequential", "prefect sequential: flow calls a trivial task"),
        ("concurrent", "prefect concurrent: submit N, then all results"),
    ):
        for attempt in (1, 2):  # Prefect's temporary server sometimes fails under load here
            with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
                done = subprocess.run(
                    [sys.executable, "-m", "bench._prefect", scenario, str(n), str(repeats)],
                    stdout=subprocess.PIPE,
                    stderr=log,
                    text=True,
                    timeout=1800,
                    check=False,
                )
                log.seek(0)
                errors = [line for line in log.read().splitlines() if "Error" in line]
            if done.returncode == 0:
                note = "child process" + (", second attempt" if attempt == 2 else "")
                rows.append(Row(label, n, float(done.stdout.split()[-1]), note))
                break
        else:
            why = errors[-1][:80] if errors else ""
            rows.append(Row(f"{label}: failed (exit {done.returncode})", n, float("nan"), why))
    return rows


# -- the table -----------------------------------------------------------------------------

SCENARIOS = (
    "sequential",
    "concurrent",
    "chain",
    "subflow",
    "memory",
    "journal",
    "dask",
    "prefect",
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small N, few repeats")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per figure")
    parser.add_argument(
        "--only", default=",".join(SCENARIOS), help=f"comma-separated subset of {SCENARIOS}"
    )
    args = parser.parse_args(argv)
    # The journal (on by default) goes to a temporary home, not to ~/.actorflow.
    os.environ.setdefault("ACTORFLOW_HOME", tempfile.mkdtemp(prefix="actorflow-bench-"))
    only = set(args.only.split(","))
    unknown = only - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}; choose from {SCENARIOS}")
    quick = args.quick
    repeats = args.repeats or (3 if quick else 5)
    sizes = (200, 1000) if quick else (1_000, 10_000)
    big = 1_000 if quick else 10_000
    huge = 2_000 if quick else 100_000

    rows = [
        Row("plain function call", 100_000, median_per_item(plain_call, 100_000, repeats)),
        Row("pykka ask round trip", 5_000, median_per_item(pykka_ask, 5_000, repeats)),
    ]
    with console_to_file():
        if "sequential" in only:
            for n in sizes:
                rows.append(
                    measured(
                        "sequential: flow calls a trivial task", af_sequential_calls, n, repeats
                    )
                )
        if "concurrent" in only:
            rows.append(
                measured(
                    "concurrent: submit N, then all results", af_concurrent_submit, big, repeats
                )
            )
            rows.append(measured("concurrent: map over N", af_concurrent_map, big, repeats))
            rows.append(
                Row(
                    "concurrent: submit N (no hang)",
                    huge,
                    af_concurrent_submit(huge) / huge * 1e6,
                    "one run",
                )
            )
        if "chain" in only:
            rows.append(
                measured(
                    "sequential: chain, each takes the previous future", af_chain, big, repeats
                )
            )
        if "subflow" in only:
            rows.append(
                Row(
                    "sequential: a subflow (one task) called N times",
                    100,
                    median_per_item(af_subflows, 100, repeats),
                    unit="µs/subflow",
                )
            )
        if "memory" in only:
            rows.append(
                Row(
                    "sequential: memory retained per finished task run",
                    huge,
                    af_memory_per_task(huge),
                    "tracemalloc",
                    unit="bytes/task",
                )
            )
        if "journal" in only:
            rows.extend(journal_rows(sizes[-1], repeats))
        if "dask" in only:
            rows.extend(dask_rows(quick, repeats))
        if "prefect" in only:
            if importlib.util.find_spec("prefect") is None:
                rows.append(Row("prefect: not installed, skipped", 0, float("nan")))
            else:
                rows.extend(prefect_rows(200 if quick else 1_000, min(repeats, 3)))
    print_table(_against_prefect(rows), repeats)


def _against_prefect(rows: list[Row]) -> list[Row]:
    """Prefect's rows, noted with how many times actorflow's row of the same scenario and
    N (measured in this run) is cheaper."""
    ours = {
        (r.scenario.split(":")[0], r.n): r for r in rows if not r.scenario.startswith("prefect")
    }
    noted = []
    for row in rows:
        match = ours.get((row.scenario.removeprefix("prefect ").split(":")[0], row.n))
        if row.scenario.startswith("prefect ") and match and row.per_task_us == row.per_task_us:
            factor = row.per_task_us / match.per_task_us
            noted.append(dataclasses.replace(row, note=f"{row.note}; actorflow {factor:.0f}x less"))
        else:
            noted.append(row)
    return noted


def print_table(rows: list[Row], repeats: int) -> None:
    plain = rows[0].per_task_us
    if ASK_SAMPLES:  # every ask of the run, not just the first
        rows[1].per_task_us = statistics.median([rows[1].per_task_us, *ASK_SAMPLES])
        rows[
            1
        ].note = f"median of {len(ASK_SAMPLES) + 1} measurements, {min(ASK_SAMPLES):.0f}-{max(ASK_SAMPLES):.0f}"
    ask = rows[1].per_task_us
    header = (
        f"{'scenario':<52} {'N':>7} {'value':>10} {'unit':<11} {'x plain':>8} {'x ask':>7}  note"
    )
    print(
        f"median of {repeats} repeats; 'x ask' is the median of per-repeat ratios to an ask "
        "measured just before each repeat (else: to the median ask)"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        ask_ratio = row.ask_ratio if row.ask_ratio is not None else row.per_task_us / ask
        ratios = (
            f"{row.per_task_us / plain:>8.0f} {ask_ratio:>7.2f}"
            if row.unit.startswith("µs")
            else f"{'':>8} {'':>7}"
        )
        print(
            f"{row.scenario:<52} {row.n:>7} {row.per_task_us:>10.2f} {row.unit:<11} {ratios}  {row.note}"
        )


if __name__ == "__main__":
    main()
