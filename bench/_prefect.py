"""Prefect's side of the benchmark: `python -m bench._prefect SCENARIO N REPEATS`.

Run by `python -m bench` in a child interpreter when Prefect is installed; prints the median
µs per task on its last line. Prefect is not a dependency of actorflow.
"""

from __future__ import annotations

import statistics
import sys
import time


def sequential(n: int) -> float:
    from prefect import flow, task

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


def concurrent(n: int) -> float:
    from prefect import flow, task
    from prefect.task_runners import ThreadPoolTaskRunner

    @task
    def trivial(x: int) -> int:
        return x

    @flow(task_runner=ThreadPoolTaskRunner())
    def submits(count: int) -> float:
        start = time.perf_counter()
        futures = [trivial.submit(i) for i in range(count)]
        for future in futures:
            future.result()
        return time.perf_counter() - start

    return submits(n)


def main() -> None:
    scenario, n, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    run = {"sequential": sequential, "concurrent": concurrent}[scenario]
    run(min(n, 50))  # warm up (starts Prefect's temporary server)
    print(statistics.median(run(n) / n * 1e6 for _ in range(repeats)))


if __name__ == "__main__":
    main()
