"""Per-task overhead, measured against baselines taken in the same run.

    python -m bench             # the full table
    python -m bench --quick     # fewer repeats and smaller N, for a smoke check

Every figure is the median over repeats of the time per task (or per call), so ratios between
rows of one run can be compared even on a noisy machine; absolute times cannot.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@dataclass
class Row:
    scenario: str
    n: int
    per_task_us: float
    note: str = ""


def median_per_item(run: Callable[[int], float], n: int, repeats: int) -> float:
    """`run(n)` returns elapsed seconds for n items; the median of µs per item."""
    run(min(n, 200))  # warm up
    return statistics.median(run(n) / n * 1e6 for _ in range(repeats))


@contextlib.contextmanager
def console_to_file() -> Iterator[str]:
    """actorflow's default console output, sent to a temporary file instead of the terminal."""
    from actorflow._logging import ensure_console_logging

    ensure_console_logging()
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as log:
        saved, sys.stderr = sys.stderr, log
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


def actorflow_sequential_calls(n: int) -> float:
    from actorflow import flow, task

    @task
    def trivial() -> int:
        return 1

    @flow
    def calls_trivial(count: int) -> float:
        start = time.perf_counter()
        for _ in range(count):
            trivial()
        return time.perf_counter() - start

    return calls_trivial(n)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small N, few repeats")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per figure")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 7)
    sizes = (200, 1000) if args.quick else (1_000, 10_000)

    rows = [
        Row("plain function call", 100_000, median_per_item(plain_call, 100_000, repeats)),
        Row("pykka ask round trip", 5_000, median_per_item(pykka_ask, 5_000, repeats)),
    ]
    with console_to_file():
        for n in sizes:
            rows.append(
                Row(
                    "actorflow sequential: flow calls a trivial task",
                    n,
                    median_per_item(actorflow_sequential_calls, n, repeats),
                    "console log to a file",
                )
            )
    print_table(rows, repeats)


def print_table(rows: list[Row], repeats: int) -> None:
    plain = rows[0].per_task_us
    ask = rows[1].per_task_us
    header = f"{'scenario':<52} {'N':>7} {'µs/task':>9} {'x plain':>9} {'x ask':>7}  note"
    print(f"median of {repeats} repeats; ratios against the baselines of this run")
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.scenario:<52} {row.n:>7} {row.per_task_us:>9.2f} "
            f"{row.per_task_us / plain:>9.0f} {row.per_task_us / ask:>7.2f}  {row.note}"
        )


if __name__ == "__main__":
    main()
