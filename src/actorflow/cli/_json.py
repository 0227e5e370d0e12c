"""The `--json` forms of flow runs: plain objects, times in ISO 8601 with their offset."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actorflow.cli._text import iso_time

if TYPE_CHECKING:
    from actorflow.journal import FlowRunDetail, FlowRunSummary, TaskRunHistory
    from actorflow.states import State

__all__ = ["detail_json", "state_json", "summary_json"]


def state_json(state: State | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {
        "type": state.type.value,
        "name": state.name,
        "message": state.message,
        "timestamp": iso_time(state.timestamp),
    }


def summary_json(summary: FlowRunSummary) -> dict[str, Any]:
    """One row of `runs ls --json`."""
    state = summary.state
    return {
        "flow_run_id": summary.flow_run_id,
        "flow_run_name": summary.flow_run_name,
        "flow_name": summary.flow_name,
        "parent_flow_run_id": summary.parent_flow_run_id,
        "state": "RUNNING" if state is None else state.type.value,
        "state_name": "Running" if state is None else state.name,
        "message": None if state is None else state.message,
        "started": iso_time(summary.started),
        "ended": iso_time(summary.ended),
        "duration": summary.duration,
        "task_runs": summary.task_runs,
        "task_runs_completed": summary.task_runs_completed,
    }


def _task_run_json(task_run: TaskRunHistory) -> dict[str, Any]:
    state = task_run.state
    return {
        "task_run_id": task_run.task_run_id,
        "task_run_name": task_run.task_run_name,
        "task_name": task_run.task_name,
        "parameters": task_run.parameters,
        "state": None if state is None else state.type.value,
        "state_name": None if state is None else state.name,
        "history": [state_json(s) for s in task_run.history],
    }


def detail_json(detail: FlowRunDetail) -> dict[str, Any]:
    """`runs show --json`, shaped as `FlowRunDetail`: the run's summary (as in `runs ls
    --json`), parameters, states, task runs and subflow runs (each shaped the same)."""
    return {
        "summary": summary_json(detail.summary),
        "parameters": detail.parameters,
        "task_runner": detail.task_runner,
        "history": [state_json(s) for s in detail.history],
        "task_runs": [_task_run_json(t) for t in detail.task_runs],
        "subflows": [detail_json(s) for s in detail.subflows],
    }
