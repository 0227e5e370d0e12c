"""What the global options pass to the subcommands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["Options", "home"]


@dataclass(frozen=True, slots=True)
class Options:
    """The global options (`click.Context.obj`)."""

    home: Path | None
    """`--home`; None: `$ACTORFLOW_HOME`, else `~/.actorflow`."""


def home() -> Path | None:
    """The `--home` of the command being run (None: the default home)."""
    options = click.get_current_context().find_object(Options)
    return None if options is None else options.home
