"""The `actorflow` group: the global options, and the subcommands under it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from actorflow.cli._context import Options
from actorflow.cli._errors import EXIT_INTERRUPTED
from actorflow.cli._journal_cmd import journal_group
from actorflow.cli._run_cmd import run_command
from actorflow.cli._runs_cmd import runs_group

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["app", "run_app"]

_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _version() -> str:
    import actorflow  # noqa: PLC0415  (loaded already: this package is inside it)

    return actorflow.__version__


@click.group(context_settings=_CONTEXT)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="PATH",
    help="The actorflow home; its journal/ folder holds the run journal. "
    "[default: $ACTORFLOW_HOME, else ~/.actorflow]",
)
@click.version_option(_version(), "--version", prog_name="actorflow")
@click.pass_context
def app(ctx: click.Context, home: Path | None) -> None:
    """Run flows, and read what they did from the run journal.

    Every flow run (from this command or from any Python program) is recorded in the
    journal under the actorflow home; the `runs` commands read it back, even after the
    process that ran the flow has ended.

    \b
    Examples:
      actorflow run flows.py:etl -p day=2024-06-01
      actorflow runs ls --state failed
      actorflow runs show RUN --html timeline.html
      actorflow runs logs RUN --follow
      actorflow journal prune --older-than 30d
    """
    ctx.obj = Options(home=home)


app.add_command(run_command)
app.add_command(runs_group)
app.add_command(journal_group)


def run_app(argv: Sequence[str] | None) -> int:
    """`app` with `argv`; its exit status, with Ctrl-C as 130 and errors as their own."""
    try:
        code = app.main(
            args=None if argv is None else list(argv),
            prog_name="actorflow",
            standalone_mode=False,
        )
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except (click.Abort, KeyboardInterrupt):  # click turns Ctrl-C into Abort
        return EXIT_INTERRUPTED
    return code if isinstance(code, int) else 0
