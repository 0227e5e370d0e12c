"""Every message is a frozen dataclass that round-trips through msgpack."""

from __future__ import annotations

import dataclasses
import typing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actorflow.actors import messages
from actorflow.actors.codec import Codec
from actorflow.states import State, StateType

MESSAGE_TYPES = [getattr(messages, n) for n in messages.__all__ if n != "Message"]

ids = st.text(alphabet="0123456789abcdef", min_size=1, max_size=32)
states = st.builds(
    State,
    type=st.sampled_from(list(StateType)),
    name=st.sampled_from(["", "Retrying", "NotReady", "TimedOut"]),
    message=st.none() | st.text(max_size=40),
    timestamp=st.floats(0, 2e9, allow_nan=False),
    data=st.none() | st.integers() | st.builds(ValueError, st.text(max_size=10)),
)
by_reference = st.builds(object) | st.builds(ValueError, st.text(max_size=5)) | st.just(print)


STRATEGIES = {
    "str": ids | st.text(max_size=30),
    "bool": st.booleans(),
    "int": st.integers(0, 2**31),
    "tuple[int, ...]": st.lists(st.integers(0, 100), max_size=4).map(tuple),
    "State": states,
    "tuple[State, ...]": st.lists(states, max_size=4).map(tuple),
}


def strategy_for(annotation: str):
    # Any / BaseException fields are carried by reference.
    return STRATEGIES.get(annotation, by_reference)


def message_strategy(cls):
    hints = {f.name: f.type for f in dataclasses.fields(cls)}
    return st.builds(cls, **{name: strategy_for(str(t)) for name, t in hints.items()})


@pytest.mark.parametrize("cls", MESSAGE_TYPES, ids=lambda c: c.__name__)
def test_messages_are_frozen_slotted_keyword_only(cls):
    params = cls.__dataclass_params__
    assert params.frozen
    assert "__slots__" in cls.__dict__
    assert all(f.kw_only for f in dataclasses.fields(cls))
    assert cls.__doc__


@pytest.mark.parametrize("cls", MESSAGE_TYPES, ids=lambda c: c.__name__)
def test_every_message_names_the_run_it_concerns(cls):
    names = {f.name for f in dataclasses.fields(cls)}
    assert names & {"flow_run_id", "task_run_id", "supervisor_id", "run_id"}


@given(st.one_of([message_strategy(cls) for cls in MESSAGE_TYPES]))
def test_round_trip_through_msgpack(message):
    codec = Codec()
    data = codec.pack(message)
    assert isinstance(data, bytes)
    back = codec.unpack(data)
    assert back == message
    assert type(back) is type(message)
    for field in dataclasses.fields(message):
        original = getattr(message, field.name)
        if not isinstance(original, str | bool | int | float | State | tuple | type(None)):
            assert getattr(back, field.name) is original  # by reference, not a copy
    assert codec.pending_references() == 0


def test_state_data_travels_by_reference():
    codec = Codec()
    result = object()
    state = State(type=StateType.COMPLETED, data=result)
    message = messages.TaskRunFinished(
        flow_run_id="f", task_run_id="t", task_run_name="x-0", state=state, history=(state,)
    )
    back = codec.unpack(codec.pack(message))
    assert isinstance(back, messages.TaskRunFinished)
    assert back.state.data is result
    assert back.history[0].data is result


def test_pack_refuses_what_is_not_a_message():
    with pytest.raises(TypeError, match="actorflow message"):
        Codec().pack(typing.cast("messages.Message", {"not": "a message"}))
