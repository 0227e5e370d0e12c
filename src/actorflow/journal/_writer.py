"""The segment writer: turns batches of entries into framed records in its own files.

Used by one thread only (the journal actor's, `actorflow.actors.journal`); no locks. It
owns a segment file and its index file at a time, and starts the next pair when the
segment outgrows `JournalSettings.segment_bytes`.

Durability: `write` hands each batch to the operating system with `os.write` before it
returns (a killed process loses nothing written); `os.fsync` follows as the settings'
`fsync` policy says.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import sys
import time
import weakref
import zlib
from typing import TYPE_CHECKING, Any, Final

import msgpack

from actorflow.journal import _entries as e
from actorflow.journal._files import (
    INDEX_SUFFIX,
    SEGMENT_SUFFIX,
    boot_id,
    host_name,
    process_started,
    segment_stem,
)
from actorflow.journal._frames import FILE_MAGIC, MARKER, frame, pack_header
from actorflow.journal._parameters import text_of
from actorflow.journal._records import RecordType, SegmentStarted, encode
from actorflow.states import FINAL_STATE_TYPES, StateType

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from actorflow.journal._settings import JournalSettings

__all__ = ["SegmentWriter"]

_COMPLETED: Final = StateType.COMPLETED.value
_TASK_STATE: Final = e.TASK_STATE
_TASK_CREATED: Final = e.TASK_CREATED
_pack_header: Final = pack_header
_crc32: Final = zlib.crc32
_ENDED_KEPT: Final = 1000  # ended runs whose late records still extend their stretch
_FILE_MODE: Final = 0o600  # a journal may hold parameters: readable by its owner only
_FINAL: Final = frozenset(t.value for t in FINAL_STATE_TYPES)
_R_TASK_CREATED: Final = int(RecordType.TASK_RUN_CREATED)
_R_TASK_STATE: Final = int(RecordType.TASK_RUN_STATE)
_R_FLOW_CREATED: Final = int(RecordType.FLOW_RUN_CREATED)
_R_FLOW_STATE: Final = int(RecordType.FLOW_RUN_STATE)
_R_LOG: Final = int(RecordType.LOG)
_R_RUN_STARTED: Final = int(RecordType.RUN_STARTED)
_R_RUN_ENDED: Final = int(RecordType.RUN_ENDED)


class _OpenRun:
    """What the writer counts of a flow run between its creation and its end."""

    __slots__ = ("completed", "created", "final", "segment")

    def __init__(self, segment: int) -> None:
        self.segment = segment  # the number of the segment holding its first record
        self.created = 0
        self.completed = 0
        self.final: list[Any] | None = None  # its final state's fields, once recorded


class _Batch:
    """The bytes and events of one `write` call."""

    __slots__ = ("base", "ended", "events", "index", "late", "records")

    def __init__(self, base: int) -> None:
        self.late: set[str] = set()  # ended runs this batch has records of
        self.base = base  # the segment's size before the batch
        self.records = bytearray()
        self.index = bytearray()
        self.events: list[Any] = []
        self.ended = False  # a flow run ended in it


class SegmentWriter:
    """Appends records to the current segment of one writer. One thread only."""

    def __init__(self, directory: Path, settings: JournalSettings, *, writer_id: str) -> None:
        self.directory = directory
        self.settings = settings
        self.writer_id = writer_id
        self.started = time.time()
        self.dropped = 0
        """Entries that could not be encoded (each is also reported to `on_drop`)."""
        self.segment_name = ""
        self._number = 0
        self._fd = -1
        self._index_fd = -1
        self._size = 0
        self._unsynced = False
        self._pack = msgpack.Packer(use_bin_type=True, autoreset=True).pack
        # Flow runs created and not yet ended (for the index's RunEnded), and the last
        # ones that ended (a late record of one re-writes its RunEnded further on).
        self._open_runs: dict[str, _OpenRun] = {}
        self._ended: dict[str, _OpenRun] = {}
        self._index_size = 0
        # Positional parameter names per function, held weakly: no task function, partial
        # or closure is kept alive by the journal.
        self._names: weakref.WeakKeyDictionary[
            Callable[..., Any], tuple[tuple[str, ...], str | None]
        ] = weakref.WeakKeyDictionary()
        self.on_rotate: Callable[[], None] | None = None
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._open_segment()

    # -- files ------------------------------------------------------------------------

    def _open_segment(self) -> None:
        """Start the next segment and its index. On failure nothing is left half open:
        the next `write` tries again with the following number."""
        self._number += 1
        stem = segment_stem(self.started, os.getpid(), self.writer_id, self._number)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        path = self.directory / f"{stem}{SEGMENT_SUFFIX}"
        header = SegmentStarted(
            writer_id=self.writer_id,
            segment=self._number,
            pid=os.getpid(),
            host=host_name(),
            boot_id=boot_id(),
            process_started=process_started(os.getpid()),
            timestamp=time.time(),
            actorflow_version=_version(),
        )
        start = FILE_MAGIC + frame(encode(header))
        fd = index_fd = -1
        try:
            fd = os.open(path, flags, _FILE_MODE)
            index_fd = os.open(self.directory / f"{stem}{INDEX_SUFFIX}", flags, _FILE_MODE)
            _write_all(fd, start)
            _write_all(index_fd, FILE_MAGIC)
            if self.settings.fsync != "never":  # the new names survive a power loss
                _sync_directory(self.directory)
        except OSError:
            for opened in (fd, index_fd):
                if opened >= 0:
                    os.close(opened)
            raise
        self._fd, self._index_fd = fd, index_fd
        self.segment_name = path.name
        self._size = len(start)
        self._index_size = len(FILE_MAGIC)
        self._unsynced = True

    def close(self) -> None:
        """Sync and close the current files. Safe to call twice; after a failure the files
        are closed all the same (and the error raised)."""
        if self._fd < 0:
            return
        fd, index_fd = self._fd, self._index_fd
        self._fd = self._index_fd = -1
        try:
            if self._unsynced:
                os.fsync(fd)
                os.fsync(index_fd)
                self._unsynced = False
        finally:
            os.close(fd)
            os.close(index_fd)

    def sync(self) -> None:
        if self._unsynced and self._fd >= 0:
            os.fsync(self._fd)
            os.fsync(self._index_fd)
            self._unsynced = False

    # -- records ------------------------------------------------------------------------

    def write(self, entries: Iterable[tuple[Any, ...]]) -> list[Any]:
        """Write the records of `entries`, in order; sync as the policy says. Returns the
        `FLUSH` entries' events, to be set by the caller once it is done with the batch.

        An entry that cannot be encoded (a log message whose arguments do not fit it) is
        skipped and counted in `dropped`.

        Raises:
            OSError: writing failed (the caller reports it; the batch is lost).
        """
        if self._fd < 0:  # a failed rotation or write closed the files: start afresh
            self._open_segment()
        batch = _Batch(self._size)
        self._encode(entries, batch)
        for run_id in batch.late:  # records of runs that had ended: extend their stretch
            self._end_run(self._ended[run_id], batch)
        try:
            if batch.records:
                _write_all(self._fd, batch.records)
            if batch.index:
                _write_all(self._index_fd, batch.index)
        except OSError:
            self._undo_partial_write()
            raise
        self._size += len(batch.records)
        self._index_size += len(batch.index)
        self._unsynced = self._unsynced or bool(batch.records)
        policy = self.settings.fsync
        if policy == "always" or (batch.ended and policy == "final"):
            self.sync()
        if self._size >= self.settings.segment_bytes:
            self._rotate()
        return batch.events

    def _encode(self, entries: Iterable[tuple[Any, ...]], batch: _Batch) -> None:
        encoders = self._encoders
        records = batch.records
        pack = self._pack
        open_runs = self._open_runs
        for entry in entries:
            try:
                code = entry[0]
                # The commonest entries (three per task run) inline: no call per record.
                if code == _TASK_STATE:
                    _, task_run_id, flow_run_id, kind, name, message, timestamp = entry
                    payload = pack(
                        [_R_TASK_STATE, task_run_id, flow_run_id, kind, name, message, timestamp]
                    )
                elif code == _TASK_CREATED:
                    _, task_run_id, name, task_name, flow_run_id, fn, args, kwargs, at = entry
                    parameters = self._parameters(fn, args, kwargs) if args or kwargs else {}

                    payload = pack(
                        [_R_TASK_CREATED, task_run_id, name, task_name, flow_run_id, parameters, at]
                    )
                    kind = None
                else:
                    encoders[code](entry, batch)
                    continue
                records += _pack_header(MARKER, len(payload), _crc32(payload))
                records += payload
                if (run := open_runs.get(flow_run_id)) is not None:
                    if kind is None:
                        run.created += 1
                    elif kind == _COMPLETED:
                        run.completed += 1
                elif flow_run_id in self._ended:
                    batch.late.add(flow_run_id)
            except Exception:
                self.dropped += 1

    def _undo_partial_write(self) -> None:
        """After a failed write (a full disk), cut both files back to their last whole
        batch, so the index's offsets stay true; if even that fails, close them (the next
        batch starts a new segment)."""
        try:
            os.ftruncate(self._fd, self._size)
            os.ftruncate(self._index_fd, self._index_size)
        except OSError:
            with contextlib.suppress(OSError):
                self.close()
            self._fd = self._index_fd = -1

    # One encoder per entry kind but the task runs' two, done in `_encode` (see `_entries`
    # for the layouts); each appends frames.

    def _log(self, entry: tuple[Any, ...], batch: _Batch) -> None:
        _, flow_run_id, task_run_id, at, level, logger_name, text, exc = entry
        if exc:
            text = f"{text}\n{exc}"
        batch.records += frame(
            self._pack([_R_LOG, flow_run_id, task_run_id, level, logger_name, text, at])
        )
        if flow_run_id not in self._open_runs and flow_run_id in self._ended:
            batch.late.add(flow_run_id)  # e.g. an abandoned task's line, after its run ended

    def _flow_state(self, entry: tuple[Any, ...], batch: _Batch) -> None:
        _, flow_run_id, kind, name, message, timestamp = entry
        fields = [flow_run_id, kind, name, message, timestamp]
        batch.records += frame(self._pack([_R_FLOW_STATE, *fields]))
        if kind in _FINAL and (run := self._open_runs.get(flow_run_id)):
            run.final = fields

    def _flow_created(self, entry: tuple[Any, ...], batch: _Batch) -> None:
        _, flow_run_id, name, flow_name, parent, runner, fn, args, kwargs, at = entry
        parameters = self._parameters(fn, args, kwargs)
        offset = batch.base + len(batch.records)
        batch.records += frame(
            self._pack(
                [_R_FLOW_CREATED, flow_run_id, name, flow_name, parent, runner, parameters, at]
            )
        )
        self._open_runs[flow_run_id] = _OpenRun(self._number)
        batch.index += frame(
            self._pack(
                [
                    _R_RUN_STARTED,
                    flow_run_id,
                    name,
                    flow_name,
                    parent,
                    at,
                    self.segment_name,
                    offset,
                ]
            )
        )

    def _flow_ended(self, entry: tuple[Any, ...], batch: _Batch) -> None:
        run = self._open_runs.pop(entry[1], None)
        if run is None or run.final is None:
            return  # not opened by this writer, or ended without a final state (a bug)
        self._end_run(run, batch)
        self._ended[entry[1]] = run
        while len(self._ended) > _ENDED_KEPT:
            self._ended.pop(next(iter(self._ended)))
        batch.ended = True

    def _end_run(self, run: _OpenRun, batch: _Batch) -> None:
        """The index's `RunEnded`: written at the run's end, and again (the last one
        counts) when records of it come later, so its stretch covers them."""
        assert run.final is not None
        batch.index += frame(
            self._pack(
                [
                    _R_RUN_ENDED,
                    *run.final,
                    run.created,
                    run.completed,
                    self.segment_name,
                    batch.base + len(batch.records),
                ]
            )
        )

    @property
    def segment_number(self) -> int:
        """The number of the segment being written."""
        return self._number

    @property
    def oldest_open_segment(self) -> int | None:
        """The number of the oldest segment holding a run not yet ended, if any."""
        return min((r.segment for r in self._open_runs.values()), default=None)

    def _flush(self, entry: tuple[Any, ...], batch: _Batch) -> None:
        batch.events.append(entry[1])

    @property
    def _encoders(self) -> dict[int, Callable[[tuple[Any, ...], _Batch], None]]:
        return {
            e.LOG: self._log,
            e.FLOW_STATE: self._flow_state,
            e.FLOW_CREATED: self._flow_created,
            e.FLOW_ENDED: self._flow_ended,
            e.FLUSH: self._flush,
        }

    def _rotate(self) -> None:
        try:
            self.close()
        finally:  # a failed close still moves on (or the next write retries the open)
            self._open_segment()
        if self.on_rotate is not None:
            self.on_rotate()

    def _parameters(
        self,
        fn: Callable[..., Any] | None,
        args: tuple[Any, ...] | None,
        kwargs: dict[str, Any] | None,
    ) -> dict[str, str]:
        """The parameters' texts (see `_parameters`) under their parameter names."""
        texts = {str(k): text_of(v) for k, v in kwargs.items()} if kwargs else {}
        if fn is None:
            return texts
        if not args:
            return texts
        try:
            names = self._names.get(fn)
        except TypeError:  # not weakly referable: worked out every time
            names = None
        if names is None:
            names = _positional_names(fn)
            with contextlib.suppress(TypeError):
                self._names[fn] = names
        positional, star = names
        parameters: dict[str, str] = {}
        for i, value in enumerate(args):
            if i < len(positional):
                parameters[positional[i]] = text_of(value)
            else:
                parameters[f"{star or 'args'}[{i - len(positional)}]"] = text_of(value)
        parameters.update(texts)
        return parameters


def _positional_names(fn: Callable[..., Any]) -> tuple[tuple[str, ...], str | None]:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return (), None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    positional = tuple(p.name for p in parameters if p.kind in kinds)
    star = next((p.name for p in parameters if p.kind is inspect.Parameter.VAR_POSITIONAL), None)
    return positional, star


def _sync_directory(directory: Path) -> None:
    """Make the directory's new entries durable (POSIX; a no-op where it cannot)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes | bytearray) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _version() -> str:
    module = sys.modules.get("actorflow")
    return str(getattr(module, "__version__", ""))
