"""Checking journal files: records read, torn tails, corrupt stretches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from actorflow.journal._files import list_segments
from actorflow.journal._frames import FILE_MAGIC, Damage
from actorflow.journal._reader import NotAJournalError, _read_bytes, iter_payloads
from actorflow.journal._records import UnknownRecordError, decode
from actorflow.journal._settings import journal_directory

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable
    from pathlib import Path

__all__ = ["FileReport", "verify", "verify_files"]


# -- checking ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileReport:
    """What `verify` found in one journal file."""

    path: Path
    records: int
    torn: int
    """Bytes of a torn tail (a write cut short), 0 if none."""
    corrupt: int
    """Damaged stretches followed by intact records."""
    unknown: int
    """Intact frames holding no record this version knows."""

    @property
    def ok(self) -> bool:
        return not (self.torn or self.corrupt or self.unknown)


def verify_files(paths: Iterable[Path]) -> list[FileReport]:
    """Read each file whole and count its records and its damage.

    Raises:
        NotAJournalError: a file does not start with the journal's magic bytes.
    """
    reports = []
    for path in paths:
        data = _read_bytes(path)
        if len(data) < len(FILE_MAGIC) and FILE_MAGIC.startswith(data):
            # Created, then cut short before its first bytes (a kill, a full disk).
            reports.append(FileReport(path, 0, len(data) or 1, 0, 0))
            continue
        if not data.startswith(FILE_MAGIC):
            msg = f"{path} is not an actorflow journal file"
            raise NotAJournalError(msg)
        records = torn = corrupt = unknown = 0
        for item in iter_payloads(data):
            if isinstance(item, Damage):
                if item.kind == "torn":
                    torn += item.size
                else:
                    corrupt += 1
                continue
            try:
                decode(item[1])
            except (UnknownRecordError, ValueError):
                unknown += 1
            else:
                records += 1
        reports.append(FileReport(path, records, torn, corrupt, unknown))
    return reports


def verify(home: str | os.PathLike[str] | None = None) -> list[FileReport]:
    """`verify_files` over every segment and index file of the journal under `home`."""
    paths: list[Path] = []
    for segment in list_segments(journal_directory(home)):
        paths.append(segment.path)
        if segment.index_path.exists():
            paths.append(segment.index_path)
    return verify_files(paths)
