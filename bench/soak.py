"""Soak tests: memory and threads of long-running work stay flat (not run in CI).

    python -m bench.soak                      # both scenarios, 10 minutes each
    python -m bench.soak --minutes 2 --only supervisor

- `supervisor`: a supervisor restarting a crashing flow about 20 times a second;
- `poller`: one flow run calling a task that returns 1 MB, 10 times a second;
- `million`: one flow run executing 1,000,000 trivial task runs with the run journal on:
  resident memory at its end may exceed that after its first 10,000 by at most 50 MB
  (`--tasks` to change the count).

The journal is on, as it is by default, in a temporary home.

Every 10 seconds it samples the process's resident memory (RSS) and thread count, prints
the curve, and checks that after the first minute RSS stays within +-10% of its value at
the one-minute mark and the thread count does not grow (its median over the second half of
the samples is no higher than over the first half: a sample may catch a run's threads).
Exit status 1 if either fails.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time

import psutil

import actorflow
from actorflow import ActorSystem, Backoff, flow, task


@flow
def crashes() -> None:
    raise RuntimeError("crash on purpose")


@task
def fetch() -> bytes:
    return b"x" * 1_000_000


@flow
def polls(stop_after: float) -> int:
    calls = 0
    deadline = time.monotonic() + stop_after
    while time.monotonic() < deadline:
        data = fetch()
        calls += len(data) > 0
        actorflow.sleep(0.1)
    return calls


def sample(seconds: float, label: str, until: threading.Event) -> list[tuple[float, float, int]]:
    process = psutil.Process()
    start = time.monotonic()
    points = []
    while not until.is_set() and time.monotonic() - start < seconds:
        until.wait(10)
        elapsed = time.monotonic() - start
        rss = process.memory_info().rss / 2**20
        threads = threading.active_count()
        points.append((elapsed, rss, threads))
        print(f"{label:10} {elapsed:7.0f} s  rss {rss:8.1f} MiB  threads {threads:3d}", flush=True)
    return points


def verdict(label: str, points: list[tuple[float, float, int]]) -> bool:
    after = [p for p in points if p[0] >= 60]
    if len(after) < 2:
        print(f"{label}: too short to judge (run at least 2 minutes)")
        return True
    base_rss = after[0][1]
    worst = max(abs(p[1] - base_rss) / base_rss for p in after)
    # Runs start and end all the time, so a sample may catch one's threads: the count is
    # flat when its median over the second half is no higher than over the first half.
    half = len(after) // 2
    threads_grew = statistics.median(p[2] for p in after[half:]) > statistics.median(
        p[2] for p in after[:half]
    )
    ok = worst <= 0.10 and not threads_grew
    print(
        f"{label}: RSS within {worst:.1%} of its one-minute value {base_rss:.1f} MiB; "
        f"threads {'grew' if threads_grew else 'flat'} -> {'OK' if ok else 'FAIL'}"
    )
    return ok


def run_supervisor(minutes: float) -> bool:
    with ActorSystem() as system:
        sup = system.supervise(
            crashes,
            max_restarts=10**9,
            within_seconds=1,
            backoff=Backoff(initial=0.05, maximum=0.05, factor=1, jitter=0),
        )
        done = threading.Event()
        points = sample(minutes * 60, "supervisor", done)
        print(f"supervisor: {sup.run_count} runs, {sup.restarts} restarts")
        sup.stop(30)
    return verdict("supervisor", points)


def run_poller(minutes: float) -> bool:
    with ActorSystem() as system:
        run = system.launch(polls, minutes * 60)
        points = sample(minutes * 60 + 5, "poller", threading.Event())
        calls = run.result(timeout=60)
        print(f"poller: {calls} calls of 1 MB")
    return verdict("poller", points)


@task
def trivial() -> None:
    return None


@flow
def million(count: int) -> tuple[float, float, float]:
    process = psutil.Process()
    start = time.monotonic()
    for _ in range(10_000):
        trivial()
    before = process.memory_info().rss / 2**20
    peak = before
    for i in range(count - 10_000):
        trivial()
        if i % 50_000 == 0:
            peak = max(peak, process.memory_info().rss / 2**20)
            print(f"million: {i + 10_000:>9} task runs, RSS {peak:7.1f} MiB", flush=True)
    after = process.memory_info().rss / 2**20
    return before, after, time.monotonic() - start


def run_million(tasks: int) -> bool:
    with ActorSystem() as system:
        before, after, took = system.launch(million, tasks).result(timeout=None)
    grown = after - before
    ok = grown <= 50
    print(
        f"million: {tasks} task runs in {took:.0f} s; RSS {before:.1f} -> {after:.1f} MiB "
        f"({grown:+.1f} MiB; at most +50 MiB: {'OK' if ok else 'FAIL'})"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--tasks", type=int, default=1_000_000, help="for `million`")
    parser.add_argument("--only", default="supervisor,poller,million")
    args = parser.parse_args(argv)
    os.environ.setdefault("ACTORFLOW_HOME", tempfile.mkdtemp(prefix="actorflow-soak-"))
    ok = True
    for name in args.only.split(","):
        if name == "million":
            ok &= run_million(args.tasks)
        else:
            ok &= {"supervisor": run_supervisor, "poller": run_poller}[name](args.minutes)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
