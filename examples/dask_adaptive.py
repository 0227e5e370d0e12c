"""A cluster that grows with the work and shrinks after it (adaptive scaling)."""

import time

from actorflow import flow, task
from actorflow.task_runners import DaskTaskRunner


@task
def slow_square(x: int) -> int:
    time.sleep(0.2)
    return x * x


@flow(
    task_runner=DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={"n_workers": 0, "host": "127.0.0.1", "dashboard_address": "127.0.0.1:0"},
        adapt_kwargs={"minimum": 1, "maximum": 2},
    )
)
def squares(n: int) -> list[int]:
    return [f.result() for f in slow_square.map(range(n))]


if __name__ == "__main__":
    print(squares(6))
