"""Run history from the journal: list runs, read one run's task runs and logs.

    python examples/run_history.py

The journal goes to $ACTORFLOW_HOME (default ~/.actorflow); this example uses a
temporary home so that it starts from an empty history.
"""

import tempfile

from actorflow import ActorSystem, flow, get_run_logger, task
from actorflow.journal import run_detail


@task
def measure(sample: int) -> float:
    get_run_logger().info("measuring sample %d", sample)
    if sample == 3:
        msg = "sensor offline"
        raise RuntimeError(msg)
    return sample * 1.5


@flow
def survey(samples: int) -> int:
    futures = [measure.submit(i) for i in range(samples)]
    return sum(1 for f in futures if f.wait().is_completed())


with tempfile.TemporaryDirectory() as home, ActorSystem(home=home) as system:
    run = system.launch(survey, 5)
    run.wait(timeout=60)

    for summary in system.runs(limit=10):
        print(
            f"{summary.flow_run_name}: flow {summary.flow_name!r}, {summary.state.name}, "
            f"{summary.task_runs_completed}/{summary.task_runs} task runs completed"
        )

    detail = run_detail(run.id, home)
    for task_run in detail.task_runs:
        print(f"  {task_run.task_run_name}: {task_run.state.name} {task_run.parameters}")
    for line in run.logs():
        if line.task_run_id is not None and "measuring" in line.message:
            print(f"  log: {line.message}")
