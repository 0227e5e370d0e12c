"""Retry and timeout options of tasks and flows, checked once, at decoration time."""

from __future__ import annotations

import math
from collections.abc import Iterable

from actorflow.states import State, StateType

__all__ = ["NO_RETRIES", "RetryPolicy", "retry_policy"]


class RetryPolicy:
    """How many times to retry a failed attempt, after which delays, with what timeout."""

    __slots__ = ("delays", "retries", "timeout_seconds")

    def __init__(
        self, *, retries: int, delays: tuple[float, ...], timeout_seconds: float | None
    ) -> None:
        self.retries = retries
        self.delays = delays
        self.timeout_seconds = timeout_seconds

    def awaiting_retry(self, retry: int) -> State | None:
        """The `AwaitingRetry` state before retry number `retry` (1-based), or None when no
        retries are left."""
        if retry > self.retries:
            return None
        message = f"Retry {retry}/{self.retries} in {self.delay_before(retry)} second(s)"
        return State(type=StateType.SCHEDULED, name="AwaitingRetry", message=message)

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
