"""`actorflow runs ls | show | logs`: the flow runs in the journal.

`runs ls` is on the fast path (it must answer in a fraction of a second over 10,000 runs):
this module imports click and the journal's reader only, and prints with `print`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from actorflow.cli._context import home
from actorflow.cli._errors import CliError
from actorflow.states import StateType

if TYPE_CHECKING:
    from actorflow.journal import FlowRunDetail, FlowRunSummary

__all__ = ["runs_group"]

_STATES = [t.value.lower() for t in StateType]


@click.group("runs")
def runs_group() -> None:
    """List flow runs, and show one's task runs, states and logs.

    RUN, where a command takes one, is a flow run's id, the start of its id (4 characters
    or more), or its name, as `actorflow runs ls` lists them.
    """


def _find(ref: str) -> FlowRunSummary:
    from actorflow.journal import JournalError, find_run, journal_directory  # noqa: PLC0415

    try:
        return find_run(ref, home())
    except JournalError as error:
        where = journal_directory(home())
        msg = f"{error} (journal: {where}; `actorflow runs ls` lists its runs)"
        raise CliError(msg) from None


def _detail(summary: FlowRunSummary) -> FlowRunDetail:
    from actorflow.journal import JournalError, run_detail  # noqa: PLC0415

    try:
        return run_detail(summary, home())
    except JournalError as error:
        raise CliError(str(error)) from None


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


@runs_group.command("ls")
@click.option("--flow", "flow_name", metavar="NAME", help="Only runs of the flow of this name.")
@click.option(
    "--state",
    type=click.Choice(_STATES, case_sensitive=False),
    metavar="STATE",
    help="Only runs in this state: completed, failed, crashed, cancelled, running (those "
    "still going)...",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    metavar="N",
    default=20,
    show_default=True,
    help="At most this many runs (0: all).",
)
@click.option("--top-level", is_flag=True, help="Leave subflow runs out.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
def ls_command(
    flow_name: str | None, state: str | None, limit: int, top_level: bool, as_json: bool
) -> None:
    """List flow runs, newest first.

    Each run's short id, name, flow, state (Running while it goes on; Crashed if its
    process died), start, duration, and its task runs completed / created.

    \b
    Examples:
      actorflow runs ls
      actorflow runs ls --flow etl --state failed --limit 5
      actorflow runs ls --json | jq '.[0].flow_run_id'
    """
    from actorflow.cli._text import date_time, duration, state_label, table  # noqa: PLC0415
    from actorflow.journal import journal_directory, runs  # noqa: PLC0415

    found = runs(
        home(),
        flow=flow_name,
        state=state.upper() if state else None,
        limit=limit or None,
        top_level=top_level,
    )
    if as_json:
        from actorflow.cli._json import summary_json  # noqa: PLC0415

        _print_json([summary_json(s) for s in found])
        return
    if not found:
        where = journal_directory(home())
        sys.stderr.write(f"No flow runs{_filters(flow_name, state)} in the journal at {where}\n")
        return
    rows = [
        (
            s.flow_run_id[:8],
            s.flow_run_name,
            s.flow_name,
            state_label(s.state),
            date_time(s.started),
            duration(s.duration),
            "-" if s.task_runs is None else f"{s.task_runs_completed}/{s.task_runs}",
        )
        for s in found
    ]
    headers = ("ID", "RUN", "FLOW", "STATE", "STARTED", "DURATION", "TASK RUNS")
    sys.stdout.write(table(headers, rows, right=(5, 6)) + "\n")


def _filters(flow_name: str | None, state: str | None) -> str:
    parts = ([f"of flow {flow_name!r}"] if flow_name else []) + (
        [f"in state {state.upper()}"] if state else []
    )
    return (" " + " ".join(parts)) if parts else ""


@runs_group.command("show")
@click.argument("run")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON (subflows nested).")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write a timeline page to FILE: one bar per task run (self-contained HTML).",
)
def show_command(run: str, as_json: bool, html_path: Path | None) -> None:
    """Show a flow run: its states, task runs and subflow runs, as a tree.

    Each task run with its state and running time (first Running to its final state);
    each subflow run with its own. --html writes a timeline page instead, which any
    browser opens with no network: hover or click a bar for its states and message.

    \b
    Examples:
      actorflow runs show snowy-moose
      actorflow runs show 1e75 --json
      actorflow runs show snowy-moose --html timeline.html
    """
    detail = _detail(_find(run))
    if html_path is not None:
        from actorflow.cli._html import timeline_page  # noqa: PLC0415

        try:
            html_path.write_text(timeline_page(detail), encoding="utf-8")
        except OSError as error:
            raise CliError(f"--html {html_path}: cannot write it ({error.strerror})") from None
        count = _count_task_runs(detail)
        click.echo(
            f"Wrote the timeline of flow run {detail.summary.flow_run_name!r} ({count} task runs) to {html_path}",
            err=as_json,
        )
    if as_json:
        from actorflow.cli._json import detail_json  # noqa: PLC0415

        _print_json(detail_json(detail))
    elif html_path is None:
        from actorflow.cli._tree import render, run_tree  # noqa: PLC0415

        color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        sys.stdout.write("\n".join(render(run_tree(detail), color=color)) + "\n")


def _count_task_runs(detail: FlowRunDetail) -> int:
    return len(detail.task_runs) + sum(_count_task_runs(s) for s in detail.subflows)


@runs_group.command("logs")
@click.argument("run")
@click.option(
    "-f", "--follow", is_flag=True, help="Keep printing new lines until the run has ended."
)
def logs_command(run: str, follow: bool) -> None:
    """Print a flow run's log lines, as its console showed them.

    Its subflow runs' lines are included; a task run's or subflow run's line that does not
    name it starts with its name. --follow reads the journal again every 0.2 s and prints
    new lines until the run has ended (Ctrl-C stops it sooner).

    \b
    Examples:
      actorflow runs logs snowy-moose
      actorflow runs logs 1e75 --follow
    """
    from actorflow.cli import _logs  # noqa: PLC0415

    summary = _find(run)

    def write(line: str) -> None:
        sys.stdout.write(line + "\n")
        if follow:
            sys.stdout.flush()

    if not follow:
        for _key, line in _logs.log_lines(_detail(summary)):
            write(line)
        return
    _logs.follow(lambda: _detail(_find(summary.flow_run_id)), write)
