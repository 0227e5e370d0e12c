"""Large results stay on the Dask workers: only what the flow asks for comes back.

`load` returns 20 MB per call; `checksum` takes all of them and returns one small number.
The blobs move between worker processes only; the flow's process receives the checksum.
"""

import resource

from actorflow import flow, task
from actorflow.task_runners import DaskTaskRunner


@task
def load(part: int) -> bytes:
    return bytes([part]) * 20_000_000  # stands in for reading a large file


@task
def checksum(blobs: list[bytes]) -> int:
    return sum(blob[0] * len(blob) for blob in blobs)


@flow(task_runner=DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1}))
def pipeline(parts: int) -> int:
    blobs = load.map(range(parts))  # each result stays on the worker that made it
    return checksum.submit(blobs).result()  # the futures go to the task as Dask futures


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


if __name__ == "__main__":  # required: worker processes import this file again
    print(f"checksum: {pipeline(4)}")  # 4 x 20 MB went through the workers
    print(f"peak memory of this process: {peak_memory_mb():.0f} MB")
