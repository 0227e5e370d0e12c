"""`actorflow run FILE.py:FLOW -p NAME=VALUE ...`: one flow run, with the usual console.

Exit status: 0 when the run completed; 1 when it ended in any other state (failed,
crashed, cancelled); 2 for a usage error (nothing ran); 130 on Ctrl-C (the run is
cancelled first).
"""

from __future__ import annotations

import contextlib
import copy
import signal
import sys
import time
from typing import TYPE_CHECKING, Any, Final

import click

from actorflow.cli._context import home
from actorflow.cli._errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, CliError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from actorflow import ActorSystem, FlowRunRef
    from actorflow.flows import Flow
    from actorflow.runners.base import TaskRunner
    from actorflow.states import State

__all__ = ["run_command"]

RUNNERS: Final = ("sequential", "concurrent", "dask")
_WAIT_SLICE: Final = 0.1  # seconds: how soon Ctrl-C and the progress display are served


@click.command("run")
@click.argument("entrypoint", metavar="FILE.py:FLOW")
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter of the flow (repeat for each). Converted by the flow's type hints: "
    "int, float, bool (true/false), str; list and dict as JSON; null for an Optional.",
)
@click.option(
    "--runner",
    type=click.Choice(RUNNERS, case_sensitive=False),
    default=None,
    help="Run the flow's tasks on this task runner instead of the one its @flow names.",
)
@click.option(
    "--address",
    metavar="tcp://HOST:PORT",
    default=None,
    help="The address of a running Dask scheduler (with --runner dask, which it implies).",
)
def run_command(
    entrypoint: str, params: tuple[str, ...], runner: str | None, address: str | None
) -> None:
    """Run a flow from a Python file, with the usual console output.

    FILE.py:FLOW names the file and the flow in it, by its function's name or its flow
    name (the flow may be left out when the file has just one). The file is imported as a
    module (its `if __name__ == "__main__":` block does not run), its folder first on the
    import path. Every parameter is checked and converted before anything runs.

    On a terminal, a run of many task runs also shows a live progress line.
    Ctrl-C cancels the run and exits with status 130; a second Ctrl-C exits at once.

    Exit status: 0 the run completed, 1 it did not (failed, crashed, cancelled),
    2 a usage error (nothing ran), 130 interrupted.

    \b
    Examples:
      actorflow run flows.py:etl -p day=2024-06-01 -p retries=3
      actorflow run flows.py:train -p 'layers=[64, 32]' --runner concurrent
      actorflow run flows.py:etl --runner dask --address tcp://10.0.0.5:8786
    """
    from actorflow.cli._loader import load_flow  # noqa: PLC0415  (the runtime loads here)
    from actorflow.cli._params import convert_parameters, split_assignments  # noqa: PLC0415

    texts = split_assignments(params)
    if address is not None and runner not in (None, "dask"):
        msg = f"--address is a Dask scheduler's: use it with --runner dask, not --runner {runner}"
        raise CliError(msg)
    flow, _module = load_flow(entrypoint)
    arguments = convert_parameters(flow.fn, flow.name, texts)
    if runner is not None or address is not None:
        flow = _with_runner(flow, _make_runner(runner or "dask", address))
    click.get_current_context().exit(_run(flow, arguments))


def _make_runner(name: str, address: str | None) -> TaskRunner:
    from actorflow.task_runners import (  # noqa: PLC0415
        ConcurrentTaskRunner,
        DaskTaskRunner,
        SequentialTaskRunner,
    )

    name = name.lower()
    if name == "sequential":
        return SequentialTaskRunner()
    if name == "concurrent":
        return ConcurrentTaskRunner()
    try:
        return DaskTaskRunner(address=address)
    except (TypeError, ValueError) as error:
        msg = f"--address {address!r}: {error}"
        raise CliError(msg) from None


def _with_runner(flow: Flow[Any, Any], runner: TaskRunner) -> Flow[Any, Any]:
    """The same flow (name, retries, timeout...) with another task runner."""
    changed = copy.copy(flow)
    changed.task_runner = runner
    return changed


def _open_system() -> ActorSystem:
    from actorflow import ActorSystem  # noqa: PLC0415

    try:
        return ActorSystem(home=home())
    except OSError as error:
        msg = f"the journal cannot be written ({error}); give another --home or fix its permissions"
        raise CliError(msg) from None


def _run(flow: Flow[Any, Any], arguments: dict[str, Any]) -> int:
    """Launch the run, wait for it (serving Ctrl-C and the progress display), and return
    the exit status."""
    system: ActorSystem | None = None
    ref: FlowRunRef | None = None
    try:
        with _interrupt_deferred():
            system = _open_system()
            try:
                ref = system.launch(flow, **arguments)
            except TypeError as error:  # the arguments do not bind (checked already)
                msg = f"flow {flow.name!r}: {error}"
                raise CliError(msg) from None
        state = _wait(ref)
    except KeyboardInterrupt:
        if system is not None:
            _interrupted(system, ref)
        return EXIT_INTERRUPTED
    except BaseException:
        if system is not None:
            system.shutdown()
        raise
    system.shutdown()
    return EXIT_OK if state.is_completed() else EXIT_FAILED


@contextlib.contextmanager
def _interrupt_deferred() -> Iterator[None]:
    """A Ctrl-C during the block is raised at its end: while the runtime starts its threads
    and the run's, a `KeyboardInterrupt` would leave a run going that no one holds."""
    caught: list[int] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    except ValueError:  # not the main thread: Python delivers signals to it only
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous or signal.default_int_handler)
    if caught:
        raise KeyboardInterrupt


def _wait(ref: FlowRunRef) -> State:
    """The run's final state; a live progress display meanwhile if stderr is a terminal."""
    progress = None
    if sys.stderr.isatty():
        from actorflow.cli._progress import RunProgress  # noqa: PLC0415  (rich: only here)

        progress = RunProgress(ref, time.monotonic())
    try:
        while (state := ref.wait(_WAIT_SLICE)) is None:
            if progress is not None:
                progress.poll()
        if progress is not None:
            progress.finish()
    finally:
        if progress is not None:
            progress.stop()
    return state


def _interrupted(system: ActorSystem, ref: FlowRunRef | None) -> None:
    """Ctrl-C: cancel the run and wait for it to stop (saying so); a second Ctrl-C stops
    the wait."""
    if ref is not None:
        ref.cancel("Interrupted (KeyboardInterrupt)")
    system.runtime.shutdown_at_exit()
