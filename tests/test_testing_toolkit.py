"""`actorflow.testing`: history checks and the pytest plugin's fixtures."""

from __future__ import annotations

import textwrap
import time

import pytest
from hypothesis import find, given
from hypothesis import strategies as st

from actorflow import flow, task
from actorflow.states import State, StateType
from actorflow.testing import ManualClock, assert_history, check_history, history_of
from actorflow.testing import strategies as afst
from actorflow.transitions import ALLOWED_TRANSITIONS, decide

pytest_plugins = ("pytester",)


def _s(kind: StateType, at: float, name: str = "") -> State:
    return State(type=kind, name=name or kind.title, timestamp=at)


def test_a_legal_history_passes_and_an_illegal_step_is_named():
    check_history(
        [
            _s(StateType.PENDING, 1),
            _s(StateType.RUNNING, 2),
            _s(StateType.SCHEDULED, 3, "AwaitingRetry"),
            _s(StateType.RUNNING, 4, "Retrying"),
            _s(StateType.COMPLETED, 5),
        ]
    )
    with pytest.raises(AssertionError, match=r"step 2 of the history \(Pending -> Completed\)"):
        check_history([_s(StateType.PENDING, 1), _s(StateType.COMPLETED, 2)])
    with pytest.raises(AssertionError, match="older than the current state"):
        check_history([_s(StateType.PENDING, 2), _s(StateType.RUNNING, 1)])
    with pytest.raises(AssertionError, match="must start SCHEDULED or PENDING"):
        check_history([_s(StateType.RUNNING, 1)])
    with pytest.raises(AssertionError, match="empty history"):
        check_history([])


def test_assert_history_compares_names_or_types_and_shows_both_paths():
    history = (_s(StateType.PENDING, 1), _s(StateType.RUNNING, 2), _s(StateType.COMPLETED, 3))
    assert_history(history, "Pending", "RUNNING", "Completed")
    with pytest.raises(AssertionError) as caught:
        assert_history(history, "Pending", "Completed")
    assert "expected: Pending -> Completed" in str(caught.value)
    assert "actual:   Pending -> Running -> Completed" in str(caught.value)
    with pytest.raises(TypeError, match="history_of"):
        history_of(42)


def test_the_fixtures_run_retries_an_hour_apart_in_no_real_time(actor_system, manual_clock):
    assert actor_system.clock is manual_clock
    attempts = []

    @task(retries=3, retry_delay_seconds=3600)
    def flaky() -> str:
        attempts.append(manual_clock.now())
        if len(attempts) < 4:
            msg = "not yet"
            raise RuntimeError(msg)
        return "done"

    @flow
    def keeps_trying() -> str:
        return flaky()

    started = time.monotonic()
    run = actor_system.launch(keeps_trying)
    deadline = time.monotonic() + 20
    while not run.done():  # the test drives time: each retry is due only when it says
        assert time.monotonic() < deadline
        if not manual_clock.advance_to_next():
            time.sleep(0.001)
    assert run.result(timeout=5) == "done"
    assert time.monotonic() - started < 5
    assert [round(b - a) for a, b in zip(attempts, attempts[1:], strict=False)] == [3600] * 3
    (snapshot,) = run.task_runs()
    assert_history(
        snapshot,
        "Pending",
        "Running",
        *["AwaitingRetry", "Retrying"] * 3,
        "Completed",
    )
    assert [s.type for s in history_of(run)] == [
        StateType.PENDING,
        StateType.RUNNING,
        StateType.COMPLETED,
    ]


