"""The run journal: every state change and log line of every run, on disk, with no server.

Each `ActorSystem` writes its own segment files under `$ACTORFLOW_HOME/journal` (default
`~/.actorflow/journal`); this package reads them back. The format is documented in
`docs/concepts/journal.md`.

    from actorflow import journal

    for run in journal.runs(limit=10):
        print(run.flow_run_name, run.state)
    detail = journal.run_detail(run.flow_run_id)
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from actorflow.journal._detail import run_detail
    from actorflow.journal._files import SegmentFile, list_segments
    from actorflow.journal._frames import Damage, Frame, frame, iter_frames
    from actorflow.journal._prune import PruneResult, prune
    from actorflow.journal._reader import (
        FlowRunDetail,
        FlowRunSummary,
        JournalError,
        NotAJournalError,
        RunNotFoundError,
        TaskRunHistory,
        read,
        read_file,
    )
    from actorflow.journal._records import (
        FlowRunCreated,
        FlowRunStateChanged,
        LogEmitted,
        Record,
        RecordType,
        RunEnded,
        RunStarted,
        SegmentStarted,
        TaskRunCreated,
        TaskRunStateChanged,
        decode,
        encode,
    )
    from actorflow.journal._runs import find_run, runs
    from actorflow.journal._settings import (
        FsyncPolicy,
        JournalSettings,
        journal_directory,
        resolve_home,
    )
    from actorflow.journal._verify import FileReport, verify, verify_files

__all__ = [
    "Damage",
    "FileReport",
    "FlowRunCreated",
    "FlowRunDetail",
    "FlowRunStateChanged",
    "FlowRunSummary",
    "Frame",
    "FsyncPolicy",
    "JournalError",
    "JournalSettings",
    "LogEmitted",
    "NotAJournalError",
    "PruneResult",
    "Record",
    "RecordType",
    "RunEnded",
    "RunNotFoundError",
    "RunStarted",
    "SegmentFile",
    "SegmentStarted",
    "TaskRunCreated",
    "TaskRunHistory",
    "TaskRunStateChanged",
    "decode",
    "encode",
    "find_run",
    "frame",
    "iter_frames",
    "journal_directory",
    "list_segments",
    "prune",
    "read",
    "read_file",
    "resolve_home",
    "run_detail",
    "runs",
    "verify",
    "verify_files",
]

# Loaded on first use: the runtime imports the journal's entry kinds on the per-task path,
# and `import actorflow` stays light.
_LAZY = {
    "Damage": "actorflow.journal._frames",
    "FileReport": "actorflow.journal._verify",
    "FlowRunCreated": "actorflow.journal._records",
    "FlowRunDetail": "actorflow.journal._reader",
    "FlowRunStateChanged": "actorflow.journal._records",
    "FlowRunSummary": "actorflow.journal._reader",
    "Frame": "actorflow.journal._frames",
    "FsyncPolicy": "actorflow.journal._settings",
    "JournalError": "actorflow.journal._reader",
    "JournalSettings": "actorflow.journal._settings",
    "LogEmitted": "actorflow.journal._records",
    "NotAJournalError": "actorflow.journal._reader",
    "PruneResult": "actorflow.journal._prune",
    "Record": "actorflow.journal._records",
    "RecordType": "actorflow.journal._records",
    "RunEnded": "actorflow.journal._records",
    "RunNotFoundError": "actorflow.journal._reader",
    "RunStarted": "actorflow.journal._records",
    "SegmentFile": "actorflow.journal._files",
    "SegmentStarted": "actorflow.journal._records",
    "TaskRunCreated": "actorflow.journal._records",
    "TaskRunHistory": "actorflow.journal._reader",
    "TaskRunStateChanged": "actorflow.journal._records",
    "decode": "actorflow.journal._records",
    "encode": "actorflow.journal._records",
    "find_run": "actorflow.journal._runs",
    "frame": "actorflow.journal._frames",
    "iter_frames": "actorflow.journal._frames",
    "journal_directory": "actorflow.journal._settings",
    "list_segments": "actorflow.journal._files",
    "prune": "actorflow.journal._prune",
    "read": "actorflow.journal._reader",
    "read_file": "actorflow.journal._reader",
    "resolve_home": "actorflow.journal._settings",
    "run_detail": "actorflow.journal._detail",
    "runs": "actorflow.journal._runs",
    "verify": "actorflow.journal._verify",
    "verify_files": "actorflow.journal._verify",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'actorflow.journal' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
