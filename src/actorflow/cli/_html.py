"""`actorflow runs show RUN --html FILE`: a self-contained timeline page of a flow run.

One page, no network: the run's data is embedded as JSON, and the page's own script
draws one bar per task run on a time axis (colored by final state; the lighter line
before a bar is the time it waited to start), each subflow run's rows nested under its
own bar. Hovering a bar shows its states and message; clicking pins them in the panel.
The script marks the body `data-rendered="<task runs drawn>"` when done, and adds a
`#page-error` element on any uncaught error (tests read both).
"""

from __future__ import annotations

import html
import json
import time
from importlib.resources import files
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from actorflow.journal import FlowRunDetail, TaskRunHistory
    from actorflow.states import State

__all__ = ["timeline_data", "timeline_page"]


def _states(history: tuple[State, ...]) -> list[list[Any]]:
    return [[s.type.value, s.name, s.timestamp, s.message] for s in history]


def _task(task_run: TaskRunHistory) -> dict[str, Any]:
    return {
        "name": task_run.task_run_name,
        "task": task_run.task_name,
        "id": task_run.task_run_id,
        "params": task_run.parameters,
        "history": _states(task_run.history),
    }


def timeline_data(detail: FlowRunDetail) -> dict[str, Any]:
    """What the page draws: the run, its task runs and its subflow runs, nested."""
    summary = detail.summary
    state = summary.state
    return {
        "name": summary.flow_run_name,
        "flow": summary.flow_name,
        "id": summary.flow_run_id,
        "started": summary.started,
        "ended": summary.ended,
        "state": "RUNNING" if state is None else state.type.value,
        "stateName": "Running" if state is None else state.name,
        "message": None if state is None else state.message,
        "params": detail.parameters,
        "runner": detail.task_runner,
        "history": _states(detail.history),
        "tasks": [_task(t) for t in detail.task_runs],
        "subflows": [timeline_data(s) for s in detail.subflows],
    }


def timeline_page(detail: FlowRunDetail) -> str:
    """The whole page, as text (UTF-8)."""
    data = timeline_data(detail)
    data["generated"] = time.time()
    # Inside <script>, "</script>" or "<!--" in a name or message must not end the block.
    embedded = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    assets = files("actorflow.cli") / "_timeline"
    style = (assets / "timeline.css").read_text(encoding="utf-8")
    script = (assets / "timeline.js").read_text(encoding="utf-8")
    title = html.escape(f"{detail.summary.flow_run_name} · {detail.summary.flow_name} · actorflow")
    return _PAGE.format(title=title, style=style, data=embedded, script=script)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{style}
</style>
</head>
<body>
<script>
window.onerror = function (message, source, line) {{
  var box = document.getElementById("page-error") || document.createElement("div");
  box.id = "page-error";
  box.textContent = "Error in the page: " + message + " (line " + line + ")";
  document.body.insertBefore(box, document.body.firstChild);
}};
</script>
<header id="head"></header>
<main>
  <div id="chart">
    <div id="axis"></div>
    <div id="rows"></div>
  </div>
  <aside id="panel"><p class="hint">Hover over a bar for its states; click to keep them here.</p></aside>
</main>
<div id="tip" hidden></div>
<script type="application/json" id="run-data">{data}</script>
<script>
{script}
</script>
</body>
</html>
"""
