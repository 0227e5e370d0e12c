"""`@flow`: a function whose calls become flow runs, with their own task runner."""

from __future__ import annotations

import copy
import functools
import inspect
import types
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, overload

from actorflow._context import current_flow_run
from actorflow.core.names import flow_name_for
from actorflow.core.policy import retry_policy
from actorflow.runners.base import TaskRunner
from actorflow.runners.sequential import SequentialTaskRunner

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from actorflow.states import State

__all__ = ["Flow", "flow"]

_WAIT_SLICE = 0.25  # seconds: how soon a caller waiting on a run notices Ctrl-C

P = ParamSpec("P")
R = TypeVar("R")


def _coerce_task_runner(value: object) -> TaskRunner:
    if value is None:
        return SequentialTaskRunner()
    if isinstance(value, TaskRunner):
        return value
    if isinstance(value, type) and issubclass(value, TaskRunner):
        return value()
    msg = (
        "@flow(task_runner=...) takes a TaskRunner subclass or instance, such as "
        f"SequentialTaskRunner or DaskTaskRunner(), got {type(value).__name__} {value!r}"
    )
    raise TypeError(msg)


class Flow(Generic[P, R]):
    """A flow: wraps a function; each call is a flow run.

    Calling it binds the arguments (a `TypeError` naming the parameter, before any run
    starts), runs the flow to its final state and returns the function's return value,
    or raises the exception that failed the run. With `return_state=True` (or `run_state()`,
    which type-checks) the final `State` is returned instead, and nothing is raised for a
    failed run. Called inside
    another flow run, it is a subflow with its own runner.
    """

    fn: Callable[P, R]
    """The decorated function itself."""

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        task_runner: TaskRunner | type[TaskRunner] | None = None,
        description: str | None = None,
        retries: int = 0,
        retry_delay_seconds: float | Iterable[float] = 0,
        timeout_seconds: float | None = None,
    ) -> None:
        if isinstance(fn, Flow):  # re-decorated: the outer options win, the name stays
            name = name if name is not None else fn.name
            description = description if description is not None else fn.description
            fn = fn.fn
        if not callable(fn):
            msg = f"@flow must decorate a function, got {type(fn).__name__} {fn!r}"
            raise TypeError(msg)
        if name is not None and not isinstance(name, str):
            msg = f"@flow(name=...) must be a str, got {type(name).__name__}"
            raise TypeError(msg)
        self.fn = fn
        fn_name = getattr(fn, "__name__", type(fn).__name__)
        self.name: str = name or flow_name_for(fn_name)
        self.task_runner: TaskRunner = _coerce_task_runner(task_runner)
        self.policy = retry_policy("@flow", retries, retry_delay_seconds, timeout_seconds)
        self.description: str | None = (
            description if description is not None else inspect.getdoc(fn)
        )
        self._signature = inspect.signature(fn)
        # `return_state=` is a call option unless the function has a parameter of that name
        # (then it is the function's, and `run_state()` gives the state).
        self._takes_return_state = "return_state" not in self._signature.parameters
        functools.update_wrapper(self, fn)

    def __get__(self, instance: object, owner: type | None = None) -> Flow[P, R]:
        """On an instance, a flow decorated in a class is bound to it, as a method is:
        `Service().method(1)` runs the flow with `self` given."""
        if instance is None:
            return self
        parameters = list(self._signature.parameters.values())[1:]
        bound = copy.copy(self)
        vars(bound).update(
            fn=types.MethodType(self.fn, instance),
            _signature=self._signature.replace(parameters=parameters),
        )
        return bound

    def __repr__(self) -> str:
        return f"Flow(name={self.name!r}, task_runner={self.task_runner!r})"

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return_state = self._takes_return_state and bool(kwargs.pop("return_state", False))
        state = self._run(args, kwargs)
        if return_state:
            return state  # type: ignore[return-value]
        result: R = state.result()
        return result

    def run_state(self, *args: P.args, **kwargs: P.kwargs) -> State:
        """Like calling the flow, but return the run's final `State` instead of its result,
        and raise nothing for a failed run: the typed spelling of `flow(..., return_state=True)`.
        """
        return self._run(args, kwargs)

    def _run(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> State:
        bound = self.bind(*args, **kwargs)
        parent = current_flow_run()
        if parent is not None:
            parent.check_cancelled()
            handle = parent.port.start_subflow(self, bound.args, bound.kwargs, parent)
        else:
            # The actor runtime loads on the first run, not on `import actorflow`.
            from actorflow.actors.runtime import default_runtime  # noqa: PLC0415

            handle = default_runtime().start_flow_run(self, bound.args, bound.kwargs, parent=None)
        try:
            # In slices: a Ctrl-C delivered to another thread interrupts no wait of this one,
            # and is only seen when this thread wakes up.
            while (state := handle.wait(_WAIT_SLICE)) is None:
                pass
        except KeyboardInterrupt:  # Ctrl-C while waiting: the run is cancelled, not left going
            handle.cancel("Interrupted (KeyboardInterrupt)")
            raise
        if parent is not None:
            parent.check_cancelled()
        return state

    def bind(self, *args: Any, **kwargs: Any) -> inspect.BoundArguments:
        """Check arguments against the flow's signature: a `TypeError` naming the parameter."""
        return self._signature.bind(*args, **kwargs)


@overload
def flow(fn: Callable[P, R], /) -> Flow[P, R]: ...


@overload
def flow(
    *,
    name: str | None = None,
    task_runner: TaskRunner | type[TaskRunner] | None = None,
    description: str | None = None,
    retries: int = 0,
    retry_delay_seconds: float | Iterable[float] = 0,
    timeout_seconds: float | None = None,
) -> Callable[[Callable[P, R]], Flow[P, R]]: ...


def flow(
    fn: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    task_runner: TaskRunner | type[TaskRunner] | None = None,
    description: str | None = None,
    retries: int = 0,
    retry_delay_seconds: float | Iterable[float] = 0,
    timeout_seconds: float | None = None,
) -> Flow[P, R] | Callable[[Callable[P, R]], Flow[P, R]]:
    """Make a function a flow: `@flow` or `@flow(name=None, task_runner=None, ...)`.

    Args:
        name: the flow's name; defaults to the function's name with `_` replaced by `-`.
        task_runner: a `TaskRunner` subclass (instantiated with defaults) or an instance;
            each run works on its own copy. The default is `SequentialTaskRunner`.
        description: defaults to the function's docstring.
        retries: how many times a failed run of the body is tried again.
        retry_delay_seconds: the delay before each retry: one number, or a list with one
            delay per retry (the last one repeats).
        timeout_seconds: a body still running after this long ends the run `TimedOut`;
            its pending task runs are cancelled and the body's thread is abandoned.
    """
    options: dict[str, Any] = {
        "name": name,
        "task_runner": task_runner,
        "description": description,
        "retries": retries,
        "retry_delay_seconds": retry_delay_seconds,
        "timeout_seconds": timeout_seconds,
    }
    if fn is None:
        _coerce_task_runner(task_runner)  # errors here, at decoration time
        retry_policy("@flow", retries, retry_delay_seconds, timeout_seconds)
        return functools.partial(Flow, **options)  # type: ignore[return-value]
    if isinstance(fn, str):
        msg = f"@flow({fn!r}) takes no positional name; write @flow(name={fn!r})"
        raise TypeError(msg)
    return Flow(fn, **options)
