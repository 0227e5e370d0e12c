"""A long-running flow that polls a source, crashing now and then, kept alive by a supervisor.

Run it for a few seconds (`python examples/supervised_poller.py 3`): every crash of the
poller is followed by a restart after a short backoff, each restart a new flow run.
"""

import random
import sys
import time

import actorflow
from actorflow import ActorSystem, Backoff, flow, get_run_logger, task


@task
def fetch_batch(source: str) -> int:
    if random.random() < 0.2:
        raise ConnectionError(f"{source} went away")
    return random.randint(0, 5)


@flow
def poll_forever(source: str, interval: float) -> None:
    logger = get_run_logger()
    while True:
        count = fetch_batch(source)  # a failure here ends this run: the supervisor restarts it
        logger.info("fetched %d new item(s) from %s", count, source)
        actorflow.sleep(interval)  # wakes up at once if the run is cancelled


def main(seconds: float) -> None:
    with ActorSystem() as system:
        supervisor = system.supervise(
            poll_forever,
            "queue-a",
            0.1,
            restart="permanent",
            max_restarts=100,
            within_seconds=60.0,
            backoff=Backoff(initial=0.05, maximum=1.0),
        )
        time.sleep(seconds)
        print(
            f"{supervisor.restarts} restart(s), {len(supervisor.runs)} run(s), status {supervisor.status}"
        )
        supervisor.stop(timeout=10)
        print(f"stopped: {supervisor.status}")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
