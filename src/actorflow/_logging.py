"""Console output: `HH:MM:SS.mmm | message` lines, unless the user configured logging.

Every actorflow logger is a child of the `actorflow` logger. On the first run in a process,
if neither the root logger nor the `actorflow` logger has a handler, actorflow attaches one
console handler (stderr) to `actorflow` at level INFO and stops propagation there. If the
user configured logging (any handler on root or on `actorflow`), nothing is attached and
their configuration decides what is shown.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Final

__all__ = ["ConsoleFormatter", "ensure_console_logging", "logger"]

ROOT_LOGGER_NAME: Final = "actorflow"

logger = logging.getLogger(ROOT_LOGGER_NAME)
flow_run_logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.flow_runs")
task_run_logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.task_runs")
runner_logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.task_runners")


class ConsoleFormatter(logging.Formatter):
    """Formats a record as `HH:MM:SS.mmm | message` (local time)."""

    def format(self, record: logging.LogRecord) -> str:
        seconds = int(record.created)
        millis = int((record.created - seconds) * 1000)
        stamp = time.strftime("%H:%M:%S", time.localtime(seconds))
        line = f"{stamp}.{millis:03d} | {record.getMessage()}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time of the record (as `logging.lastResort`
    does), so redirections made after set-up are honoured."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property  # type: ignore[override]
    def stream(self) -> object:
        return sys.stderr


_configured = False
_configure_lock = threading.Lock()


def ensure_console_logging() -> None:
    """Attach the console handler once per process, unless logging is configured.

    Safe from any thread; cheap after the first call.
    """
    global _configured  # noqa: PLW0603  (a process-wide, once-only switch)
    if _configured:
        return
    with _configure_lock:
        if _configured:
            return
        _configured = True
        if logging.getLogger().handlers or logger.handlers:
            return
        handler = _StderrHandler()
        handler.setFormatter(ConsoleFormatter())
        logger.addHandler(handler)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)
        logger.propagate = False
