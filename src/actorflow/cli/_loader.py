"""`path/to/file.py:flow_name`: importing a file of flows and finding one in it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from actorflow.cli._errors import CliError

if TYPE_CHECKING:
    from types import ModuleType

    from actorflow.flows import Flow

__all__ = ["load_flow"]

MODULE_NAME: Final = "__actorflow_flows__"
"""The name the file is imported under: not `__main__`, so its `if __name__ == "__main__":`
block does not run (as with `python -c "import file"`)."""


def load_flow(entrypoint: str) -> tuple[Flow[Any, Any], ModuleType]:
    """Import the file of `path/to/file.py:flow_name` and return the flow named (by its
    function's name or its flow name) with the module. Without `:flow_name`, the file's
    one flow.

    Raises:
        CliError: the file does not exist or fails to import, or has no such flow.
    """
    from actorflow.flows import Flow  # noqa: PLC0415  (the runtime loads for `run` only)

    path_text, colon, flow_name = entrypoint.rpartition(":")
    if not colon or not path_text.endswith(".py"):  # no ":name", or a ":" in the path
        path_text, flow_name = entrypoint, ""
    path = Path(path_text)
    if not path.is_file():
        msg = f"{path_text}: no such file (give path/to/file.py:flow_name)"
        raise CliError(msg)
    module = _import(path)
    flows = {name: value for name, value in vars(module).items() if isinstance(value, Flow)}
    if not flow_name:
        if len(flows) == 1:
            return next(iter(flows.values())), module
        listed = ", ".join(sorted(flows)) or "none"
        msg = f"{path_text} holds {len(flows)} flows ({listed}): name one, as {path_text}:NAME"
        raise CliError(msg)
    found = flows.get(flow_name) or next((f for f in flows.values() if f.name == flow_name), None)
    if found is not None:
        return found, module
    listed = ", ".join(sorted(flows)) or "none"
    if flow_name in vars(module):
        kind = type(vars(module)[flow_name]).__name__
        msg = f"{path_text}:{flow_name} is a {kind}, not a @flow (the file's flows: {listed})"
    else:
        msg = f"{path_text} has no flow {flow_name!r} (its flows: {listed})"
    raise CliError(msg)


def _import(path: Path) -> ModuleType:
    """Import the file as a module, its folder first on `sys.path` (as `python file.py`)."""
    resolved = path.resolve()
    spec = importlib.util.spec_from_file_location(MODULE_NAME, resolved)
    if spec is None or spec.loader is None:
        msg = f"{path}: cannot be imported as Python (give a .py file)"
        raise CliError(msg)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(resolved.parent))
    sys.modules[MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        msg = f"{path}:{error.lineno}: {error.msg} (the file does not parse)"
        raise CliError(msg) from None
    except Exception as error:
        where = _where(error, resolved)
        msg = f"{path}{where}: importing it raised {type(error).__name__}: {error}"
        raise CliError(msg) from None
    _ship_by_value(module)
    return module


def _where(error: BaseException, path: Path) -> str:
    """`:LINE` of the innermost frame of the file in the error's traceback, if any."""
    line = ""
    tb = error.__traceback__
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename) == path:
            line = f":{tb.tb_lineno}"
        tb = tb.tb_next
    return line


def _ship_by_value(module: ModuleType) -> None:
    """Dask workers cannot import the file by its module name: its functions and classes
    are pickled by value instead, as those of a `python file.py` script are."""
    if importlib.util.find_spec("cloudpickle") is None:
        return
    import cloudpickle  # noqa: PLC0415

    cloudpickle.register_pickle_by_value(module)
