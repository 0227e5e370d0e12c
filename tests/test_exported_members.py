"""The public surface is a conscious choice: adding a name means changing this test."""

from __future__ import annotations

import actorflow
import actorflow.states
import actorflow.task_runners


def test_top_level_exports():
    assert sorted(actorflow.__all__) == [
        "ActorSystem",
        "ActorflowError",
        "Backoff",
        "Child",
        "Flow",
        "FlowRunCancelled",
        "FlowRunRef",
        "FlowRunTimeoutError",
        "ForeignFutureError",
        "Group",
        "MissingContextError",
        "RemoteTaskError",
        "ResultNotAvailableError",
        "RunNotCompletedError",
        "State",
        "StateNotFinalError",
        "StateType",
        "Supervisor",
        "SystemShutDownError",
        "Task",
        "TaskFuture",
        "TaskRunSnapshot",
        "TaskRunTimeoutError",
        "TaskRunnerError",
        "WorkerLostError",
        "allow_failure",
        "as_completed",
        "flow",
        "get_run_logger",
        "sleep",
        "task",
        "unmapped",
        "wait",
    ]
    for name in actorflow.__all__:
        assert getattr(actorflow, name) is not None


def test_task_runner_exports():
    assert sorted(actorflow.task_runners.__all__) == [
        "ConcurrentTaskRunner",
        "DaskTaskRunner",
        "SequentialTaskRunner",
        "TaskRunner",
        "get_dask_client",
    ]


def test_states_exports():
    assert sorted(actorflow.states.__all__) == [
        "FINAL_STATE_TYPES",
        "State",
        "StateType",
        "aggregate_states",
        "now",
    ]


def test_exception_tree_has_one_root():
    for name in actorflow.__all__:
        obj = getattr(actorflow, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            if obj is actorflow.FlowRunCancelled:  # a control-flow signal, like KeyboardInterrupt
                assert not issubclass(obj, Exception)
                continue
            assert issubclass(obj, actorflow.ActorflowError)
