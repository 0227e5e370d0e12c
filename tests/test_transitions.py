"""The transition rules, unit- and property-tested. No threads here."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from actorflow.states import FINAL_STATE_TYPES, State, StateType
from actorflow.transitions import ALLOWED_TRANSITIONS, INITIAL_STATE_TYPES, decide

S = StateType


def test_every_type_has_a_row():
    assert set(ALLOWED_TRANSITIONS) == set(StateType)


def test_final_states_accept_nothing():
    for final in FINAL_STATE_TYPES:
        for proposed in StateType:
            decision = decide(State(type=final, timestamp=1.0), State(type=proposed, timestamp=2.0))
            assert not decision
            assert "final" in decision.reason


def test_a_run_starts_scheduled_or_pending():
    assert decide(None, State(type=S.PENDING))
    assert decide(None, State(type=S.SCHEDULED))
    for other in set(StateType) - INITIAL_STATE_TYPES:
        assert not decide(None, State(type=other))


def test_running_only_from_pending_or_scheduled():
    sources = {t for t, allowed in ALLOWED_TRANSITIONS.items() if S.RUNNING in allowed}
    assert sources == {S.PENDING, S.SCHEDULED}


def test_completed_only_from_running():
    sources = {t for t, allowed in ALLOWED_TRANSITIONS.items() if S.COMPLETED in allowed}
    assert sources == {S.RUNNING}


def test_retry_path():
    running = State(type=S.RUNNING, timestamp=1.0)
    awaiting = State(type=S.SCHEDULED, name="AwaitingRetry", timestamp=2.0)
    retrying = State(type=S.RUNNING, name="Retrying", timestamp=3.0)
    assert decide(running, awaiting)
    assert decide(awaiting, retrying)


def test_older_timestamps_are_rejected():
    decision = decide(State(type=S.PENDING, timestamp=5.0), State(type=S.RUNNING, timestamp=4.0))
    assert not decision
    assert "older" in decision.reason


@pytest.mark.parametrize("current", list(StateType))
def test_the_table_is_what_decide_applies(current):
    for proposed in StateType:
        accepted = bool(
            decide(State(type=current, timestamp=1.0), State(type=proposed, timestamp=1.0))
        )
        assert accepted == (proposed in ALLOWED_TRANSITIONS[current])


@given(st.sampled_from(list(StateType)), st.sampled_from(list(StateType)), st.floats(0, 1e9))
def test_decide_is_pure(current, proposed, t):
    a = State(type=current, timestamp=t)
    b = State(type=proposed, timestamp=t + 1)
    assert decide(a, b) == decide(a, b)


class RunHistory(RuleBasedStateMachine):
    """A run's history, built only from proposals `decide` accepts."""

    def __init__(self):
        super().__init__()
        self.history: list[State] = []
        self.clock = 0.0

    @rule(
        proposed=st.sampled_from(list(StateType)),
        name=st.sampled_from(["", "Retrying", "AwaitingRetry", "TimedOut", "NotReady"]),
        step=st.floats(-1.0, 5.0),
    )
    def propose(self, proposed, name, step):
        self.clock += step
        state = State(type=proposed, name=name, timestamp=self.clock)
        current = self.history[-1] if self.history else None
        if decide(current, state):
            self.history.append(state)

    @invariant()
    def history_is_a_path_through_the_table(self):
        if self.history:
            assert self.history[0].type in INITIAL_STATE_TYPES
        for before, after in zip(self.history, self.history[1:], strict=False):
            assert after.type in ALLOWED_TRANSITIONS[before.type]

    @invariant()
    def at_most_one_final_state_and_it_is_last(self):
        finals = [i for i, s in enumerate(self.history) if s.is_final()]
        assert len(finals) <= 1
        if finals:
            assert finals[0] == len(self.history) - 1

    @invariant()
    def timestamps_never_go_backwards(self):
        stamps = [s.timestamp for s in self.history]
        assert stamps == sorted(stamps)

    @invariant()
    def completed_only_after_running(self):
        for i, state in enumerate(self.history):
            if state.is_completed():
                assert self.history[i - 1].is_running()


TestRunHistory = RunHistory.TestCase
