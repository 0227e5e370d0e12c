"""`actorflow journal verify | prune`: checking the journal's files, and trimming it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from actorflow.cli._context import home
from actorflow.cli._errors import EXIT_FAILED, CliError
from actorflow.cli._units import DURATION, SIZE

__all__ = ["journal_group"]


@click.group("journal")
def journal_group() -> None:
    """Check the journal's files for damage, and remove old ones."""


@journal_group.command("verify")
@click.option(
    "--file",
    "files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Check this journal file (segment .afj or index .afi) instead of the home's "
    "journal; repeat for more.",
)
def verify_command(files: tuple[Path, ...]) -> None:
    """Read every journal file whole and report its records and any damage.

    Damage is a torn tail (a write cut short, as when a process is killed mid-write: the
    records before it are intact), a corrupt stretch (bytes whose checksum does not
    match: reading resumes after it), or records of a type this version does not know.
    Readers step over all three. Exit status 1 if any file is damaged.

    \b
    Examples:
      actorflow journal verify
      actorflow journal verify --file ~/.actorflow/journal/20240601T120000-4242-1a2b3c4d-00001.afj
    """
    from actorflow.cli._text import table  # noqa: PLC0415
    from actorflow.journal import NotAJournalError, journal_directory, verify, verify_files  # noqa: PLC0415

    directory = journal_directory(home())
    try:
        reports = verify_files(files) if files else verify(home())
    except NotAJournalError as error:
        msg = f"{error} (it does not start with the journal's header); check the path"
        raise CliError(msg) from None
    except OSError as error:
        raise CliError(f"{error.filename}: cannot be read ({error.strerror})") from None
    if not reports:
        sys.stdout.write(f"No journal files at {directory}\n")
        return
    rows = []
    for report in reports:
        damage = []
        if report.torn:
            damage.append(f"torn tail of {report.torn} bytes")
        if report.corrupt:
            damage.append(f"{report.corrupt} corrupt stretch(es)")
        if report.unknown:
            damage.append(f"{report.unknown} unknown record(s)")
        name = str(report.path) if files else report.path.name
        status = "ok" if report.ok else "DAMAGED"
        rows.append((status, name, f"{report.records:,}", ", ".join(damage) or "-"))
    sys.stdout.write(table(("STATUS", "FILE", "RECORDS", "DAMAGE"), rows, right=(2,)) + "\n")
    damaged = sum(not r.ok for r in reports)
    total = sum(r.records for r in reports)
    verdict = f"damage in {damaged} file(s)" if damaged else "no damage"
    sys.stdout.write(f"{len(reports)} file(s), {total:,} records: {verdict}\n")
    if damaged:
        click.get_current_context().exit(EXIT_FAILED)


@journal_group.command("prune")
@click.option(
    "--older-than",
    callback=DURATION,
    metavar="DURATION",
    help="Remove the files last written more than this long ago: 30d, 12h, 90m, 45s.",
)
@click.option(
    "--max-size",
    callback=SIZE,
    metavar="SIZE",
    help="Then remove the oldest files until the journal fits: 500MB, 1GB (or 1GiB).",
)
def prune_command(older_than: float | None, max_size: int | None) -> None:
    """Remove old journal files (a segment goes with its index file).

    The file a running process is still writing is always kept. Runs whose files are
    removed leave `actorflow runs ls`.

    \b
    Examples:
      actorflow journal prune --older-than 30d
      actorflow journal prune --older-than 7d --max-size 1GB
    """
    from actorflow.cli._text import byte_size  # noqa: PLC0415
    from actorflow.journal import journal_directory, prune  # noqa: PLC0415

    if older_than is None and max_size is None:
        msg = "say what to remove: --older-than DURATION (such as 30d), --max-size SIZE (such as 1GB), or both"
        raise click.UsageError(msg)
    result = prune(home(), older_than=older_than, max_bytes=max_size)
    directory = journal_directory(home())
    if result.removed:
        sys.stdout.write(
            f"Removed {len(result.removed)} segment(s) from {directory}, "
            f"freeing {byte_size(result.freed_bytes)}; the journal holds {byte_size(result.kept_bytes)}\n"
        )
    else:
        sys.stdout.write(
            f"Nothing to remove at {directory}; the journal holds {byte_size(result.kept_bytes)}\n"
        )
