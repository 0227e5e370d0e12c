"""The run state machines, driven with no thread, no actor and no clock.

Each machine's `(event, at)` stream is enough to rebuild it: replaying a recorded stream
into a fresh machine gives the same history and the same instructions.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from actorflow.core import instructions as ins
from actorflow.core.events import (
    ActorCrashed,
    AllRunsFinished,
    BodyFinished,
    CancelFlowRun,
    CancelTaskRun,
    ChildRunEnded,
    FlowRetryDue,
    FlowRunCreated,
    FlowTimeoutDue,
    InlineDeclined,
    RestartDue,
    RetryDue,
    RunnerStarted,
    RunnerStopped,
    StopSupervisor,
    SubmitRefused,
    SupervisorStarted,
    TaskOutcome,
    TaskRunCreated,
    TaskStarted,
    TimeoutDue,
    Upstream,
    UpstreamFinished,
)
from actorflow.core.flow_run_machine import FlowRunMachine
from actorflow.core.policy import retry_policy
from actorflow.core.supervision import Backoff
from actorflow.core.supervisor_machine import SupervisorMachine
from actorflow.core.task_run_machine import TaskRunMachine
from actorflow.states import FINAL_STATE_TYPES, State, StateType
from actorflow.transitions import decide

ID = "t"
ALL_DONE = State(
    type=StateType.COMPLETED, message="All states completed.", data=None, timestamp=0.0
)


def task_machine(retries=2, delay=10.0, timeout=5.0, record=True):
    return TaskRunMachine(
        task_run_id=ID,
        task_run_name="t-0",
        policy=retry_policy("@task", retries, delay, timeout),
        inline=False,
        created_at=0.0,
        record=record,
    )


def kinds(out):
    return [type(i).__name__ for i in out]


def test_a_task_run_retries_then_completes_with_every_instruction_named():
    m = task_machine()
    assert kinds(m.handle(TaskRunCreated(task_run_id=ID, upstreams=()), 1.0)) == [
        "Log",
        "SubmitAttempt",
    ]
    assert kinds(m.handle(TaskStarted(task_run_id=ID, attempt=1), 2.0)) == [
        "RecordState",
        "StartTimer",
    ]
    out = m.handle(TaskOutcome(task_run_id=ID, attempt=1, raised=True, value=ValueError("x")), 3.0)
    assert kinds(out) == ["CancelTimer", "RecordState", "Log", "StartTimer"]
    assert out[-1].message == RetryDue(task_run_id=ID, attempt=2) and out[-1].delay == 10.0
    assert m.state.name == "AwaitingRetry" and m.state.timestamp == 3.0
    assert kinds(m.handle(RetryDue(task_run_id=ID, attempt=2), 13.0)) == ["SubmitAttempt"]
    m.handle(TaskStarted(task_run_id=ID, attempt=2), 14.0)
    out = m.handle(TaskOutcome(task_run_id=ID, attempt=2, raised=False, value=7), 15.0)
    assert kinds(out) == ["CancelTimer", "Log", "FinishTaskRun"]  # FinishTaskRun publishes
    assert m.state.is_completed() and m.state.data == 7
    assert [s.name for s in m.history] == [
        "Pending",
        "Running",
        "AwaitingRetry",
        "Retrying",
        "Completed",
    ]


def test_a_late_outcome_of_a_timed_out_attempt_is_never_recorded():
    m = task_machine(retries=1)
    m.handle(TaskRunCreated(task_run_id=ID, upstreams=()), 0.0)
    m.handle(TaskStarted(task_run_id=ID, attempt=1), 0.0)
    out = m.handle(TimeoutDue(task_run_id=ID, attempt=1), 5.0)
    assert kinds(out) == ["AbandonAttempt", "RecordState", "Log", "StartTimer"]
    assert m.handle(TaskOutcome(task_run_id=ID, attempt=1, raised=False, value=1), 6.0) == []
    assert m.state.name == "AwaitingRetry"


def test_an_upstream_that_failed_ends_the_run_not_ready():
    m = task_machine()
    up = Upstream(task_run_id="u", task_run_name="up-0", allowed_to_fail=False, state=None)
    assert kinds(m.handle(TaskRunCreated(task_run_id=ID, upstreams=(up,)), 0.0)) == ["Log"]
    failed = State(type=StateType.FAILED, timestamp=1.0)
    m.handle(UpstreamFinished(task_run_id=ID, upstream_task_run_id="u", state=failed), 1.0)
    assert m.state.name == "NotReady" and m.state.type is StateType.CANCELLED
    assert "'up-0'" in (m.state.message or "")


def test_inline_declined_and_refusals_end_where_they_should():
    m = TaskRunMachine(
        task_run_id=ID,
        task_run_name="t-0",
        policy=retry_policy("@task", 3, 0, None),
        inline=True,
        created_at=0.0,
    )
    out = m.handle(TaskRunCreated(task_run_id=ID, upstreams=()), 0.0)
    assert out[-1] == ins.SubmitAttempt(1, park=True)
    assert m.handle(InlineDeclined(task_run_id=ID, attempt=1), 0.0) == [
        ins.SubmitAttempt(1, park=False)
    ]
    m.handle(SubmitRefused(task_run_id=ID, attempt=1, error=TypeError("cannot pickle")), 1.0)
    assert m.state.type is StateType.FAILED  # refused: no retry, though retries are left


events_for_task = st.lists(
    st.one_of(
        st.builds(TaskStarted, task_run_id=st.just(ID), attempt=st.integers(1, 3)),
        st.builds(
            TaskOutcome,
            task_run_id=st.just(ID),
            attempt=st.integers(1, 3),
            raised=st.booleans(),
            value=st.sampled_from([1, ValueError("v"), KeyboardInterrupt()]),
        ),
        st.builds(RetryDue, task_run_id=st.just(ID), attempt=st.integers(1, 4)),
        st.builds(TimeoutDue, task_run_id=st.just(ID), attempt=st.integers(1, 3)),
        st.builds(CancelTaskRun, task_run_id=st.just(ID), message=st.just("stop")),
        st.builds(InlineDeclined, task_run_id=st.just(ID), attempt=st.integers(1, 2)),
        st.builds(
            SubmitRefused,
            task_run_id=st.just(ID),
            attempt=st.integers(1, 3),
            error=st.just(OSError()),
        ),
        st.builds(ActorCrashed, run_id=st.just(ID), error=st.just(RuntimeError("boom"))),
    ),
    max_size=25,
)


def _check_history(history):
    for before, after in zip(history, history[1:], strict=False):
        assert decide(before, after), (before, after)
    assert sum(s.type in FINAL_STATE_TYPES for s in history) <= 1


@given(events_for_task)
def test_task_machine_histories_follow_the_table_and_replay_exactly(events):
    m = task_machine()
    outs = [m.handle(TaskRunCreated(task_run_id=ID, upstreams=()), 0.0)]
    for at, event in enumerate(events, start=1):
        outs.append(m.handle(event, float(at)))
    _check_history(m.history)
    finishes = [i for out in outs for i in out if isinstance(i, ins.FinishTaskRun)]
    assert len(finishes) == (1 if m.state.is_final() else 0)
    # Replay the recorded stimuli into a fresh machine: same history, same instructions.
    fresh = task_machine(record=False)
    replayed = [fresh.handle(event, at) for event, at in m.stimuli]
    assert fresh.history == m.history
    assert [kinds(o) for o in replayed] == [kinds(o) for o in outs]


def flow_machine(retries=1, timeout=60.0, record=True):
    return FlowRunMachine(
        flow_run_id="f",
        flow_run_name="calm-otter",
        flow_name="f",
        policy=retry_policy("@flow", retries, 5, timeout),
        subflow=False,
        record=record,
    )


def test_a_flow_run_retries_its_body_then_completes():
    m = flow_machine()
    m.handle(FlowRunCreated(flow_run_id="f"), 0.0)
    out = m.handle(RunnerStarted(flow_run_id="f", backend=None), 1.0)
    assert kinds(out) == ["RecordState", "StartBody", "StartTimer"]
    m.handle(BodyFinished(flow_run_id="f", attempt=1, raised=True, value=ValueError("x")), 2.0)
    out = m.handle(AllRunsFinished(flow_run_id="f", summary=ALL_DONE), 3.0)
    assert kinds(out) == ["RecordState", "Log", "ReopenLedger", "StartTimer"]
    out = m.handle(FlowRetryDue(flow_run_id="f", attempt=2), 8.0)
    assert kinds(out) == ["RecordState", "StartBody", "StartTimer"]
    m.handle(BodyFinished(flow_run_id="f", attempt=2, raised=False, value=3), 9.0)
    assert kinds(m.handle(AllRunsFinished(flow_run_id="f", summary=ALL_DONE), 10.0)) == [
        "StopRunner"
    ]
    out = m.handle(RunnerStopped(flow_run_id="f"), 11.0)
    assert kinds(out) == ["RecordState", "Log", "FinishFlowRun"]
    assert m.state.is_completed() and m.state.data == 3


def test_a_flow_cancelled_while_its_runner_starts_ends_cancelled_without_a_body():
    m = flow_machine()
    m.handle(FlowRunCreated(flow_run_id="f"), 0.0)
    assert kinds(m.handle(CancelFlowRun(flow_run_id="f", message="bye"), 1.0)) == [
        "SignalCancelled"
    ]
    assert kinds(m.handle(RunnerStarted(flow_run_id="f", backend=None), 2.0)) == ["SealLedger"]
    m.handle(AllRunsFinished(flow_run_id="f", summary=ALL_DONE), 3.0)
    m.handle(RunnerStopped(flow_run_id="f"), 4.0)
    assert m.state.type is StateType.CANCELLED and m.state.message == "bye"


events_for_flow = st.lists(
    st.one_of(
        st.builds(RunnerStarted, flow_run_id=st.just("f"), backend=st.none()),
        st.builds(
            BodyFinished,
            flow_run_id=st.just("f"),
            attempt=st.integers(1, 3),
            raised=st.booleans(),
            value=st.sampled_from([None, 1, ValueError("v")]),
        ),
        st.builds(FlowTimeoutDue, flow_run_id=st.just("f"), attempt=st.integers(1, 3)),
        st.builds(FlowRetryDue, flow_run_id=st.just("f"), attempt=st.integers(1, 3)),
        st.builds(CancelFlowRun, flow_run_id=st.just("f"), message=st.just("bye")),
        st.builds(AllRunsFinished, flow_run_id=st.just("f"), summary=st.just(ALL_DONE)),
        st.builds(RunnerStopped, flow_run_id=st.just("f")),
    ),
    max_size=25,
)


@given(events_for_flow)
def test_flow_machine_histories_follow_the_table_and_replay_exactly(events):
    m = flow_machine()
    outs = [m.handle(FlowRunCreated(flow_run_id="f"), 0.0)]
    for at, event in enumerate(events, start=1):
        outs.append(m.handle(event, float(at)))
    _check_history(m.history)
    fresh = flow_machine(record=False)
    replayed = [fresh.handle(event, at) for event, at in m.stimuli]
    assert fresh.history == m.history
    assert [kinds(o) for o in replayed] == [kinds(o) for o in outs]


def test_supervisor_backs_off_then_gives_up_by_the_clock_it_is_given():
    m = SupervisorMachine(
        supervisor_id="s",
        restarts=["permanent"],
        strategy="one_for_one",
        max_restarts=1,
        within_seconds=100,
        backoff=Backoff(initial=60, maximum=600, factor=2, jitter=0.5),
    )
    assert m.handle(SupervisorStarted(supervisor_id="s"), 0.0) == [ins.StartChild(0, 1)]
    crashed = State(type=StateType.CRASHED, timestamp=1.0)
    out = m.handle(
        ChildRunEnded(
            supervisor_id="s", index=0, generation=1, flow_run_id="r", state=crashed, jitter=0.5
        ),
        1.0,
    )
    assert out == [ins.StartTimer(RestartDue(supervisor_id="s", indexes=(0,), generation=1), 75.0)]
    assert m.handle(RestartDue(supervisor_id="s", indexes=(0,), generation=1), 76.0) == [
        ins.CountRestart(),
        ins.StartChild(0, 2),
    ]
    out = m.handle(
        ChildRunEnded(supervisor_id="s", index=0, generation=2, flow_run_id="r", state=crashed),
        77.0,
    )
    assert kinds(out) == ["Log", "GiveUp", "CancelTimer", "SupervisorDone"]
    assert m.status == "gave_up"
    assert m.handle(StopSupervisor(supervisor_id="s"), 78.0) == []  # done: nothing more


def supervisor_machine(record=True, strategy="one_for_one"):
    return SupervisorMachine(
        supervisor_id="s",
        restarts=["permanent", "transient", "temporary"],
        strategy=strategy,
        max_restarts=3,
        within_seconds=50,
        backoff=Backoff(initial=1, maximum=30, factor=2, jitter=0.3),
        record=record,
    )


events_for_supervisor = st.lists(
    st.one_of(
        st.builds(
            ChildRunEnded,
            supervisor_id=st.just("s"),
            index=st.integers(0, 2),
            generation=st.integers(1, 4),
            flow_run_id=st.just("r"),
            state=st.sampled_from(
                [
                    None,
                    State(type=StateType.FAILED, timestamp=0.0),
                    State(type=StateType.COMPLETED, timestamp=0.0),
                ]
            ),
            jitter=st.floats(0, 1, exclude_max=True),
        ),
        st.builds(
            RestartDue,
            supervisor_id=st.just("s"),
            indexes=st.sampled_from([(0,), (1,), (0, 1, 2), (1, 2)]),
            generation=st.integers(1, 4),
        ),
        st.builds(StopSupervisor, supervisor_id=st.just("s")),
    ),
    max_size=30,
)


@given(events_for_supervisor, st.sampled_from(["one_for_one", "one_for_all", "rest_for_one"]))
def test_supervisor_machine_replays_exactly_and_never_starts_a_child_twice(events, strategy):
    m = supervisor_machine(strategy=strategy)
    outs = [m.handle(SupervisorStarted(supervisor_id="s"), 0.0)]
    for at, event in enumerate(events, start=1):
        outs.append(m.handle(event, float(at * 7)))
    running: dict[int, int] = {}  # child -> generation of its current run
    for event, out in zip([None, *events], outs, strict=True):
        if isinstance(event, ChildRunEnded) and running.get(event.index) == event.generation:
            del running[event.index]  # that run ended
        for instruction in out:
            if isinstance(instruction, ins.StartChild):
                assert instruction.child not in running  # never two live runs of one child
                running[instruction.child] = instruction.generation
            elif isinstance(instruction, ins.CancelChild):
                running.pop(instruction.child, None)
    fresh = supervisor_machine(record=False, strategy=strategy)
    replayed = [fresh.handle(event, at) for event, at in m.stimuli]
    assert replayed == outs
    assert (fresh.status, fresh.done, fresh.stopping) == (m.status, m.done, m.stopping)
