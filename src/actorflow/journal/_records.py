"""The journal's record types, and their msgpack form.

Each record is one msgpack array: a record-type code (`RecordType`), then the fields of
the record's class in the order they are declared here. A `StateType` is written as its
value (`"COMPLETED"`), everything else as the plain msgpack value. That order is the file
format: `docs/concepts/journal.md` lists it, and a field is only ever added at the end
(readers ignore fields they do not know, and default the ones an older file lacks).

Pure: no files, no threads.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any, Final

import msgpack

from actorflow.states import State, StateType

__all__ = [
    "FlowRunCreated",
    "FlowRunStateChanged",
    "LogEmitted",
    "Record",
    "RecordType",
    "RunEnded",
    "RunStarted",
    "SegmentStarted",
    "TaskRunCreated",
    "TaskRunStateChanged",
    "decode",
    "encode",
]


class RecordType(enum.IntEnum):
    """The code that starts each record's array."""

    SEGMENT_STARTED = 0
    FLOW_RUN_CREATED = 1
    TASK_RUN_CREATED = 2
    FLOW_RUN_STATE = 3
    TASK_RUN_STATE = 4
    LOG = 5
    RUN_STARTED = 10
    RUN_ENDED = 11


@dataclass(frozen=True, slots=True)
class SegmentStarted:
    """The first record of every segment: who writes it."""

    writer_id: str
    """One per `ActorSystem` journal writer; its segments share it."""
    segment: int
    """This segment's number among its writer's segments, from 1."""
    pid: int
    host: str
    boot_id: str
    """The host's boot id (Linux; "" elsewhere): a pid is only that process within one boot."""
    process_started: float
    """When the writing process started (seconds since the epoch, 0.0 if unknown): tells
    the process from a later one that reuses its pid."""
    timestamp: float
    actorflow_version: str


@dataclass(frozen=True, slots=True)
class FlowRunCreated:
    """A flow run was created (once per flow run, before its first state)."""

    flow_run_id: str
    flow_run_name: str
    flow_name: str
    parent_flow_run_id: str | None
    """The flow run that called it, for a subflow run."""
    task_runner: str
    parameters: dict[str, str]
    """Each parameter's `repr`, cut to a few hundred characters."""
    timestamp: float


@dataclass(frozen=True, slots=True)
class TaskRunCreated:
    """A task run was created, in state `Pending` (once per task run; its first state
    is not written again as a `TaskRunStateChanged`)."""

    task_run_id: str
    task_run_name: str
    task_name: str
    flow_run_id: str
    parameters: dict[str, str]
    """Each argument's `repr`, cut short (positional ones under their parameter names)."""
    timestamp: float


def _state_of(record: FlowRunStateChanged | TaskRunStateChanged) -> State:
    return State(
        type=record.state_type,
        name=record.state_name,
        message=record.message,
        timestamp=record.timestamp,
    )


@dataclass(frozen=True, slots=True)
class FlowRunStateChanged:
    """A flow run entered a state."""

    flow_run_id: str
    state_type: StateType
    state_name: str
    message: str | None
    timestamp: float

    @property
    def state(self) -> State:
        """The state, without its result or exception (the journal keeps neither)."""
        return _state_of(self)


@dataclass(frozen=True, slots=True)
class TaskRunStateChanged:
    """A task run entered a state."""

    task_run_id: str
    flow_run_id: str
    state_type: StateType
    state_name: str
    message: str | None
    timestamp: float

    @property
    def state(self) -> State:
        """The state, without its result or exception (the journal keeps neither)."""
        return _state_of(self)


@dataclass(frozen=True, slots=True)
class LogEmitted:
    """A log record of a run, at INFO or above."""

    flow_run_id: str
    task_run_id: str | None
    level: int
    logger: str
    message: str
    """The formatted message, with the exception's traceback after it, if any."""
    timestamp: float


@dataclass(frozen=True, slots=True)
class RunStarted:
    """Index files only: a top-level or subflow run started, and where its records begin."""

    flow_run_id: str
    flow_run_name: str
    flow_name: str
    parent_flow_run_id: str | None
    timestamp: float
    segment: str
    """The file name of the segment holding its `FlowRunCreated`."""
    offset: int
    """Where that record's frame starts in the segment."""


@dataclass(frozen=True, slots=True)
class RunEnded:
    """Index files only: a flow run reached its final state."""

    flow_run_id: str
    state_type: StateType
    state_name: str
    message: str | None
    timestamp: float
    task_runs: int
    """How many task runs it created (subflows' own task runs not included)."""
    task_runs_completed: int
    segment: str
    """The file name of the segment holding its final state."""
    offset: int
    """Where the frame after that record starts (its records all lie before it)."""


Record = (
    SegmentStarted
    | FlowRunCreated
    | TaskRunCreated
    | FlowRunStateChanged
    | TaskRunStateChanged
    | LogEmitted
    | RunStarted
    | RunEnded
)

_CLASSES: Final[dict[RecordType, type[Any]]] = {
    RecordType.SEGMENT_STARTED: SegmentStarted,
    RecordType.FLOW_RUN_CREATED: FlowRunCreated,
    RecordType.TASK_RUN_CREATED: TaskRunCreated,
    RecordType.FLOW_RUN_STATE: FlowRunStateChanged,
    RecordType.TASK_RUN_STATE: TaskRunStateChanged,
    RecordType.LOG: LogEmitted,
    RecordType.RUN_STARTED: RunStarted,
    RecordType.RUN_ENDED: RunEnded,
}
_CODES: Final[dict[type[Any], int]] = {cls: int(code) for code, cls in _CLASSES.items()}
_FIELDS: Final[dict[int, tuple[str, ...]]] = {
    int(code): tuple(f.name for f in dataclasses.fields(cls)) for code, cls in _CLASSES.items()
}
_STATE_TYPES: Final = {t.value: t for t in StateType}


def encode(record: Record) -> bytes:
    """The msgpack payload of one record."""
    code = _CODES[type(record)]
    values: list[Any] = [code]
    for name in _FIELDS[code]:
        value = getattr(record, name)
        values.append(value.value if isinstance(value, StateType) else value)
    packed: bytes = msgpack.packb(values, use_bin_type=True)
    return packed


class UnknownRecordError(ValueError):
    """A payload that is msgpack but not a record this version knows."""


def decode(payload: bytes) -> Record:
    """The record a payload holds.

    Raises:
        UnknownRecordError: not an array starting with a known record-type code, or with
            fewer fields than its type has.
        ValueError: not msgpack at all.
    """
    values = msgpack.unpackb(payload, raw=False, use_list=True, strict_map_key=False)
    if not isinstance(values, list) or not values or values[0] not in _FIELDS:
        msg = "not a journal record"
        raise UnknownRecordError(msg)
    code = values[0]
    names = _FIELDS[code]
    if len(values) - 1 < len(names):
        msg = f"a {_CLASSES[RecordType(code)].__name__} record with too few fields"
        raise UnknownRecordError(msg)
    fields = dict(zip(names, values[1:], strict=False))
    if "state_type" in fields:
        try:
            fields["state_type"] = _STATE_TYPES[fields["state_type"]]
        except (KeyError, TypeError):
            msg = f"unknown state type {fields['state_type']!r}"
            raise UnknownRecordError(msg) from None
    record: Record = _CLASSES[RecordType(code)](**fields)
    return record


def field_order(cls: type[Any]) -> tuple[str, ...]:
    """The fields of a record class, in their order in the record's array."""
    return _FIELDS[_CODES[cls]]
