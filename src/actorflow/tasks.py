"""`@task`: a function whose calls inside a flow become task runs."""

from __future__ import annotations

import copy
import functools
import inspect
import sys
import types
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, Literal, ParamSpec, TypeVar, overload

from actorflow._annotations import allow_failure, collect_upstreams, unmapped
from actorflow._context import FlowRunContext, TaskRunContext, TaskRunRequest, current_run
from actorflow._exceptions import ForeignFutureError, MissingContextError
from actorflow.core.names import task_key
from actorflow.core.policy import retry_policy
from actorflow.futures import TaskFuture

if TYPE_CHECKING:
    from collections.abc import Callable

    from actorflow.states import State

__all__ = ["Task", "task"]

P = ParamSpec("P")
R = TypeVar("R")


class Task(Generic[P, R]):
    """A task: wraps a function; calling it inside a flow run makes a task run.

    - Inside a flow (its body or one of its tasks): the call is a task run on the flow's
      task runner; the caller waits for it and gets its return value, or its exception
      raised. Pass `return_state=True` (or call `run_state()`, which type-checks) to get the
      final `State` instead. Called inside a
      running task, the task run executes right there, in the same thread.
    - `submit()` and `map()` start task runs and return futures at once.
    - Anywhere else: the function is simply called.
    """

    fn: Callable[P, R]
    """The decorated function itself."""

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        tags: Iterable[str] = (),
        retries: int = 0,
        retry_delay_seconds: float | Iterable[float] = 0,
        timeout_seconds: float | None = None,
    ) -> None:
        if isinstance(fn, Task):  # re-decorated: the outer options win, the name stays
            name = name if name is not None else fn.name
            fn = fn.fn
        if not callable(fn):
            msg = f"@task must decorate a function, got {type(fn).__name__} {fn!r}"
            raise TypeError(msg)
        if name is not None and not isinstance(name, str):
            msg = f"@task(name=...) must be a str, got {type(name).__name__}"
            raise TypeError(msg)
        if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
            msg = f"@task(tags=...) must be a collection of str such as ('etl',), got {tags!r}"
            raise TypeError(msg)
        self.fn = fn
        self.name: str = name or str(getattr(fn, "__name__", type(fn).__name__))
        self.tags: frozenset[str] = frozenset(tags)
        self.policy = retry_policy("@task", retries, retry_delay_seconds, timeout_seconds)
        self.task_key = task_key(
            getattr(fn, "__module__", ""), getattr(fn, "__qualname__", self.name)
        )
        self._signature = inspect.signature(fn)
        self._positional = _positional_range(self._signature)
        # The call options `return_state=` and `wait_for=` are taken out of the keyword
        # arguments, unless the function has a parameter of that name: then it is the
        # function's, and `run_state()` gives the state.
        self._options = frozenset({"return_state", "wait_for"} - set(self._signature.parameters))
        functools.update_wrapper(self, fn)

    def __get__(self, instance: object, owner: type | None = None) -> Task[P, R]:
        """On an instance, a task decorated in a class is bound to it, as a method is:
        `Service().method(1)` runs the task with `self` given."""
        if instance is None:
            return self
        parameters = list(self._signature.parameters.values())[1:]
        signature = self._signature.replace(parameters=parameters)
        bound = copy.copy(self)
        vars(bound).update(
            fn=types.MethodType(self.fn, instance),
            _signature=signature,
            _positional=_positional_range(signature),
        )
        return bound

    def __repr__(self) -> str:
        return f"Task(name={self.name!r})"

    @property
    def retries(self) -> int:
        return self.policy.retries

    @property
    def timeout_seconds(self) -> float | None:
        return self.policy.timeout_seconds

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return_state = "return_state" in self._options and bool(kwargs.pop("return_state", False))
        state = self._call(args, kwargs)
        if state is None:  # outside any flow: a plain call
            return self.fn(*args, **kwargs)
        if return_state:
            return state  # type: ignore[return-value]
        result: R = state.result()
        return result

    def run_state(self, *args: P.args, **kwargs: P.kwargs) -> State:
        """Like calling the task, but return the run's final `State` instead of its result,
        and raise nothing for a failed run: the typed spelling of `task(..., return_state=True)`.

        Raises:
            MissingContextError: outside a flow run.
        """
        state = self._call(args, kwargs)
        if state is None:
            msg = f"{self.name}.run_state() was called in no flow run; call it inside a function decorated with @flow"
            raise MissingContextError(msg)
        return state

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> State | None:
        """A task run of this task, waited for; None outside any flow (a plain call then)."""
        run = current_run()
        if run is None or (isinstance(run, TaskRunContext) and run.flow_run is None):
            return None  # outside any flow (or inside a task on a remote worker)
        wait_for = self._pop_wait_for(kwargs) if kwargs else None
        self._check_arguments(args, kwargs)
        flow_run = run.flow_run if isinstance(run, TaskRunContext) else run
        assert flow_run is not None
        if isinstance(run, TaskRunContext):
            assert run.flow_run is not None
            # Nested: run it right here, unless a timeout may have to abandon it (then a
            # runner thread takes it, and this one helps while it waits).
            nested: Literal["nested"] | None = (
                "nested" if self.policy.timeout_seconds is None else None
            )
            future = self._submit(run.flow_run, args, kwargs, wait_for, inline=nested)
        else:
            # The caller blocks on the result: it may run the task itself when the runner
            # has a free slot (no hand-off at all), unless a timeout may have to abandon it.
            inline: Literal["caller"] | None = (
                "caller" if self.policy.timeout_seconds is None else None
            )
            future = self._submit(run, args, kwargs, wait_for, inline=inline)
        state = future.wait()
        assert state is not None
        flow_run.check_cancelled()
        return state

    def submit(self, *args: P.args, **kwargs: P.kwargs) -> TaskFuture[R]:
        """Start a task run of this task and return its future at once.

        Futures among the arguments (also inside lists, tuples, dicts and sets) are
        replaced by their results before the task runs; `wait_for=[futures]` adds ordering
        without passing data. If an upstream does not complete, this run ends `NotReady`
        without running, unless that upstream is wrapped in `allow_failure(...)`.

        Raises:
            MissingContextError: outside a flow run.
        """
        wait_for = self._pop_wait_for(kwargs)
        flow_run = self._flow_run_for("submit")
        self._check_arguments(args, kwargs)
        return self._submit(flow_run, args, kwargs, wait_for, inline=None)

    def map(self, *args: Any, **kwargs: Any) -> list[TaskFuture[R]]:
        """Start one task run per element of the iterable arguments, zipped; return futures.

        Iterable arguments (lists, tuples, ranges, generators, ...) are mapped over; wrap a
        value in `unmapped(...)` to pass it whole to every run. Strings, bytes, mappings
        and futures are passed whole. All mapped arguments must have the same length.
        `wait_for=[futures]` applies to every run.

        Raises:
            ValueError: mapped arguments of different lengths, or none at all.
            MissingContextError: outside a flow run.
        """
        wait_for = self._pop_wait_for(kwargs)
        flow_run = self._flow_run_for("map")
        mapped: dict[int | str, list[Any]] = {}
        items: list[tuple[int | str, Any]] = [*enumerate(args), *kwargs.items()]
        for key, value in items:
            if _is_mapped(value):
                mapped[key] = list(value)
        if not mapped:
            msg = f"{self.name}.map() needs at least one iterable argument to map over; use submit() for a single run"
            raise ValueError(msg)
        lengths = {key: len(values) for key, values in mapped.items()}
        if len(set(lengths.values())) > 1:
            described = ", ".join(
                f"{'argument ' + str(k) if isinstance(k, int) else k!s} has {n}"
                for k, n in lengths.items()
            )
            msg = f"{self.name}.map() got iterables of different lengths: {described}"
            raise ValueError(msg)
        count = next(iter(lengths.values()))

        def pick(key: int | str, value: Any, i: int) -> Any:
            if key in mapped:
                return mapped[key][i]
            return value.value if isinstance(value, unmapped) else value

        futures = []
        for i in range(count):
            call_args = tuple(pick(k, v, i) for k, v in enumerate(args))
            call_kwargs = {k: pick(k, v, i) for k, v in kwargs.items()}
            self._check_arguments(call_args, call_kwargs)
            futures.append(self._submit(flow_run, call_args, call_kwargs, wait_for, inline=None))
        return futures

    def _pop_wait_for(self, kwargs: dict[str, Any]) -> Iterable[Any] | None:
        """Take the `wait_for=` call option out of the keyword arguments (unless it is a
        parameter of the function)."""
        if "wait_for" not in self._options:
            return None
        wait_for: Iterable[Any] | None = kwargs.pop("wait_for", None)
        return wait_for

    def _check_arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """A `TypeError` naming the parameter, before any run starts."""
        if kwargs or len(args) not in self._positional:  # plain positional calls are fine
            self._signature.bind(*args, **kwargs)

    def _flow_run_for(self, method: str) -> FlowRunContext:
        run = current_run()
        flow_run = run.flow_run if isinstance(run, TaskRunContext) else run
        if flow_run is None:
            where = "a task running on a Dask worker" if run is not None else "no flow run"
            msg = (
                f"{self.name}.{method}() was called in {where}; call it inside a function "
                f"decorated with @flow (or in a task of that flow), or call {self.name}() directly"
            )
            raise MissingContextError(msg)
        flow_run.check_cancelled()
        return flow_run

    def _submit(
        self,
        flow_run: FlowRunContext,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        wait_for: Iterable[Any] | None,
        *,
        inline: Literal["nested", "caller"] | None,
    ) -> TaskFuture[R]:
        """Ask the runtime for a task run. With `inline`, the caller blocks on the result and
        may run the first attempt itself: see `TaskRunRequest.inline`."""
        upstreams = self._upstreams(flow_run, args, kwargs, wait_for)
        request = TaskRunRequest(
            fn=self.fn,
            task_name=self.name,
            task_key=self.task_key,
            args=args,
            kwargs=kwargs,
            upstreams=upstreams,
            policy=self.policy,
            inline=inline,
        )
        future: TaskFuture[R] = flow_run.port.start_task_run(request, flow_run)
        return future

    def _upstreams(
        self,
        flow_run: FlowRunContext,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        wait_for: Iterable[Any] | None,
    ) -> dict[str, tuple[TaskFuture[Any], bool]]:
        """The futures this run waits for: in its arguments, and in `wait_for`."""
        upstreams: dict[str, tuple[TaskFuture[Any], bool]] = {}
        if args:
            collect_upstreams(args, upstreams)
        if kwargs:
            collect_upstreams(kwargs, upstreams)
        if wait_for is not None:
            if isinstance(wait_for, TaskFuture | allow_failure):
                wait_for = [wait_for]
            collect_upstreams(tuple(wait_for), upstreams)
        for upstream, _allowed in upstreams.values():
            if upstream.flow_run_id != flow_run.flow_run_id:
                msg = (
                    f"{self.name} was given the future of task run {upstream.task_run_name!r}, "
                    "which belongs to another flow run; pass its result instead "
                    "(future.result()), or submit both tasks in the same flow run"
                )
                raise ForeignFutureError(msg)
        return upstreams


