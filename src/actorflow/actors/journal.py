"""The journal actor: one writer per actor system, fed off the per-task path.

Its mailbox is a `deque`: the shells append one entry per event (see
`actorflow.journal._entries`), which costs about 0.05 µs and wakes nobody. Its thread
wakes every `flush_interval` (0.1 s by default), or at once when told (`wake`: a flow
run's final state, a `flush`), takes everything in the mailbox and hands it to its
`SegmentWriter` as one batch.

Why not a Pykka actor: Pykka's inbox wakes the actor's thread for every message, which
would put a thread hand-off (40-190 µs on a 2-core machine) on every state change of every
task run. Here the hand-off happens once per batch, off the per-task path.

Thread rules: `record` (the deque's `append`), `wake`, `flush` and `stop` are safe from
any thread; everything else runs on the actor's own thread. `flush` is for user threads
only (it blocks, with a timeout); no actor ever waits on this one.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import functools
import logging
import os
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, Final

from actorflow.core.names import new_id
from actorflow.journal import _entries as e
from actorflow.journal._prune import prune_directory
from actorflow.journal._writer import SegmentWriter

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from actorflow.journal._settings import JournalSettings

__all__ = ["JournalActor"]

logger = logging.getLogger("actorflow.journal")
_STOP: Final = object()


class _Flush:
    """A `flush` request: set once every entry before it is written, or failed to be."""

    __slots__ = ("done", "ok")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = True


class JournalActor:
    """Writes a system's journal; see the module docs."""

    def __init__(self, directory: Path, settings: JournalSettings) -> None:
        """Opens the first segment on the calling thread, so a journal that cannot be
        written fails here, in the caller, with the `OSError` saying why."""
        self.directory = directory
        self.settings = settings
        self._writer = SegmentWriter(directory, settings, writer_id=new_id()[:16])
        if settings.max_bytes is not None:
            self._writer.on_rotate = self._apply_size_cap
        self._mailbox: collections.deque[Any] = collections.deque()
        self.record: Callable[[tuple[Any, ...]], None] = self._mailbox.append
        """Post one entry (see `actorflow.journal._entries`). Safe from any thread."""
        self._wakeup = threading.Event()
        self._stopped = threading.Event()
        self._failed_once = False
        self._last_write_ok = True  # (read by `flush` once the thread has ended)
        self._thread = self._start_thread()
        # At interpreter exit, what is left is written and synced, whether or not the
        # system was shut down (its thread is a daemon: it would be cut off).
        this = weakref.ref(self)
        self._at_exit = functools.partial(_stop_at_exit, this)
        atexit.register(self._at_exit)
        os.register_at_fork(after_in_child=functools.partial(_after_fork, this))

    def _start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self._loop, name="actorflow-journal", daemon=True)
        thread.start()
        return thread

    @property
    def writer_id(self) -> str:
        return self._writer.writer_id

    @property
    def dropped(self) -> int:
        """Entries that could not be written (each failure is logged)."""
        return self._writer.dropped

    def wake(self) -> None:
        """Write what is in the mailbox now, not at the next interval. Safe from any thread."""
        self._wakeup.set()

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Block until every entry posted before this call is written (for user threads).
        False if that did not happen within `timeout` seconds, if writing failed, or if
        the journal is stopped."""
        if self._stopped.is_set():  # everything before the stop was written, if it could be
            return self._last_write_ok and not self._mailbox
        request = _Flush()
        self.record((e.FLUSH, request))
        self._wakeup.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        while not request.done.wait(0.1):  # in slices: the journal may stop meanwhile
            if self._stopped.is_set() or (deadline is not None and time.monotonic() > deadline):
                return False
        return request.ok

    def stop(self, timeout: float | None = 10.0) -> bool:
        """Write what is left, sync, close the files and end the thread. Safe from any
        thread; a second call waits for the first. False if the thread had not ended in
        `timeout` seconds."""
        atexit.unregister(self._at_exit)
        self.record((_STOP,))
        self._wakeup.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- the actor's thread ---------------------------------------------------------------

    def _loop(self) -> None:
        if self.settings.max_bytes is not None:
            self._apply_size_cap()  # a short process may never start a second segment
        interval = self.settings.flush_interval
        mailbox = self._mailbox
        stopping = False
        while not stopping:
            self._wakeup.wait(interval)
            self._wakeup.clear()
            batch: list[Any] = []
            take = mailbox.popleft
            for _ in range(len(mailbox)):
                entry = take()
                if entry[0] is _STOP:
                    stopping = True
                    break
                batch.append(entry)
            self._write(batch)
        try:
            self._writer.close()
        except OSError as error:
            self._last_write_ok = False
            self._report(error)
        finally:
            self._stopped.set()
            while mailbox:  # posted after the stop: no one will write them
                entry = mailbox.popleft()
                if entry[0] == e.FLUSH:
                    entry[1].ok = False
                    entry[1].done.set()

    def _write(self, batch: list[Any]) -> None:
        if not batch:
            return
        requests: list[Any] = [entry[1] for entry in batch if entry[0] == e.FLUSH]
        dropped = self._writer.dropped
        try:
            self._writer.write(batch)
            skipped = self._writer.dropped - dropped
            self._last_write_ok = True
        except OSError as error:
            skipped = 0
            self._last_write_ok = False
            self._report(error, lost=len(batch) - len(requests))
            for request in requests:
                request.ok = False
        except Exception:  # a bug of ours: the runs must go on, the journal with them
            skipped = 0
            logger.exception("The journal could not write a batch of %d records", len(batch))
            for request in requests:
                request.ok = False
        if skipped:
            logger.warning("The journal skipped %d record(s) it could not encode", skipped)
        for request in requests:
            request.done.set()

    def _apply_size_cap(self) -> None:
        """On this thread, each time the writer starts a segment: the oldest segments go
        until the journal fits `max_bytes` (this writer's current one stays)."""
        writer = self._writer
        needed = writer.oldest_open_segment
        prune_directory(
            self.directory,
            older_than=None,
            max_bytes=self.settings.max_bytes,
            own_writer=(writer.writer_id, writer.segment_number if needed is None else needed),
        )

    def _report(self, error: OSError, lost: int = 0) -> None:
        self._writer.dropped += lost
        if not self._failed_once:  # once: a full disk would otherwise flood the console
            self._failed_once = True
            logger.error(
                "The journal in %s could not be written (%s); %d record(s) lost, and later "
                "failures are counted without a message",
                self.directory,
                error,
                lost,
            )


def _stop_at_exit(ref: weakref.ref[JournalActor]) -> None:
    journal = ref()
    if journal is not None:
        journal.stop(timeout=5.0)


def _after_fork(ref: weakref.ref[JournalActor]) -> None:
    """In a forked child: the parent's thread is not there, and its files are the
    parent's. The child's journal starts afresh: a new writer (its own files, under its
    own pid) and a new thread, and nothing of the parent's mailbox."""
    journal = ref()
    if journal is None:
        return
    journal._mailbox.clear()  # noqa: SLF001  (the one instance, in the one child thread)
    journal._stopped = threading.Event()  # noqa: SLF001
    old = journal._writer  # noqa: SLF001
    for fd in (old._fd, old._index_fd):  # noqa: SLF001  (the parent's: not the child's to write)
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)
    try:
        fresh = SegmentWriter(journal.directory, journal.settings, writer_id=new_id()[:16])
        journal._writer = fresh  # noqa: SLF001
        if old.on_rotate is not None:
            journal._writer.on_rotate = journal._apply_size_cap  # noqa: SLF001
    except OSError:
        journal._stopped.set()  # noqa: SLF001  (the child runs without a journal)
        return
    journal._thread = journal._start_thread()  # noqa: SLF001
