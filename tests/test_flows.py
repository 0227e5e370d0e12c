"""Flows and tasks: calls, results, failures, names and the rules of the final state."""

from __future__ import annotations

import logging
import re
import threading

import pytest

from actorflow import (
    Flow,
    MissingContextError,
    State,
    StateType,
    Task,
    flow,
    get_run_logger,
    task,
)
from actorflow._context import current_flow_run
from actorflow.task_runners import SequentialTaskRunner


@task
def double(x: int) -> int:
    return 2 * x


@task
def fail(message: str = "boom") -> None:
    raise ValueError(message)


def test_flow_returns_the_functions_value(task_runner):
    @flow(task_runner=task_runner)
    def add_doubles(a: int, b: int = 1) -> int:
        return double(a) + double(b)

    assert add_doubles(2, b=3) == 10


def test_a_task_outside_a_flow_is_a_plain_call():
    assert double(21) == 42
    with pytest.raises(ValueError, match="boom"):
        fail()


def test_flow_and_task_names():
    @flow
    def my_flow_name():
        return None

    @task(name="custom")
    def some_task():
        return None

    assert my_flow_name.name == "my-flow-name"
    assert flow(name="given")(lambda: None).name == "given"
    assert double.name == "double"
    assert some_task.name == "custom"
    assert re.fullmatch(r"[0-9a-f]{8}", double.task_key)
    assert double.task_key == Task(double.fn).task_key  # stable for the definition


def test_decorators_keep_the_function_identity():
    @flow(description="Described.")
    def documented(x: int) -> int:
        """Doc."""
        return x

    assert documented.__name__ == "documented"
    assert documented.__doc__ == "Doc."
    assert documented.description == "Described."
    assert isinstance(documented, Flow)
    assert isinstance(double, Task)


def test_a_failing_task_raises_its_own_exception_in_the_flow(task_runner):
    @flow(task_runner=task_runner)
    def calls_fail():
        fail("task broke")

    with pytest.raises(ValueError, match="task broke"):
        calls_fail()
    state = calls_fail(return_state=True)
    assert state.is_failed()
    assert state.message == "Flow run encountered an exception: ValueError: task broke"
    assert isinstance(state.result(raise_on_failure=False), ValueError)


def test_task_return_state(task_runner):
    seen = {}

    @flow(task_runner=task_runner)
    def inspects():
        seen["ok"] = double(4, return_state=True)
        seen["bad"] = fail("nope", return_state=True)

    state = inspects(return_state=True)
    assert str(seen["ok"]) == "Completed(message=None, type=COMPLETED)"
    assert seen["ok"].result() == 8
    assert str(seen["bad"]) == (
        "Failed(message='Task run encountered an exception: ValueError: nope', type=FAILED)"
    )
    assert str(state) == "Failed(message='1/2 states failed.', type=FAILED)"


def test_body_returning_none_aggregates_everything_it_ran(task_runner):
    @flow(task_runner=task_runner)
    def all_good():
        double(1)
        double(2)

    state = all_good(return_state=True)
    assert str(state) == "Completed(message='All states completed.', type=COMPLETED)"
    assert all_good() is None


def test_body_returning_states_aggregates_those():
    @flow
    def returns_states():
        return [double(1, return_state=True), double(2, return_state=True)]

    @flow
    def returns_one_failed():
        double(1)
        return fail(return_state=True)

    state = returns_states(return_state=True)
    assert state.message == "All states completed."
    assert state.result() == [2, 4]
    failed = returns_one_failed(return_state=True)
    assert str(failed) == "Failed(message='1/1 states failed.', type=FAILED)"
    with pytest.raises(ValueError, match="boom"):
        returns_one_failed()


def test_any_other_return_value_completes_with_no_message():
    @flow
    def answer():
        return {"answer": 42}

    state = answer(return_state=True)
    assert str(state) == "Completed(message=None, type=COMPLETED)"
    assert state.result() == {"answer": 42}


def test_bad_arguments_raise_type_error_before_any_run(caplog):
    @flow
    def needs_x(x: int) -> int:
        return x

    caplog.set_level(logging.INFO, logger="actorflow")
    with pytest.raises(TypeError, match="'x'"):
        needs_x()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'y'"):
        needs_x(1, y=2)  # type: ignore[call-arg]
    assert "Beginning flow run" not in caplog.text


