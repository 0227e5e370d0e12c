"""A status line kept at the bottom of the terminal while other lines scroll above it.

While it shows, `sys.stderr` (and `sys.stdout`, when it is the terminal too) are replaced
by `_Writer`s: a write that ends a line clears the status line, writes the line, and draws
the status line again, in one write to the terminal. That costs a few string operations
per line, where routing every console line through `rich.live` cost about 1 ms each
(a run of 10,000 task runs writes 20,000 lines).
"""

from __future__ import annotations

import sys
import threading
from typing import Any, Final, TextIO

__all__ = ["StatusLine"]

_CLEAR: Final = "\r\x1b[2K"  # to the line's start, and erase it


class _Writer:
    """Stands in for one stream: whole lines go out above the status line."""

    def __init__(self, status: StatusLine, stream: TextIO) -> None:
        self._status = status
        self._stream = stream
        self._partial = ""

    def write(self, text: str) -> int:
        with self._status.lock:
            pending = self._partial + text
            head, newline, self._partial = pending.rpartition("\n")
            if newline:
                self._status.write_above(self._stream, head + "\n")
        return len(text)

    def flush(self) -> None:
        with self._status.lock:
            self._stream.flush()

    def drain(self) -> None:
        """Write what is left of a line not ended."""
        if self._partial:
            self._status.write_above(self._stream, self._partial + "\n")
            self._partial = ""

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding...: the stream's
        return getattr(self._stream, name)


class StatusLine:
    """The status line on stderr: `start()`, then `show(text)` as it changes, `stop()`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._terminal: TextIO = sys.stderr
        self._text = ""
        self._writers: list[tuple[str, _Writer]] = []

    def start(self) -> None:
        """Take over the streams (the line shows at the first `show`)."""
        with self.lock:
            self._terminal = sys.stderr
            self._writers = [("stderr", _Writer(self, sys.stderr))]
            if sys.stdout is not None and sys.stdout.isatty():
                self._writers.append(("stdout", _Writer(self, sys.stdout)))
            for name, writer in self._writers:
                setattr(sys, name, writer)

    def stop(self) -> None:
        """Leave the last status on the screen, and the streams as they were."""
        with self.lock:
            for name, writer in self._writers:
                writer.drain()
                setattr(sys, name, writer._stream)  # noqa: SLF001  (its own helper)
            if self._text:
                self._terminal.write(f"{_CLEAR}{self._text}\n")
                self._terminal.flush()
            self._writers = []

    def show(self, text: str) -> None:
        with self.lock:
            self._text = text
            self._terminal.write(f"{_CLEAR}{text}")
            self._terminal.flush()

    def write_above(self, stream: TextIO, lines: str) -> None:
        """Write whole lines above the status line (call with the lock held)."""
        if stream is self._terminal:
            stream.write(f"{_CLEAR}{lines}{self._text}")
        else:
            self._terminal.write(_CLEAR)
            self._terminal.flush()
            stream.write(lines)
            stream.flush()
            self._terminal.write(self._text)
        self._terminal.flush()
