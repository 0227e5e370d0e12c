"""The journal's files, and the processes that write them.

One writer (one per `ActorSystem`) writes its own segments, so processes and systems never
lock one another: `<stem>.afj` holds its records and `<stem>.afi` (the index) one
`RunStarted` / `RunEnded` per flow run, so that listing runs never reads the segments.

    <stem> = <UTC start, %Y%m%dT%H%M%S>-<pid>-<writer id>-<segment number, 5 digits>

Names sort by start time, then by writer and segment number; readers merge them in that
order.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Final

from actorflow.journal._frames import FILE_MAGIC

if TYPE_CHECKING:
    from actorflow.journal._records import SegmentStarted

__all__ = [
    "INDEX_SUFFIX",
    "SEGMENT_SUFFIX",
    "SegmentFile",
    "boot_id",
    "host_name",
    "is_journal_file",
    "list_segments",
    "process_started",
    "segment_stem",
    "writer_alive",
]

SEGMENT_SUFFIX: Final = ".afj"
INDEX_SUFFIX: Final = ".afi"


@dataclass(frozen=True, slots=True)
class SegmentFile:
    """One segment file and what its name says."""

    path: Path
    started: str
    pid: int
    writer_id: str
    number: int

    @property
    def index_path(self) -> Path:
        return self.path.with_suffix(INDEX_SUFFIX)

    @property
    def name(self) -> str:
        return self.path.name


def segment_stem(started: float, pid: int, writer_id: str, number: int) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(started))
    return f"{stamp}-{pid}-{writer_id}-{number:05d}"


def _parse(path: Path) -> SegmentFile | None:
    parts = path.stem.split("-")
    if len(parts) != 4 or not parts[1].isdigit() or not parts[3].isdigit():  # noqa: PLR2004
        return None
    return SegmentFile(path, parts[0], int(parts[1]), parts[2], int(parts[3]))


def list_segments(directory: Path) -> list[SegmentFile]:
    """The segments in `directory`, oldest first (none if it does not exist)."""
    try:
        paths = list(directory.glob(f"*{SEGMENT_SUFFIX}"))
    except OSError:
        return []
    found = [s for s in map(_parse, paths) if s is not None]
    found.sort(key=lambda s: (s.started, s.pid, s.writer_id, s.number))
    return found


def is_journal_file(path: Path) -> bool:
    """True if the file starts with the journal's magic bytes."""
    try:
        with path.open("rb") as file:
            return file.read(len(FILE_MAGIC)) == FILE_MAGIC
    except OSError:
        return False


@cache
def boot_id() -> str:
    """This boot of this host (Linux); "" where the platform does not say."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return ""


@cache
def host_name() -> str:
    return socket.gethostname()


_CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@cache
def _boot_time() -> float:
    with contextlib.suppress(OSError, ValueError), Path("/proc/stat").open(encoding="ascii") as f:
        for line in f:
            if line.startswith("btime "):
                return float(line.split()[1])
    return 0.0


def process_started(pid: int) -> float:
    """When process `pid` started (seconds since the epoch, to 1/100 s on Linux); 0.0 if
    it does not exist or the platform does not say."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return 0.0
    try:  # the fields after the command name, which may itself hold spaces and parens
        fields = stat[stat.rindex(")") + 2 :].split()
        return _boot_time() + int(fields[19]) / _CLOCK_TICKS
    except (ValueError, IndexError):
        return 0.0


def writer_alive(header: SegmentStarted) -> bool | None:
    """Is the process that wrote a segment still running? None: cannot tell (another host,
    or a platform that does not say)."""
    if header.host != host_name():
        return None
    if header.boot_id and boot_id() and header.boot_id != boot_id():
        return False  # the machine has restarted since
    if os.name == "nt":  # (os.kill(pid, 0) would end the process there)
        return None
    exists = _pid_exists(header.pid)  # (our own pid too: a restarted container reuses it)
    if exists and header.process_started and (started := process_started(header.pid)):
        return abs(started - header.process_started) < 1.0  # else: another process, same pid
    return exists


def _pid_exists(pid: int) -> bool | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    except OSError:
        return None
    return True
