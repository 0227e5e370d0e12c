"""Logging filters that hide distributed's tracebacks for failures actorflow reports itself.

- Objects it cannot pickle: active only on the client's event-loop thread, and only while
  it submits a call (see `_ClientLoop.submit_queued`); installed the first time.
- A lost scheduler: closing a client that is still trying to reconnect cancels its
  reconnection, which distributed logs as an ERROR with a `CancelledError` traceback;
  the task runs already say the scheduler was lost. Active only during that close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


class _QuietSerialization(logging.Filter):
    """Drops distributed's own error lines about an object it cannot pickle while
    `submit` runs on this thread: actorflow reports that failure itself, naming the
    argument."""

    def __init__(self) -> None:
        super().__init__()
        self.local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        del record
        return not getattr(self.local, "active", False)


_quiet_filter = _QuietSerialization()
_QUIET_LOGGERS = ("distributed.protocol.pickle", "distributed.protocol.core")


@contextlib.contextmanager
def _quiet_serialization() -> Iterator[None]:
    if not getattr(_quiet_serialization, "installed", False):
        for name in _QUIET_LOGGERS:
            logging.getLogger(name).addFilter(_quiet_filter)
        _quiet_serialization.installed = True  # type: ignore[attr-defined]
    _quiet_filter.local.active = True
    try:
        yield
    finally:
        _quiet_filter.local.active = False


class _QuietCancelledReconnect(logging.Filter):
    """Drops an ERROR record whose exception is the `CancelledError` of a reconnection
    that `Client.close` interrupted."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, asyncio.CancelledError)


@contextlib.contextmanager
def _quiet_cancelled_reconnect() -> Iterator[None]:
    client_logger = logging.getLogger("distributed.client")
    quiet = _QuietCancelledReconnect()
    client_logger.addFilter(quiet)
    try:
        yield
    finally:
        client_logger.removeFilter(quiet)
