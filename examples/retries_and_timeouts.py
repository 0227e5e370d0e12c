"""Retries with growing delays, and a timeout that does not stop the flow."""

import time

from actorflow import flow, task


@task(retries=3, retry_delay_seconds=[0.1, 0.2, 0.4])
def flaky_download(attempts: list) -> str:
    attempts.append(1)
    if len(attempts) < 3:  # the first two attempts fail, as a flaky server would
        raise ConnectionError("the server hung up")
    return f"downloaded after {len(attempts)} attempt(s)"


@task(timeout_seconds=0.5)
def slow_step() -> str:
    time.sleep(2)  # never recorded: the run has ended TimedOut by then
    return "too late"


@task
def next_step() -> str:
    return "the flow went on"


@flow
def resilient() -> list:
    downloaded = flaky_download([])
    timed_out = slow_step(return_state=True)  # TimedOut(message='Task run exceeded ...')
    return [downloaded, str(timed_out), next_step()]


if __name__ == "__main__":
    for line in resilient():
        print(line)
