"""The wire form of messages: msgpack, with Python objects carried by reference.

Messages are plain data by design, and this codec is the proof: every message type packs
to msgpack and unpacks to an equal message (property-tested). Fields that hold Python
objects — results, exceptions, callables, actor refs — are packed as a *reference*: an
integer handle into the codec's table, taken out again when unpacked. A reference is
valid once, in the process and codec that made it; such objects never cross a process
boundary through this codec.

Inside one process actors pass message objects directly (packing costs time and buys
nothing there); the codec fixes what a message may contain.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from typing import Any, Final

import msgpack

from actorflow.actors import messages
from actorflow.states import State, StateType

__all__ = ["Codec"]

_EXT_REF: Final = 1
_EXT_STATE: Final = 2

_MESSAGE_TYPES: Final[dict[str, type[Any]]] = {
    cls.__name__: cls
    for cls in (getattr(messages, name) for name in messages.__all__ if name != "Message")
}
_PLAIN: Final = (str, int, float, bool, type(None))


class Codec:
    """Packs messages to bytes and back. Safe to use from any thread."""

    def __init__(self) -> None:
        self._table: dict[int, Any] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def pack(self, message: messages.Message) -> bytes:
        """Pack one message; raises `TypeError` for an object that is not a message."""
        name = type(message).__name__
        if _MESSAGE_TYPES.get(name) is not type(message):
            msg = f"Codec.pack() takes an actorflow message, got {type(message).__name__}"
            raise TypeError(msg)
        fields = {
            f.name: self._encode(getattr(message, f.name)) for f in dataclasses.fields(message)
        }
        packed: bytes = msgpack.packb([name, fields], use_bin_type=True)
        return packed

    def unpack(self, data: bytes) -> messages.Message:
        """Unpack bytes made by `pack` of this codec."""
        name, fields = msgpack.unpackb(data, raw=False, ext_hook=self._ext_hook, use_list=False)
        cls = _MESSAGE_TYPES[name]
        # Arrays come back as tuples (use_list=False), which is what history fields hold.
        result: messages.Message = cls(**fields)
        return result

    def pending_references(self) -> int:
        """How many references were packed and not yet unpacked."""
        with self._lock:
            return len(self._table)

    # -- helpers ----------------------------------------------------------------------

    def _encode(self, value: Any) -> Any:
        if isinstance(value, _PLAIN):
            return value
        if isinstance(value, State):
            return msgpack.ExtType(_EXT_STATE, self._pack_state(value))
        if isinstance(value, tuple) and all(isinstance(v, State) for v in value):
            return [msgpack.ExtType(_EXT_STATE, self._pack_state(v)) for v in value]
        return msgpack.ExtType(_EXT_REF, self._reference(value))

    def _reference(self, value: Any) -> bytes:
        handle = next(self._ids)
        with self._lock:
            self._table[handle] = value
        packed: bytes = msgpack.packb(handle)
        return packed

    def _pack_state(self, state: State) -> bytes:
        data = self._reference(state.data) if state.has_data else None
        packed: bytes = msgpack.packb(
            [state.type.value, state.name, state.message, state.timestamp, data],
            use_bin_type=True,
        )
        return packed

    def _ext_hook(self, code: int, data: bytes) -> Any:
        if code == _EXT_REF:
            handle = msgpack.unpackb(data)
            with self._lock:
                return self._table.pop(handle)
        if code == _EXT_STATE:
            type_, name, message, timestamp, ref = msgpack.unpackb(
                data, raw=False, ext_hook=self._ext_hook
            )
            extra = {} if ref is None else {"data": self._ext_hook(_EXT_REF, ref)}
            return State(
                type=StateType(type_), name=name, message=message, timestamp=timestamp, **extra
            )
        msg = f"unknown msgpack extension type {code}"
        raise ValueError(msg)
