from __future__ import annotations

import pickle

import pytest

from actorflow import RunNotCompletedError, StateNotFinalError
from actorflow.states import FINAL_STATE_TYPES, State, StateType, aggregate_states, now


def test_str_matches_the_console_contract():
    assert str(State(type=StateType.COMPLETED)) == "Completed(message=None, type=COMPLETED)"
    assert (
        str(State(type=StateType.COMPLETED, message="All states completed."))
        == "Completed(message='All states completed.', type=COMPLETED)"
    )
    assert (
        str(State(type=StateType.FAILED, name="TimedOut", message="x"))
        == "TimedOut(message='x', type=FAILED)"
    )


def test_names_default_to_the_type_title_and_variants_keep_their_type():
    assert State(type=StateType.CANCELLED).name == "Cancelled"
    retrying = State(type=StateType.RUNNING, name="Retrying")
    assert retrying.is_running()
    assert retrying.name == "Retrying"
    assert State(type=StateType.CANCELLED, name="NotReady").is_final()


def test_final_types():
    assert {
        StateType.COMPLETED,
        StateType.FAILED,
        StateType.CRASHED,
        StateType.CANCELLED,
    } == FINAL_STATE_TYPES
    for state_type in StateType:
        assert State(type=state_type).is_final() == (state_type in FINAL_STATE_TYPES)


def test_states_are_immutable():
    state = State(type=StateType.PENDING)
    with pytest.raises(AttributeError):
        state.message = "changed"  # type: ignore[misc]


def test_bad_type_names_the_fix():
    with pytest.raises(TypeError, match="StateType.COMPLETED"):
        State(type="COMPLETED")  # type: ignore[arg-type]


def test_result_of_completed_failed_and_unfinished_states():
    assert State(type=StateType.COMPLETED, data=41).result() == 41
    assert State(type=StateType.COMPLETED).result() is None
    error = ValueError("boom")
    failed = State(type=StateType.FAILED, data=error)
    with pytest.raises(ValueError, match="boom"):
        failed.result()
    assert failed.result(raise_on_failure=False) is error
    with pytest.raises(RunNotCompletedError):
        State(type=StateType.CANCELLED, message="stopped").result()
    with pytest.raises(StateNotFinalError):
        State(type=StateType.RUNNING).result()


def test_predicates():
    state = State(type=StateType.CRASHED)
    assert state.is_crashed() and state.is_final()
    assert not state.is_failed() and not state.is_completed() and not state.is_cancelled()
    assert State(type=StateType.SCHEDULED).is_scheduled()
    assert State(type=StateType.PAUSED).is_paused()
    assert State(type=StateType.CANCELLING).is_cancelling()
    assert State(type=StateType.PENDING).is_pending()


def test_timestamps_never_decrease():
    stamps = [now() for _ in range(1000)]
    assert stamps == sorted(stamps)
    assert State(type=StateType.PENDING).timestamp <= State(type=StateType.RUNNING).timestamp


def test_state_types_pickle_to_the_same_member():
    assert pickle.loads(pickle.dumps(StateType.FAILED)) is StateType.FAILED


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        ([], "Completed(message='All states completed.', type=COMPLETED)"),
        ([StateType.COMPLETED] * 3, "Completed(message='All states completed.', type=COMPLETED)"),
        (
            [StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED],
            "Failed(message='2/4 states failed.', type=FAILED)",
        ),
        (
            [StateType.COMPLETED, StateType.CANCELLED],
            "Cancelled(message='1/2 states cancelled.', type=CANCELLED)",
        ),
        (
            [StateType.COMPLETED, StateType.RUNNING],
            "Failed(message='1/2 states did not finish.', type=FAILED)",
        ),
    ],
)
def test_aggregate(types, expected):
    assert str(aggregate_states([State(type=t) for t in types])) == expected


def test_aggregate_failure_carries_the_first_exception():
    error = KeyError("k")
    state = aggregate_states(
        [State(type=StateType.COMPLETED), State(type=StateType.FAILED, data=error)]
    )
    assert state.result(raise_on_failure=False) is error
