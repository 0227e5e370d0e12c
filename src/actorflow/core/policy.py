"""Retry and timeout options of tasks and flows, checked once, at decoration time, and
the rules both run machines follow with them: when to retry, what a failure or a timeout
ends in. Pure: no clock (times come in as arguments), no threads."""

from __future__ import annotations

import math
from collections.abc import Iterable

from actorflow._exceptions import FlowRunTimeoutError, TaskRunnerError, TaskRunTimeoutError
from actorflow.states import State, StateType

__all__ = [
    "NO_RETRIES",
    "RetryPolicy",
    "describe",
    "failure_message",
    "failure_state",
    "retry_policy",
    "safe_repr",
    "safe_str",
    "timed_out_state",
]


class RetryPolicy:
    """How many times to retry a failed attempt, after which delays, with what timeout."""

    __slots__ = ("delays", "retries", "timeout_seconds")

    def __init__(
        self, *, retries: int, delays: tuple[float, ...], timeout_seconds: float | None
    ) -> None:
        self.retries = retries
        self.delays = delays
        self.timeout_seconds = timeout_seconds

    def awaiting_retry(self, retry: int, at: float) -> State | None:
        """The `AwaitingRetry` state, at time `at`, before retry number `retry` (1-based),
        or None when no retries are left."""
        if retry > self.retries:
            return None
        message = f"Retry {retry}/{self.retries} in {self.delay_before(retry)} second(s)"
        return State(type=StateType.SCHEDULED, name="AwaitingRetry", message=message, timestamp=at)

    def delay_before(self, retry: int) -> float:
        """The delay before retry number `retry` (1-based); the last one repeats."""
        if not self.delays:
            return 0.0
        return self.delays[min(retry, len(self.delays)) - 1]


NO_RETRIES = RetryPolicy(retries=0, delays=(), timeout_seconds=None)


def retry_policy(
    owner: str,
    retries: int,
    retry_delay_seconds: float | Iterable[float],
    timeout_seconds: float | None,
) -> RetryPolicy:
    """Check `@task`/`@flow` retry and timeout options; errors name the argument."""
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        msg = f"{owner}(retries=...) must be a whole number >= 0, got {retries!r}"
        raise ValueError(msg)
    delays: tuple[float, ...]
    if isinstance(retry_delay_seconds, int | float) and not isinstance(retry_delay_seconds, bool):
        delays = (float(retry_delay_seconds),)
    elif isinstance(retry_delay_seconds, Iterable) and not isinstance(retry_delay_seconds, str):
        delays = tuple(retry_delay_seconds)
        if not delays or not all(
            isinstance(d, int | float) and not isinstance(d, bool) for d in delays
        ):
            msg = f"{owner}(retry_delay_seconds=...) must be a number or a non-empty list of numbers, got {retry_delay_seconds!r}"
            raise ValueError(msg)
    else:
        msg = f"{owner}(retry_delay_seconds=...) must be a number or a list of numbers, got {retry_delay_seconds!r}"
        raise TypeError(msg)
    if any(d < 0 or not math.isfinite(d) for d in delays):
        msg = (
            f"{owner}(retry_delay_seconds=...) must be finite and >= 0, got {retry_delay_seconds!r}"
        )
        raise ValueError(msg)
    if timeout_seconds is not None and (
        isinstance(timeout_seconds, bool)
        or not isinstance(timeout_seconds, int | float)
        or not timeout_seconds > 0
    ):
        msg = f"{owner}(timeout_seconds=...) must be a number > 0 or None, got {timeout_seconds!r}"
        raise ValueError(msg)
    return RetryPolicy(retries=retries, delays=delays, timeout_seconds=timeout_seconds)


def safe_str(error: BaseException) -> str:
    """`str(error)`, or the type's name when the exception's `__str__` raises (a user's
    exception must never take the runtime down with it)."""
    try:
        return str(error)
    except BaseException:  # any error in user code's __str__
        return type(error).__name__


def describe(error: BaseException) -> str:
    """`<ExcType>: <message>`, or just the type's name when the exception's `__str__`
    raises."""
    text = safe_str(error)
    name = type(error).__name__
    return name if text == name else f"{name}: {text}"


def safe_repr(error: BaseException) -> str:
    """`repr(error)`, or `<ExcType>()` when the exception's `__repr__` raises."""
    try:
        return repr(error)
    except BaseException:  # any error in user code's __repr__
        return f"{type(error).__name__}()"


def failure_message(kind: str, error: BaseException) -> str:
    """`<Kind> run encountered an exception: <ExcType>: <message>`."""
    return f"{kind} run encountered an exception: {describe(error)}"


def failure_state(kind: str, error: BaseException, at: float) -> State:
    """The state a run of `kind` ("Task" or "Flow") ends in when it raised `error`:
    FAILED for an `Exception`; CRASHED for a `BaseException` that is not one
    (`KeyboardInterrupt`, `SystemExit`) and, for tasks, for a `TaskRunnerError` (the runner
    lost the task: not the task's doing)."""
    if kind == "Task" and isinstance(error, TaskRunnerError):
        return State(
            type=StateType.CRASHED,
            message=f"Task run crashed: {safe_str(error)}",
            data=error,
            timestamp=at,
        )
    kind_type = StateType.FAILED if isinstance(error, Exception) else StateType.CRASHED
    return State(type=kind_type, message=failure_message(kind, error), data=error, timestamp=at)


def timed_out_state(kind: str, seconds: float | None, at: float) -> State:
    """The `TimedOut` (FAILED) state of a run of `kind` that exceeded `seconds`; its data is
    a `TaskRunTimeoutError` or `FlowRunTimeoutError` (both `TimeoutError`s)."""
    text = f"{kind} run exceeded timeout of {float(seconds or 0.0)} second(s)"
    error = TaskRunTimeoutError(text) if kind == "Task" else FlowRunTimeoutError(text)
    return State(type=StateType.FAILED, name="TimedOut", message=text, data=error, timestamp=at)
