"""Console output: `HH:MM:SS.mmm | message` lines, unless the user configured logging.

Every actorflow logger is a child of the `actorflow` logger. On the first run in a process,
if neither the root logger nor the `actorflow` logger has a handler, actorflow attaches one
console handler (stderr) to `actorflow` at level INFO and stops propagation there. If the
user configured logging (any handler on root or on `actorflow`), nothing is attached and
their configuration decides what is shown.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = [
    "ConsoleFormatter",
    "after_console",
    "console_held",
    "emit",
    "ensure_console_logging",
    "logger",
]

ROOT_LOGGER_NAME: Final = "actorflow"

logger = logging.getLogger(ROOT_LOGGER_NAME)
flow_run_logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.flow_runs")
task_run_logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.task_runs")
runner_logger = logging.getLogger(f"{ROOT_LOGGER_NAME}.task_runners")


class ConsoleFormatter(logging.Formatter):
    """Formats a record as `HH:MM:SS.mmm | message` (local time).

    Safe from any thread, without a lock: the `HH:MM:SS` of the last second formatted is
    cached as one `(second, stamp)` tuple, read and replaced as a single attribute (atomic
    under the GIL), so a line never pairs one second with another second's stamp.
    """

    _cached: tuple[int, str] = (-1, "")  # (second, its HH:MM:SS)

    def format(self, record: logging.LogRecord) -> str:
        line = self.line(record.created, record.getMessage())
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line

    def line(self, created: float, message: str) -> str:
        """The line for `message`, logged at `created` (seconds since the epoch)."""
        seconds = int(created)
        millis = int((created - seconds) * 1000)
        cached = self._cached  # one read: another thread may replace it at any time
        if cached[0] != seconds:  # strftime once per second, not once per line
            cached = (seconds, time.strftime("%H:%M:%S", time.localtime(seconds)))
            self._cached = cached
        return f"{cached[1]}.{millis:03d} | {message}"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time of the record (as `logging.lastResort`
    does), so redirections made after set-up are honoured."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> object:
        return sys.stderr

    def handle(self, record: logging.LogRecord) -> bool:
        """As `Handler.handle`, without the handler's lock: each record is formatted first,
        then written as one whole line by one `write` call, which Python's buffered streams
        already serialize. Threads logging at once then do not queue on a second lock."""
        if not self.filter(record):
            return False
        try:
            self.write(self.format(record))
        except Exception:
            self.handleError(record)
        return True

    @staticmethod
    def write(line: str) -> None:
        held: list[str] | None = getattr(_held, "lines", None)
        if held is not None:
            held.append(line)
            return
        stream = sys.stderr
        stream.write(line + "\n")
        stream.flush()


# -- holding a thread's lines --------------------------------------------------------------

_held = threading.local()


@contextlib.contextmanager
def console_held() -> Iterator[None]:
    """This thread's console lines wait for the end of the block, then go out in one write;
    then the actions deferred meanwhile with `after_console` run, in order.

    For a thread that reports many task runs at once (the Dask runner's reporter): every
    write is a system call during which another thread takes the GIL, so one write per line
    slows a busy process down. The actions are what makes a task run's end visible (its
    future, its ledger): run after the write, nothing that follows a "finished" line (a
    flow's next line, a print after `result()`) can reach the console before it. Lines of
    other threads are not held back.
    """
    if getattr(_held, "lines", None) is not None:  # nested: the outer block writes
        yield
        return
    lines: list[str] = []
    actions: list[tuple[Callable[..., object], tuple[Any, ...]]] = []
    _held.lines, _held.actions = lines, actions
    try:
        yield
    finally:
        _held.lines = _held.actions = None
        if lines:
            _write_lines(lines)
        for action, args in actions:
            try:
                action(*args)
            except Exception:
                logger.exception("A deferred step of %r failed", action)


def after_console(action: Callable[..., object], *args: Any) -> None:
    """`action(*args)` now, or, inside `console_held`, once the block's lines are written."""
    actions: list[tuple[Callable[..., object], tuple[Any, ...]]] | None = getattr(
        _held, "actions", None
    )
    if actions is None:
        action(*args)
    else:
        actions.append((action, args))


def _write_lines(lines: list[str]) -> None:
    try:
        stream = sys.stderr
        stream.write("\n".join(lines) + "\n")
        stream.flush()
    except Exception:  # stderr is gone or broken: as logging does, never raise
        if logging.raiseExceptions and sys.__stderr__ is not None:
            with contextlib.suppress(Exception):
                sys.__stderr__.write(f"actorflow: could not write {len(lines)} log line(s)\n")


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


# -- the per-task fast path ----------------------------------------------------------------
#
# Two lines per task run are part of the console contract, so they are on the hot path.
# `logging.Logger.info` spends most of its ~12 µs finding the caller's frame and filling
# a LogRecord field by field. `emit` makes the same, complete LogRecord from a template
# (the caller is fixed: actorflow) and hands it to `Logger.handle`, so levels, filters and
# every handler the user configured still apply. A custom LogRecord factory is honoured
# by falling back to the standard path.

_DEFAULT_FACTORY: Final = logging.getLogRecordFactory()
_LEVEL_NAMES: Final = {
    level: logging.getLevelName(level)
    for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL)
}
_template: dict[str, Any] = {}
# When `logging` was loaded, as `LogRecord.relativeCreated` counts from it: read off a
# record once, through the public API.
_probe = logging.LogRecord("actorflow", logging.DEBUG, __file__, 0, "", None, None)
_LOGGING_START: Final = _probe.created - _probe.relativeCreated / 1000
del _probe


