"""Argument markers for `submit` and `map`, and the walk that finds futures in arguments."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from actorflow._results import RemoteResult
from actorflow.futures import TaskFuture

__all__ = ["allow_failure", "collect_upstreams", "resolve_upstreams", "unmapped"]

T = TypeVar("T")


class unmapped(Generic[T]):  # noqa: N801  (reads as a function at the call site, like Prefect's)
    """Pass a value whole to every run of `Task.map`, instead of mapping over it."""

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"unmapped({self.value!r})"


class allow_failure(Generic[T]):  # noqa: N801
    """Let a downstream task run even if this upstream future did not complete.

    The downstream receives the upstream's exception (or its result, if it completed) as
    the argument's value.
    """

    __slots__ = ("future",)

    def __init__(self, future: TaskFuture[T]) -> None:
        if not isinstance(future, TaskFuture):
            msg = f"allow_failure() takes a TaskFuture, got {type(future).__name__}"
            raise TypeError(msg)
        self.future = future

    def __repr__(self) -> str:
        return f"allow_failure({self.future!r})"


_CONTAINERS = (list, tuple, dict, set, frozenset)


def collect_upstreams(value: Any, found: dict[str, tuple[TaskFuture[Any], bool]]) -> None:
    """Record every future in `value` (directly, or inside lists, tuples, dicts and sets):
    task run id -> (future, whether a failure is allowed)."""
    if isinstance(value, TaskFuture):
        found.setdefault(value.task_run_id, (value, False))
    elif isinstance(value, allow_failure):
        found[value.future.task_run_id] = (value.future, True)
    elif isinstance(value, dict):
        for key, item in value.items():
            collect_upstreams(key, found)
            collect_upstreams(item, found)
    elif isinstance(value, _CONTAINERS):
        for item in value:
            collect_upstreams(item, found)


def resolve_upstreams(value: Any) -> Any:
    """`value` with every future replaced by its run's result (for `allow_failure`, the
    exception if the run failed). Called once all the futures are done, on an actor
    thread: a result left on a Dask worker is not fetched, its `as_argument()` (the Dask
    future) takes its place."""
    return _resolve(value, remote_ok=True)


def _resolve(value: Any, *, remote_ok: bool) -> Any:
    if isinstance(value, TaskFuture):
        return _argument(value, remote_ok=remote_ok)
    if isinstance(value, allow_failure):
        return _argument(value.future, remote_ok=remote_ok)
    if isinstance(value, dict):
        return {
            _resolve(k, remote_ok=False): _resolve(v, remote_ok=remote_ok) for k, v in value.items()
        }
    if isinstance(value, _CONTAINERS):
        # Dask puts values in place of its futures in lists, tuples, sets and dict values;
        # not in frozensets or dict keys.
        inner_ok = remote_ok and not isinstance(value, frozenset)
        items = [_resolve(item, remote_ok=inner_ok) for item in value]
        if isinstance(value, tuple) and hasattr(value, "_fields"):  # a namedtuple
            return type(value)(*items)
        return type(value)(items)
    return value


def _argument(future: TaskFuture[Any], *, remote_ok: bool) -> Any:
    state = future.state
    assert state is not None
    if state.is_completed() and isinstance(state.data, RemoteResult):
        if not remote_ok:
            msg = (
                f"the result of task run {future.task_run_name!r} stayed on the Dask cluster "
                "(it is large) and cannot be passed as a dict key or inside a frozenset; pass "
                "it as an argument, or inside a list, tuple, set or dict value"
            )
            raise TypeError(msg)
        return state.data.as_argument()
    return state.result(raise_on_failure=False)
