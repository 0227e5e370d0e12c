"""Tasks on a Dask cluster that is already running.

Start one on this machine first, for example:

    dask scheduler --host 127.0.0.1 --port 8786 --dashboard-address 127.0.0.1:0
    dask worker tcp://127.0.0.1:8786 --host 127.0.0.1 --nworkers 2

then run `python examples/dask_existing_cluster.py tcp://127.0.0.1:8786`. The flow connects,
runs, and closes only its own client: the cluster keeps running.
"""

import sys

from actorflow import flow, task
from actorflow.task_runners import DaskTaskRunner

ADDRESS = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:8786"


@task
def word_count(line: str) -> int:
    return len(line.split())


@flow(task_runner=DaskTaskRunner(address=ADDRESS, client_kwargs={"timeout": "10s"}))
def count_words(lines: list[str]) -> int:
    return sum(f.result() for f in word_count.map(lines))


if __name__ == "__main__":
    print(count_words(["the quick brown fox", "jumps over", "the lazy dog"]))
