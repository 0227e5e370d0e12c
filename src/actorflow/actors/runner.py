"""The runner actor: owns one flow run's task-runner backend, from start to shutdown."""

from __future__ import annotations

import contextlib
import logging
import traceback
from typing import TYPE_CHECKING, Any

from pykka import ActorDeadError

from actorflow._logging import runner_logger
from actorflow.actors.base import ThreadActor
from actorflow.actors.dispatch import handles
from actorflow.actors.messages import (
    RunnerFailed,
    RunnerStarted,
    RunnerStopped,
    StopRunner,
)
from actorflow.core.clock import wall_now
from actorflow.journal._entries import LOG

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykka import ActorRef

    from actorflow.runners.base import Backend, TaskRunner

__all__ = ["RunnerActor"]


class RunnerActor(ThreadActor):
    """Starts the backend and shuts it down when told: it owns the backend's lifetime.

    Child of a flow-run actor: reports `RunnerStarted` (with the backend, which task runs
    then submit to directly, a thread-safe queue put) / `RunnerFailed` / `RunnerStopped`
    to it with `tell`. Thread rules: `start` and `shutdown` run only on this actor's thread.
    """

    thread_name = "runner"

    def __init__(
        self,
        *,
        flow_run_id: str,
        task_runner: TaskRunner,
        parent: ActorRef[Any],
        journal: Callable[[tuple[Any, ...]], None] | None = None,
    ) -> None:
        super().__init__()
        self._flow_run_id = flow_run_id
        self._task_runner = task_runner
        self._parent = parent
        self._backend: Backend | None = None
        self._journal = journal

    def _log(self, level: int, msg: str, *args: object, exc_text: str | None = None) -> None:
        """A line of the runner's logger, also recorded in the run's journal."""
        runner_logger.log(level, msg, *args, exc_info=exc_text is not None, stacklevel=2)
        if self._journal is not None:
            self._journal(
                (LOG, self._flow_run_id, None, wall_now(), level, runner_logger.name,
                 msg % args if args else msg, exc_text)
            )  # fmt: skip

    def on_start(self) -> None:
        self._log(logging.INFO, "Starting task runner `%s`...", self._task_runner.name)
        try:
            backend = self._task_runner.create_backend()
            backend.start()
        except Exception as error:
            self._log(
                logging.ERROR,
                "Task runner `%s` failed to start: %s: %s",
                self._task_runner.name,
                type(error).__name__,
                error,
            )
            self._report_failure("failed to start", error)
            self.stop()
            return
        self._backend = backend
        self._parent.tell(RunnerStarted(flow_run_id=self._flow_run_id, backend=backend))

    @handles(StopRunner)
    def _on_stop_runner(self, _message: StopRunner) -> None:
        self._shutdown_backend()
        self._parent.tell(RunnerStopped(flow_run_id=self._flow_run_id))
        self.stop()

    def on_stop(self) -> None:
        self._shutdown_backend()

    def on_failure(self, *exc_info: Any) -> None:
        self._shutdown_backend()
        self._report_failure("crashed", exc_info[1])

    def _report_failure(self, what: str, error: BaseException) -> None:
        message = f"Task runner `{self._task_runner.name}` {what}: {type(error).__name__}: {error}"
        with contextlib.suppress(ActorDeadError):  # the parent may be gone already
            self._parent.tell(
                RunnerFailed(flow_run_id=self._flow_run_id, message=message, error=error)
            )

    def _shutdown_backend(self) -> None:
        backend, self._backend = self._backend, None
        if backend is None:
            return
        self._log(logging.INFO, "Shutting down task runner `%s`...", self._task_runner.name)
        try:
            backend.shutdown()
        except Exception:
            self._log(
                logging.ERROR,
                "Task runner `%s` failed to shut down",
                self._task_runner.name,
                exc_text=traceback.format_exc().rstrip(),
            )