def _refresh_template() -> None:
    """The LogRecord fields that are the same for every line of this process."""
    global _template  # noqa: PLW0603  (per-process cache, renewed after fork)
    mp = sys.modules.get("multiprocessing")
    process_name = "MainProcess"
    if mp is not None:
        try:
            process_name = mp.current_process().name
        except Exception:
            process_name = "MainProcess"
    _template = {
        "pathname": __file__,
        "filename": os.path.basename(__file__),  # noqa: PTH119  (pathlib costs import time)
        "module": "actorflow",
        "lineno": 0,
        "exc_info": None,
        "exc_text": None,
        "stack_info": None,
        "processName": process_name,
        "process": os.getpid(),
    }


_refresh_template()
os.register_at_fork(after_in_child=_refresh_template)


def emit(target: logging.Logger, level: int, msg: str, *args: object, func: str = "") -> str | None:
    """Log `msg % args` on `target`, like `target.log(level, msg, *args)` but cheaper.

    Returns the formatted message when it had to format it here (the line went straight
    to actorflow's console), else None: a caller that needs the text too (the run
    journal) formats it only when no one else did. Safe from any thread.
    """
    if not target.isEnabledFor(level):
        return None
    if logging.getLogRecordFactory() is not _DEFAULT_FACTORY or level not in _LEVEL_NAMES:
        target.log(level, msg, *args)
        return None
    console = _console_only(target, level)
    if console is not None:  # nothing else would see the record: write the line directly
        formatter: ConsoleFormatter = console.formatter  # type: ignore[assignment]
        text = msg % args if args else msg
        try:
            console.write(formatter.line(time.time(), text))
        except Exception:  # as Handler.handle would, on the record
            console.handleError(_record(target, level, msg, args, func))
        return text
    target.handle(_record(target, level, msg, args, func))
    return None


def _console_only(target: logging.Logger, level: int) -> _StderrHandler | None:
    """actorflow's own console handler, when it is the one handler `target`'s records reach
    and no filter, other handler or formatter could change or see them; else None."""
    if target.handlers or target.filters or not target.propagate or target.parent is not logger:
        return None
    if logger.propagate or logger.filters:
        return None
    try:
        (handler,) = logger.handlers  # one read: handlers may change on another thread
    except ValueError:
        return None
    if (
        type(handler) is not _StderrHandler
        or handler.filters
        or level < handler.level
        or type(handler.formatter) is not ConsoleFormatter
    ):
        return None
    return handler


def _record(
    target: logging.Logger, level: int, msg: str, args: tuple[object, ...], func: str
) -> logging.LogRecord:
    """The LogRecord `target.log(level, msg, *args)` would make here, from a template."""
    record = logging.LogRecord.__new__(logging.LogRecord)
    created = time.time()
    thread = threading.current_thread()
    record.__dict__ = {
        **_template,
        "name": target.name,
        "msg": msg,
        "args": args,
        "levelname": _LEVEL_NAMES[level],
        "levelno": level,
        "funcName": func,
        "created": created,
        "msecs": int((created - int(created)) * 1000) + 0.0,
        "relativeCreated": (created - _LOGGING_START) * 1000,
        "thread": thread.ident,
        "threadName": thread.name,
    }
    return record
