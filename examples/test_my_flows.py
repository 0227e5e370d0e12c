"""Testing a flow with actorflow's pytest plugin: copy this file next to your flows.

    python -m pytest examples/test_my_flows.py

`actor_system` and `manual_clock` are fixtures of the plugin installed with actorflow:
each test gets its own system (its journal in a temporary folder), on a clock that moves
only when the test says, and fails if it leaves a run going.
"""

from actorflow import flow, task
from actorflow.testing import assert_history


@task(retries=2, retry_delay_seconds=600)
def fetch_rates(attempts: list[int]) -> dict[str, float]:
    attempts.append(1)
    if len(attempts) < 3:  # the service is down twice, then answers
        msg = "service unavailable"
        raise ConnectionError(msg)
    return {"EUR": 1.08}


@flow
def refresh_rates(attempts: list[int]) -> float:
    return fetch_rates(attempts)["EUR"]


def test_refresh_retries_ten_minutes_apart(actor_system, manual_clock):
    attempts: list[int] = []
    run = actor_system.launch(refresh_rates, attempts)
    while not run.done():  # each retry is due only when the test moves the clock
        manual_clock.advance_to_next()
        run.wait(0.01)
    assert run.result() == 1.08
    (fetch,) = run.task_runs()
    assert_history(
        fetch,
        "Pending",
        "Running",
        "AwaitingRetry",
        "Retrying",
        "AwaitingRetry",
        "Retrying",
        "Completed",
    )
