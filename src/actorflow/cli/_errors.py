"""The command's errors: one line on stderr, exit status 2, no traceback."""

from __future__ import annotations

from typing import Final

import click

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "CliError"]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
"""A run that did not complete; damage found by `journal verify`."""
EXIT_USAGE: Final = 2
"""Anything the user must fix: an unknown run, a missing file or flow, a bad parameter."""
EXIT_INTERRUPTED: Final = 130
"""Ctrl-C (128 + SIGINT), as shells report it."""


class CliError(click.ClickException):
    """An error the user can fix, said in one line (`Error: ...`), exit status 2.

    The message names what was given and what to do instead.
    """

    exit_code = EXIT_USAGE
