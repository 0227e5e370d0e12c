"""Tasks on a Dask cluster created for the flow run, with worker processes."""

from actorflow import flow, task
from actorflow.task_runners import DaskTaskRunner


@task
def simulate(seed: int) -> float:
    import random

    rng = random.Random(seed)
    return sum(rng.random() for _ in range(200_000)) / 200_000


@task
def average(values: list[float]) -> float:
    return sum(values) / len(values)


@flow(task_runner=DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1}))
def monte_carlo(runs: int) -> float:
    samples = simulate.map(range(runs))  # CPU-bound Python: processes, not threads
    return average(samples)  # the futures' results are gathered for `average`


if __name__ == "__main__":  # required: worker processes import this file again
    print(f"{monte_carlo(8):.4f}")
