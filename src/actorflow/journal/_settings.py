"""Journal settings: where the journal lives, how durable it is, how big it may grow.

`ACTORFLOW_HOME` (default `~/.actorflow`) is the home; the journal is its `journal/`
folder. `ACTORFLOW_JOURNAL=0` (or `false`, `no`, `off`) turns the journal off for every
system that does not ask for it explicitly.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

__all__ = [
    "FsyncPolicy",
    "JournalSettings",
    "journal_directory",
    "journal_on_by_default",
    "resolve_home",
]

FsyncPolicy = Literal["final", "always", "never"]
_FSYNC_POLICIES: Final = ("final", "always", "never")
_OFF: Final = frozenset({"0", "false", "no", "off"})
MAX_FLUSH_INTERVAL: Final = 0.2


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalSettings:
    """How an `ActorSystem` keeps its journal (`ActorSystem(journal=JournalSettings(...))`).

    Every field has a default; the defaults are what `ActorSystem()` uses.
    """

    fsync: FsyncPolicy = "final"
    """When written records are forced to the disk (`os.fsync`):

    - `"final"` (default): when a flow run reaches its final state (and at shutdown).
      Records are written to the operating system every `flush_interval` seconds anyway,
      so a killed process loses none of them; a machine that loses power may lose the
      last records of runs still going.
    - `"always"`: after every batch written (every `flush_interval`, at most).
    - `"never"`: only at shutdown; the operating system decides.
    """
    flush_interval: float = 0.1
    """Seconds between batches: every record reaches the operating system at most this long
    after its event (at most 0.2). A flow run's final state is written at once."""
    segment_bytes: int = 64 * 1024 * 1024
    """A segment file is closed and a new one started when it grows past this size."""
    max_bytes: int | None = None
    """A size cap for the whole journal: when a segment is closed, the oldest segments of
    processes that have ended are removed until the journal fits. None: no cap (prune
    with `actorflow journal prune`)."""
    recent_task_runs: int = 1000
    """How many finished task runs each flow run keeps in memory (for
    `FlowRunRef.task_runs()`); older ones are read back from the journal."""

    def __post_init__(self) -> None:
        if self.fsync not in _FSYNC_POLICIES:
            msg = f"JournalSettings(fsync={self.fsync!r}): choose one of {', '.join(map(repr, _FSYNC_POLICIES))}"
            raise ValueError(msg)
        interval = self.flush_interval
        if (
            isinstance(interval, bool)
            or not isinstance(interval, int | float)
            or math.isnan(interval)
            or not 0 < interval <= MAX_FLUSH_INTERVAL
        ):
            msg = f"JournalSettings(flush_interval={interval!r}): give seconds, more than 0 and at most {MAX_FLUSH_INTERVAL}"
            raise ValueError(msg)
        _positive_int("segment_bytes", self.segment_bytes, minimum=4096)
        if self.max_bytes is not None:
            _positive_int("max_bytes", self.max_bytes, minimum=self.segment_bytes)
        _positive_int("recent_task_runs", self.recent_task_runs, minimum=0)


def _positive_int(name: str, value: object, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        msg = f"JournalSettings({name}={value!r}): give a whole number, at least {minimum}"
        raise ValueError(msg)


def resolve_home(home: str | os.PathLike[str] | None = None) -> Path:
    """The actorflow home: `home` if given, else `$ACTORFLOW_HOME`, else `~/.actorflow`."""
    if home is not None:
        return Path(home).expanduser()
    env = os.environ.get("ACTORFLOW_HOME")
    if env:
        return Path(env).expanduser()
    return Path("~/.actorflow").expanduser()


def journal_directory(home: str | os.PathLike[str] | None = None) -> Path:
    """Where the journal's files are: the home's `journal/` folder."""
    return resolve_home(home) / "journal"


def journal_on_by_default() -> bool:
    """False when `ACTORFLOW_JOURNAL` says off (`0`, `false`, `no`, `off`)."""
    return os.environ.get("ACTORFLOW_JOURNAL", "1").strip().lower() not in _OFF