def test_actor_system_fails_a_test_that_leaves_a_run_going(pytester):
    pytester.makepyfile(
        textwrap.dedent(
            """
            import actorflow
            from actorflow import flow

            @flow
            def waits(seconds: float):
                actorflow.sleep(seconds)  # (a cancel ends it at once)

            def test_forgets_its_run(actor_system):
                actor_system.launch(waits, 30)

            def test_waits_for_its_run(actor_system):
                actor_system.launch(waits, 0).wait(10)
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-q")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        ["*actor_system: flow runs still going when the test ended*of flow 'waits'*"]
    )


def test_manual_clock_is_the_clock_of_the_clocks_module():
    from actorflow.clocks import ManualClock as Original

    assert ManualClock is Original


def test_the_example_test_file_passes(pytester):
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / "examples" / "test_my_flows.py"
    pytester.makepyfile(test_my_flows=example.read_text())
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-q")
    result.assert_outcomes(passed=1)


# -- Hypothesis strategies -------------------------------------------------------------------


@given(afst.histories())
def test_every_generated_history_is_a_legal_path(history):
    check_history(history)


@given(afst.histories(final=True))
def test_final_histories_end_in_a_final_state(history):
    assert history[-1].is_final()
    check_history(history)


@given(afst.transitions())
def test_generated_transitions_are_accepted(pair):
    assert decide(*pair)


@given(afst.illegal_transitions())
def test_generated_illegal_transitions_are_refused(pair):
    assert not decide(*pair)


@given(afst.states(st.just(StateType.SCHEDULED)))
def test_states_of_a_type_carry_the_runtime_s_names(state):
    assert state.type is StateType.SCHEDULED
    assert state.name in ("Scheduled", "AwaitingRetry")


def _rejected(history) -> bool:
    try:
        check_history(history)
    except AssertionError:
        return True
    return False


def test_a_planted_wrong_transition_table_is_caught_by_histories_and_check_history():
    # Code under test that (wrongly) lets a run complete without having run:
    wrong = {
        **ALLOWED_TRANSITIONS,
        StateType.PENDING: ALLOWED_TRANSITIONS[StateType.PENDING] | {StateType.COMPLETED},
    }
    found = find(afst.histories(table=wrong), _rejected)  # within the default budget
    assert [s.type for s in found] == [StateType.PENDING, StateType.COMPLETED]


_RUNNER_AGNOSTIC = textwrap.dedent(
    """
    import logging
    from actorflow import flow, task
    from actorflow.task_runners import SequentialTaskRunner

    @task
    def double(x: int) -> int:
        return 2 * x

    @flow(task_runner=SequentialTaskRunner())  # the test does not say which runner
    def doubles() -> list[int]:
        return [f.result() for f in double.map(range(4))]

    def test_doubles(task_runner, caplog):
        caplog.set_level(logging.INFO, logger="actorflow")
        assert doubles() == [0, 2, 4, 6]
        assert f"Starting task runner `{type(task_runner).__name__}`" in caplog.text
    """
)


def test_the_runner_option_runs_each_test_on_every_runner_named(pytester):
    pytester.makepyfile(test_agnostic=_RUNNER_AGNOSTIC)
    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", "-v", "--actorflow-runner=sequential,concurrent"
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*test_doubles?sequential? PASSED*", "*test_doubles?concurrent? PASSED*"]
    )
    bad = pytester.runpytest_subprocess("--actorflow-runner=threads")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(
        ["*--actorflow-runner='threads': choose among sequential, concurrent, dask*"]
    )


def test_use_task_runner_overrides_every_flow_s_runner_in_its_block(caplog):
    import logging

    from actorflow.task_runners import ConcurrentTaskRunner, SequentialTaskRunner
    from actorflow.testing import use_task_runner

    @flow(task_runner=SequentialTaskRunner())
    def plain() -> int:
        return 1

    caplog.set_level(logging.INFO, logger="actorflow")
    with use_task_runner(ConcurrentTaskRunner(max_workers=2)):
        assert plain() == 1
    assert "Starting task runner `ConcurrentTaskRunner`" in caplog.text
    caplog.clear()
    assert plain() == 1
    assert "Starting task runner `SequentialTaskRunner`" in caplog.text
    with pytest.raises(TypeError, match="use_task_runner"), use_task_runner("threads"):  # type: ignore[arg-type]
        pass
