"""Fan out with map, fan in with futures, and keep going past a failure."""

import time

from actorflow import allow_failure, as_completed, flow, task, unmapped
from actorflow.task_runners import ConcurrentTaskRunner


@task
def fetch(page: int, delay: float) -> list[int]:
    time.sleep(delay)  # stands in for I/O
    if page == 3:
        raise ValueError(f"page {page} is unavailable")
    return list(range(page * 10, page * 10 + 3))


@task
def count(pages: list) -> int:
    """Receives the fetched pages; a failed page arrives as its exception."""
    return sum(len(p) for p in pages if not isinstance(p, Exception))


@task
def report(total: int) -> str:
    return f"{total} items"


@flow(task_runner=ConcurrentTaskRunner(max_workers=4))
def crawl() -> str:
    pages = fetch.map(range(5), delay=unmapped(0.1))  # five runs, concurrently
    for page in as_completed(pages):  # first finished first
        print(f"done: {page.task_run_name} {page.state}")
    total = count.submit([allow_failure(p) for p in pages])  # runs although page 3 failed
    return report(total)  # waits for `total`, then runs


if __name__ == "__main__":
    print(crawl())
