"""`actorflow.sleep`: a pause that a cancelled flow run interrupts."""

from __future__ import annotations

import math
import time

from actorflow._context import current_flow_run

__all__ = ["sleep"]


def sleep(seconds: float) -> None:
    """Pause the calling thread, like `time.sleep`, but inside a flow run wake up and raise
    `FlowRunCancelled` as soon as the run is cancelled.

    Raises:
        FlowRunCancelled: the flow run was cancelled before or during the pause.
        ValueError: `seconds` is negative, NaN or not a number.
    """
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or math.isnan(seconds)
        or seconds < 0
    ):
        msg = f"sleep(seconds=...) must be a number >= 0, got {seconds!r}"
        raise ValueError(msg)
    flow_run = current_flow_run()
    if flow_run is None:
        time.sleep(seconds)
        return
    flow_run.check_cancelled()
    flow_run.cancelled.wait(seconds)
    flow_run.check_cancelled()
