"""Under `python -O` (asserts stripped) the runtime behaves the same: no rule or control flow
hides in an `assert` (regression: `except (ActorDeadError, AssertionError)` in the flow-run
actor)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    from actorflow import StateType, flow, task
    from actorflow._context import current_flow_run
    from actorflow.actors.messages import TaskRunSubmitted

    @task(retries=1)
    def flaky(calls=[]):
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("first")
        return len(calls)

    @flow
    def fine():
        return flaky()

    @flow
    def breaks_its_ledger():
        context = current_flow_run()
        context.port.ledger_ref.tell(
            TaskRunSubmitted(flow_run_id="x", task_run_id=[], task_run_name="x",
                             task_name="x", task_run_ref=None, future=None)
        )
        flaky()

    if __debug__:
        raise SystemExit("not run with -O")
    print(fine())
    state = breaks_its_ledger(return_state=True)
    print(state.type.value, state.message.split(":")[0])
    """
)


def test_flows_behave_the_same_with_asserts_stripped():
    done = subprocess.run(
        [sys.executable, "-O", "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["2", "CRASHED The flow run's ledger crashed"], done.stdout