def test_bad_task_arguments_raise_type_error_in_the_body():
    @flow
    def misuses_task():
        double()  # type: ignore[call-arg]

    with pytest.raises(TypeError, match="'x'"):
        misuses_task()


def test_decorating_something_that_is_not_callable():
    with pytest.raises(TypeError, match="@flow must decorate a function"):
        flow(42)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="@task must decorate a function"):
        task(42)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"write @task\(name='x'\)"):
        task("x")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="tags"):
        task(tags="etl")(lambda: None)  # type: ignore[arg-type]


def test_task_runner_argument_is_checked_at_decoration():
    with pytest.raises(TypeError, match="TaskRunner subclass or instance"):
        flow(task_runner="dask")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="TaskRunner subclass or instance"):
        flow(task_runner=object)  # type: ignore[call-overload]
    assert (
        flow(task_runner=SequentialTaskRunner)(lambda: None).task_runner == SequentialTaskRunner()
    )
    assert isinstance(flow(lambda: None).task_runner, SequentialTaskRunner)


def test_each_run_works_on_its_own_copy_of_the_runner():
    seen = []

    class RecordingRunner(SequentialTaskRunner):
        def create_backend(self):
            seen.append(self)
            return super().create_backend()

    runner = RecordingRunner()

    @flow(task_runner=runner)
    def records_runner():
        assert current_flow_run() is not None

    records_runner()
    records_runner()
    assert seen[0] == runner and seen[0] is not runner and seen[1] is not seen[0]


