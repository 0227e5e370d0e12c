"""Retention: removing old segments so the journal never grows without bound.

A segment goes with its index file. Segments of a writer whose process may still run
(alive, or on another host) are never removed: one of its runs may still be going, and
its records start in any of them. The one exception is a writer pruning its own journal
(`JournalSettings.max_bytes`): it knows which of its segments hold runs still going, and
removes only those before them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from actorflow.journal._files import SegmentFile, list_segments, writer_alive
from actorflow.journal._reader import _header
from actorflow.journal._settings import journal_directory

if TYPE_CHECKING:
    import os
    from pathlib import Path

__all__ = ["PruneResult", "prune", "prune_directory"]


@dataclass(frozen=True, slots=True)
class PruneResult:
    """What `prune` removed, and what it kept."""

    removed: tuple[Path, ...]
    freed_bytes: int
    kept_bytes: int


def prune(
    home: str | os.PathLike[str] | None = None,
    *,
    older_than: float | None = None,
    max_bytes: int | None = None,
) -> PruneResult:
    """Remove the segments (with their index files) last written more than `older_than`
    seconds ago, then the oldest until the journal holds at most `max_bytes`.

    Segments of writers whose process may still run are kept (see the module docs).

    Raises:
        ValueError: `older_than` or `max_bytes` is negative.
    """
    if older_than is not None and older_than < 0:
        msg = f"prune(older_than={older_than!r}): give a number of seconds, 0 or more"
        raise ValueError(msg)
    if max_bytes is not None and max_bytes < 0:
        msg = f"prune(max_bytes={max_bytes!r}): give a number of bytes, 0 or more"
        raise ValueError(msg)
    return prune_directory(journal_directory(home), older_than=older_than, max_bytes=max_bytes)


def prune_directory(
    directory: Path,
    *,
    older_than: float | None,
    max_bytes: int | None,
    own_writer: tuple[str, int] | None = None,
) -> PruneResult:
    """`prune` in one folder. `own_writer`: (writer id, number of its first segment still
    needed) of the writer calling, whose earlier segments may go."""
    segments = list_segments(directory)
    sizes = {s.path: _size(s) for s in segments}
    removable = _removable(segments, own_writer)
    chosen: list[SegmentFile] = []
    if older_than is not None:
        now = time.time()
        chosen.extend(s for s in removable if now - _mtime(s.path, now) > older_than)
    if max_bytes is not None:
        total = sum(sizes.values()) - sum(sizes[s.path] for s in chosen)
        for segment in removable:
            if total <= max_bytes:
                break
            if segment not in chosen:
                chosen.append(segment)
                total -= sizes[segment.path]
    removed = [s.path for s in chosen if _remove(s)]
    freed = sum(sizes[path] for path in removed)
    return PruneResult(tuple(removed), freed, sum(sizes.values()) - freed)


def _mtime(path: Path, default: float) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return default  # gone meanwhile: not old


def _remove(segment: SegmentFile) -> bool:
    """Remove a segment and its index (the index first: a run listed is always readable)."""
    try:
        segment.index_path.unlink(missing_ok=True)
        segment.path.unlink(missing_ok=True)
    except OSError:
        return False
    return True


def _size(segment: SegmentFile) -> int:
    total = 0
    for path in (segment.path, segment.index_path):
        try:
            total += path.stat().st_size
        except OSError:
            continue
    return total


def _removable(
    segments: list[SegmentFile], own_writer: tuple[str, int] | None
) -> list[SegmentFile]:
    """Oldest first: the segments of writers that have ended, and those of the calling
    writer before the first one it still needs."""
    alive: dict[str, bool | None] = {}
    removable = []
    for segment in segments:
        writer = segment.writer_id
        if own_writer is not None and writer == own_writer[0]:
            if segment.number < own_writer[1]:
                removable.append(segment)
            continue
        if writer not in alive:
            header = _header(segment)
            alive[writer] = None if header is None else writer_alive(header)
        if alive[writer] is False:
            removable.append(segment)
    return removable
