"""A logging filter that hides distributed's complaints about objects it cannot pickle.

Active only on the client's event-loop thread, and only while it submits a call (see
`_ClientLoop.submit_queued`); installed on distributed's loggers the first time.
"""

from __future__ import annotations

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
