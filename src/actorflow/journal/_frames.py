"""Framing: how records sit in a journal file, so that damage is found and stepped over.

A journal file starts with `FILE_MAGIC`, then holds frames back to back::

    marker (2 bytes: AF 1A) | length (4 bytes, little-endian) | crc32 (4 bytes) | payload

`crc32` is that of the payload (`zlib.crc32`). A damaged length is caught too: the bytes
it delimits then do not match the checksum. The payload is one msgpack-encoded record (see
`actorflow.journal._records`).

Reading (`iter_frames`) never mistakes damage for data:

- a frame whose checksum does not match is reported as corrupt, and reading resumes at the
  next marker after its start, so one bad record does not hide those after it;
- a frame cut short by the end of the file (a process killed while writing) is reported as
  a torn tail, and reading stops there.

Pure functions over bytes: no files, no threads.
"""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING, Final, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "FILE_MAGIC",
    "HEADER_SIZE",
    "Damage",
    "Frame",
    "frame",
    "iter_frames",
    "pack_header",
]

FILE_MAGIC: Final = b"ACTORFLOW-JOURNAL\x00\x01\n"
"""The first bytes of every journal file (segments and index files); the last byte before
the newline is the format version."""

MARKER: Final = b"\xaf\x1a"
_HEADER: Final = struct.Struct("<2sII")
HEADER_SIZE: Final = _HEADER.size  # 10
MAX_PAYLOAD: Final = 64 * 1024 * 1024
"""No record is this big (nor empty): another length read from a file is damage."""


class Frame(NamedTuple):
    """One intact record: its payload and where its frame starts in the data."""

    offset: int
    payload: bytes


class Damage(NamedTuple):
    """Bytes that are not an intact frame: `kind` is "corrupt" (reading went on after
    it) or "torn" (the data ends inside a frame: a write was cut short)."""

    offset: int
    size: int
    kind: str


def frame(payload: bytes) -> bytes:
    """The frame of one payload."""
    return _pack_header(MARKER, len(payload), _crc32(payload)) + payload


pack_header: Final = _HEADER.pack
"""`pack_header(MARKER, length, crc32)`: a frame's header, for writers that append the
header and the payload to a buffer separately (one copy less than `frame`)."""
_pack_header: Final = _HEADER.pack
_crc32: Final = zlib.crc32


def iter_frames(data: bytes, start: int = 0) -> Iterator[Frame | Damage]:
    """The frames in `data` from `start` (just after `FILE_MAGIC` for a whole file), in
    order, with each damaged stretch between them reported once: "corrupt" when an intact
    frame follows it, "torn" when it runs to the end of the data."""
    view = memoryview(data)
    end = len(view)
    position = start
    damaged_from: int | None = None
    unpack = _HEADER.unpack_from
    crc32 = zlib.crc32
    while position < end:
        if end - position >= HEADER_SIZE:
            marker, length, crc = unpack(view, position)
            body_end = position + HEADER_SIZE + length
            if marker == MARKER and 0 < length <= MAX_PAYLOAD and body_end <= end:
                payload = view[position + HEADER_SIZE : body_end]
                if crc32(payload) == crc:
                    if damaged_from is not None:
                        yield Damage(damaged_from, position - damaged_from, "corrupt")
                        damaged_from = None
                    yield Frame(position, payload.tobytes())
                    position = body_end
                    continue
        # Not an intact frame here: damage, up to the next marker that starts one.
        if damaged_from is None:
            damaged_from = position
        found = data.find(MARKER, position + 1)
        position = end if found < 0 else found
    if damaged_from is not None:
        yield Damage(damaged_from, end - damaged_from, "torn")
