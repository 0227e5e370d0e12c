"""`@task`: a function whose calls inside a flow become task runs."""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, overload

from actorflow._context import FlowRunContext, TaskRunContext, current_run
from actorflow._names import new_id, task_key
from actorflow.actors.task_run import TaskRunActor
from actorflow.futures import TaskFuture

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Task", "task"]

P = ParamSpec("P")
R = TypeVar("R")


class Task(Generic[P, R]):
    """A task: wraps a function; calling it inside a flow run makes a task run.

    - Inside a flow (its body or one of its tasks): the call is submitted to the flow's
      task runner as a task run; the caller waits for it and gets its return value, or its
      exception raised. Pass `return_state=True` to get the final `State` instead.
    - Anywhere else: the function is simply called.
    """

    def __init__(
        self, fn: Callable[P, R], *, name: str | None = None, tags: tuple[str, ...] = ()
    ) -> None:
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
        self.task_key = task_key(
            getattr(fn, "__module__", ""), getattr(fn, "__qualname__", self.name)
        )
        self._signature = inspect.signature(fn)
        functools.update_wrapper(self, fn)

    def __repr__(self) -> str:
        return f"Task(name={self.name!r})"

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return_state = bool(kwargs.pop("return_state", False))
        run = current_run()
        if run is None or (isinstance(run, TaskRunContext) and run.flow_run is None):
            # Outside any flow (or inside a task on a remote worker): a plain call.
            return self.fn(*args, **kwargs)
        self._signature.bind(*args, **kwargs)  # a TypeError naming the parameter, no run
        if isinstance(run, TaskRunContext):
            assert run.flow_run is not None
            future = self._submit(run.flow_run, args, kwargs, inline=True)
        else:
            future = self._submit(run, args, kwargs, inline=False)
        state = future.wait()
        assert state is not None
        if return_state:
            return state  # type: ignore[return-value]
        result: R = state.result()
        return result

    def _submit(
        self,
        flow_run: FlowRunContext,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        inline: bool,
    ) -> TaskFuture[R]:
        """Create the task run's actor; with `inline`, execute it in this thread at once."""
        index = flow_run.next_task_index(self.task_key)
        task_run_name = f"{self.name}-{self.task_key}-{index}"
        task_run_id = new_id()
        future: TaskFuture[R] = TaskFuture(
            task_run_id=task_run_id, task_run_name=task_run_name, flow_run_id=flow_run.flow_run_id
        )
        actor = TaskRunActor(
            task_run_id=task_run_id,
            task_run_name=task_run_name,
            task_name=self.name,
            fn=self.fn,
            args=args,
            kwargs=kwargs,
            flow_run=flow_run,
            future=future,
            inline=inline,
        )
        actor._start_actor_loop()
        if inline:
            actor.call.run_and_report()
        return future


@overload
def task(fn: Callable[P, R], /) -> Task[P, R]: ...


@overload
def task(
    *, name: str | None = None, tags: tuple[str, ...] = ()
) -> Callable[[Callable[P, R]], Task[P, R]]: ...


def task(
    fn: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    tags: tuple[str, ...] = (),
) -> Task[P, R] | Callable[[Callable[P, R]], Task[P, R]]:
    """Make a function a task: `@task` or `@task(name=None, tags=())`.

    The task's name defaults to the function's name; its run names are
    `<name>-<8 hex digits stable for this task>-<n>`, `n` counting its runs per flow run.
    """
    if fn is None:
        return functools.partial(Task, name=name, tags=tags)
    if isinstance(fn, str):
        msg = f"@task({fn!r}) takes no positional name; write @task(name={fn!r})"
        raise TypeError(msg)
    return Task(fn, name=name, tags=tags)