def _positional_range(signature: inspect.Signature) -> range:
    """The numbers of positional arguments (and no keyword ones) that certainly bind."""
    kinds = inspect.Parameter
    required = allowed = 0
    for parameter in signature.parameters.values():
        if parameter.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD):
            allowed += 1
            required += parameter.default is kinds.empty
        elif parameter.kind is kinds.VAR_POSITIONAL:
            allowed = sys.maxsize - 1
        elif parameter.kind is kinds.KEYWORD_ONLY and parameter.default is kinds.empty:
            return range(0)  # a required keyword: a positional-only call never binds
    return range(required, allowed + 1)


def _is_mapped(value: Any) -> bool:
    if isinstance(value, unmapped | str | bytes | bytearray | Mapping | TaskFuture | allow_failure):
        return False
    return isinstance(value, Iterable)


@overload
def task(fn: Callable[P, R], /) -> Task[P, R]: ...


@overload
def task(
    *,
    name: str | None = None,
    tags: Iterable[str] = (),
    retries: int = 0,
    retry_delay_seconds: float | Iterable[float] = 0,
    timeout_seconds: float | None = None,
) -> Callable[[Callable[P, R]], Task[P, R]]: ...


def task(
    fn: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    tags: Iterable[str] = (),
    retries: int = 0,
    retry_delay_seconds: float | Iterable[float] = 0,
    timeout_seconds: float | None = None,
) -> Task[P, R] | Callable[[Callable[P, R]], Task[P, R]]:
    """Make a function a task: `@task` or `@task(name=None, tags=(), retries=0, ...)`.

    Args:
        name: the task's name; defaults to the function's name. Its run names are
            `<name>-<8 hex digits stable for this task>-<n>`, `n` counting its runs per
            flow run.
        tags: labels for the task.
        retries: how many times a failed run is tried again.
        retry_delay_seconds: the delay before each retry: one number, or a list with one
            delay per retry (the last one repeats).
        timeout_seconds: an attempt still running after this long ends `TimedOut` (the
            thread running it is abandoned, not stopped: see the task runners page).
    """
    if fn is None:
        retry_policy("@task", retries, retry_delay_seconds, timeout_seconds)  # fail early
        return functools.partial(
            Task,
            name=name,
            tags=tags,
            retries=retries,
            retry_delay_seconds=retry_delay_seconds,
            timeout_seconds=timeout_seconds,
        )
    if isinstance(fn, str):
        msg = f"@task({fn!r}) takes no positional name; write @task(name={fn!r})"
        raise TypeError(msg)
    return Task(
        fn,
        name=name,
        tags=tags,
        retries=retries,
        retry_delay_seconds=retry_delay_seconds,
        timeout_seconds=timeout_seconds,
    )
