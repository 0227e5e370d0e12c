"""The `actorflow` command: run flows, and read the run journal from the shell.

    actorflow run flows.py:etl -p day=2024-06-01
    actorflow runs ls
    actorflow runs show RUN [--html timeline.html]
    actorflow runs logs RUN [--follow]
    actorflow journal verify | prune --older-than 30d

`main` is the console script's entry point (`[project.scripts]`) and `python -m actorflow`'s.
Importing this package loads click and nothing heavy: each command imports what it needs
when it runs (`actorflow runs ls` must answer in well under a second).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `actorflow` command with `argv` (default: the process's arguments); return
    its exit status: 0 done, 1 a run that did not complete or damage found, 2 a usage
    error, 130 interrupted (Ctrl-C)."""
    from actorflow.cli._app import run_app  # noqa: PLC0415  (click loads on use, not import)

    return run_app(argv)