def test_concurrent_runs_of_one_flow_do_not_interfere():
    @flow
    def computes(n: int) -> int:
        return sum(double(i) for i in range(n))

    results = {}

    def run(n):
        results[n] = computes(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(10, 16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == {n: n * (n - 1) for n in range(10, 16)}


def test_get_run_logger_in_flows_and_tasks(caplog):
    @task
    def logs_in_task():
        get_run_logger().info("from the task")

    @flow
    def logs_in_flow():
        get_run_logger().warning("from the flow")
        logs_in_task()

    caplog.set_level(logging.INFO, logger="actorflow")
    logs_in_flow()
    records = {r.getMessage(): r for r in caplog.records}
    assert records["from the flow"].levelno == logging.WARNING
    assert records["from the flow"].name == "actorflow.flow_runs"
    assert records["from the task"].name == "actorflow.task_runs"
    assert re.fullmatch(r"logs_in_task-[0-9a-f]{8}-0", records["from the task"].task_run_name)


def test_get_run_logger_outside_a_run():
    with pytest.raises(MissingContextError, match="outside a flow run or task run"):
        get_run_logger()


def test_print_in_tasks_passes_through(capfd):
    @task
    def speaks():
        print("Hello from a task!")

    @flow
    def speaking_flow():
        speaks()

    speaking_flow()
    assert "Hello from a task!" in capfd.readouterr().out


def test_task_run_names_count_per_task_within_a_flow_run(caplog):
    @flow
    def counts():
        double(1)
        double(2)
        fail(return_state=True)

    caplog.set_level(logging.INFO, logger="actorflow")
    counts(return_state=True)
    names = re.findall(r"Submitting task run '([^']+)'", caplog.text)
    key_double, key_fail = double.task_key, fail.task_key
    assert names == [f"double-{key_double}-0", f"double-{key_double}-1", f"fail-{key_fail}-0"]
    caplog.clear()
    counts(return_state=True)  # a new flow run counts from 0 again, with the same keys
    assert re.findall(r"Submitting task run '([^']+)'", caplog.text) == names


def test_flow_run_names_are_two_word_slugs(caplog):
    @flow
    def named():
        return None

    caplog.set_level(logging.INFO, logger="actorflow")
    named()
    match = re.search(r"Beginning flow run '([a-z]+-[a-z]+)' for flow 'named'\.\.\.", caplog.text)
    assert match is not None
    assert f"Flow run '{match.group(1)}' finished in state" in caplog.text


def test_failed_runs_log_at_error(caplog):
    @flow
    def fails():
        fail()

    caplog.set_level(logging.INFO, logger="actorflow")
    fails(return_state=True)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(m.startswith("Task run 'fail-") for m in errors)
    assert any(m.startswith("Flow run '") and "Failed(" in m for m in errors)


def test_nested_task_call_inside_a_task_runs_in_the_same_thread(task_runner):
    threads = {}

    @task
    def inner():
        threads["inner"] = threading.current_thread().name
        return 1

    @task
    def outer():
        threads["outer"] = threading.current_thread().name
        return inner() + 1

    @flow(task_runner=SequentialTaskRunner())
    def nests():
        return outer()

    assert nests() == 2
    assert threads["inner"] == threads["outer"]


def test_flow_body_does_not_run_in_the_callers_thread():
    @flow
    def where():
        return threading.current_thread().name

    assert where().startswith("actorflow-flow-body-")


def test_base_exceptions_in_the_body_crash_the_run():
    class Stop(BaseException):
        pass

    @flow
    def stops():
        raise Stop

    state = stops(return_state=True)
    assert state.type is StateType.CRASHED
    with pytest.raises(Stop):
        stops()


def test_return_state_never_raises_for_failed_runs():
    @flow
    def raises():
        raise RuntimeError("nope")

    state = raises(return_state=True)
    assert isinstance(state, State)
    assert state.is_failed()


def test_run_state_is_the_typed_spelling_of_return_state():
    @task
    def fails() -> int:
        raise ValueError("no")

    @flow
    def inner(n: int) -> int:
        return n

    @flow
    def outer() -> tuple[str, str]:
        return fails.run_state().name, inner.run_state(2).name

    assert outer() == ("Failed", "Completed")
    assert inner.run_state(5).result() == 5
    with pytest.raises(MissingContextError, match="run_state"):
        fails.run_state()


def test_a_parameter_named_like_a_call_option_belongs_to_the_function():
    """Regression: `return_state` and `wait_for` were popped from the keyword arguments,
    so a function with a parameter of that name silently lost it."""

    @task
    def keeps(wait_for: int, return_state: str) -> str:
        return f"{wait_for}-{return_state}"

    @flow
    def passes(return_state: bool) -> str:
        return keeps(wait_for=3, return_state="x") + f"/{return_state}"

    assert passes(return_state=True) == "3-x/True"
    assert passes.run_state(return_state=False).result() == "3-x/False"


def test_an_exception_whose_str_raises_still_fails_the_run_with_it():
    """Regression: the task run ended Crashed and the user's exception was lost; from a flow
    body nothing was printed at all."""

    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no str for you")

        def __repr__(self) -> str:
            raise RuntimeError("no repr either")

    @task(retries=1)
    def raises() -> None:
        raise Unprintable

    @flow
    def calls_it():
        return raises.run_state()

    @flow
    def raises_itself() -> None:
        raise Unprintable

    state = calls_it.run_state()
    assert state.is_failed()
    assert isinstance(state.data, Unprintable)
    assert state.message == "1/1 states failed."
    body = raises_itself.run_state()
    assert body.is_failed() and isinstance(body.data, Unprintable)
    assert body.message == "Flow run encountered an exception: Unprintable"


def test_re_decorating_keeps_the_outer_options():
    """Regression: `task(retries=3)(task(fn))` copied the inner task's attributes over the
    outer ones, so the outer options were silently dropped."""

    def fn() -> int:
        return 1

    inner = task(fn, name="inner")
    outer = task(retries=3, timeout_seconds=5)(inner)
    assert outer.retries == 3 and outer.timeout_seconds == 5
    assert outer.name == "inner" and outer.fn is fn
    renamed = task(name="outer")(inner)
    assert renamed.name == "outer" and renamed.retries == 0

    base = flow(fn)
    runner = SequentialTaskRunner()
    wrapped = flow(task_runner=runner, retries=2)(base)
    assert wrapped.task_runner is runner and wrapped.policy.retries == 2
    assert wrapped.name == base.name and wrapped.fn is fn
    assert wrapped() == 1


def test_tasks_and_flows_work_as_methods():
    """Regression: `@task` on a method failed with "missing a required argument: 'x'"."""

    class Service:
        def __init__(self, k: int) -> None:
            self.k = k

        @task
        def scale(self, x: int) -> int:
            return self.k * x

        @flow
        def run(self, n: int) -> int:
            return sum(self.scale(i) for i in range(n)) + self.scale.submit(1).result()

    assert Service(3).run(4) == 21
    assert Service(2).scale(5) == 10  # outside a flow: a plain call
    assert Service.scale.name == "scale"
    with pytest.raises(TypeError, match="too many positional arguments"):
        Service(1).run.run_state(1, 2)  # refused before anything starts
