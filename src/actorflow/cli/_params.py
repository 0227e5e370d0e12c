"""`-p key=value`: a flow's parameters from the command line, converted by its type hints.

`int`, `float`, `bool`, `str`, `pathlib.Path`, enums and `Literal[...]` from their text;
`list`, `tuple`, `set` and `dict` (plain or parameterized) from JSON; `Optional[X]` (or
`X | None`) also takes `null` or `none`; a union tries its members in order. A parameter
without a hint is converted as its default's type (a `str` if it has none). Every problem
is found before anything runs, and the error names the parameter and the flow.
"""

from __future__ import annotations

import contextlib
import enum
import inspect
import json
import types
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, Union

from actorflow.cli._errors import CliError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["convert_parameters", "split_assignments"]

_TRUE: Final = frozenset({"true", "1", "yes", "y", "on"})
_FALSE: Final = frozenset({"false", "0", "no", "n", "off"})
_NULL: Final = frozenset({"null", "none"})
_JSON_TYPES: Final = {list: list, tuple: list, set: list, frozenset: list, dict: dict}


class _NotConvertibleError(ValueError):
    """The text does not convert to the type; the message says what would."""


def split_assignments(assignments: Sequence[str]) -> dict[str, str]:
    """`["n=3", "name=x"]` as `{"n": "3", "name": "x"}` (the value may hold `=`).

    Raises:
        CliError: an item has no `=`, or an empty name, or a name is given twice.
    """
    values: dict[str, str] = {}
    for item in assignments:
        name, equals, value = item.partition("=")
        name = name.strip()
        if not equals or not name:
            msg = f"-p {item!r}: give a parameter as NAME=VALUE, such as -p n=3"
            raise CliError(msg)
        if name in values:
            msg = f"-p {name}=...: parameter {name!r} is given twice; give it once"
            raise CliError(msg)
        values[name] = value
    return values


def convert_parameters(
    fn: Callable[..., Any], flow_name: str, texts: dict[str, str]
) -> dict[str, Any]:
    """The keyword arguments for a call of `fn` (the flow's function), from their texts.

    Raises:
        CliError: a name the function does not take, a required parameter not given, or a
            text that does not convert to its parameter's type.
    """
    signature = inspect.signature(fn)
    parameters = signature.parameters
    hints = _hints(fn)
    var_keyword = next(
        (p for p in parameters.values() if p.kind is inspect.Parameter.VAR_KEYWORD), None
    )
    named = {
        name: p
        for name, p in parameters.items()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }
    arguments: dict[str, Any] = {}
    for name, text in texts.items():
        parameter = named.get(name)
        if parameter is None and var_keyword is None:
            known = ", ".join(named) or "none"
            msg = f"flow {flow_name!r} has no parameter {name!r} (its parameters: {known})"
            raise CliError(msg)
        hint = hints.get(name, _from_default(parameter)) if parameter is not None else None
        if parameter is None and var_keyword is not None:
            hint = _kwargs_hint(hints.get(var_keyword.name))
        try:
            arguments[name] = _convert(text, hint)
        except _NotConvertibleError as error:
            msg = f"flow {flow_name!r}, parameter {name!r}: {text!r} is not {error}"
            raise CliError(msg) from None
    missing = [
        name
        for name, p in named.items()
        if p.default is inspect.Parameter.empty and name not in arguments
    ]
    if missing:
        given = " ".join(f"-p {name}=VALUE" for name in missing)
        listed = ", ".join(repr(name) for name in missing)
        msg = f"flow {flow_name!r} needs parameter {listed}: give {given}"
        raise CliError(msg)
    return arguments


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """The function's type hints; one by one if some do not resolve (a name defined
    only under `if TYPE_CHECKING:`, say): those are left out."""
    with contextlib.suppress(Exception):
        return typing.get_type_hints(fn)
    hints: dict[str, Any] = {}
    namespace = getattr(fn, "__globals__", None)
    for name, annotation in getattr(fn, "__annotations__", {}).items():
        holder = types.SimpleNamespace(__annotations__={name: annotation})
        with contextlib.suppress(Exception):
            hints.update(typing.get_type_hints(holder, globalns=namespace))
    return hints


def _from_default(parameter: inspect.Parameter | None) -> Any:
    if parameter is None or parameter.default in (inspect.Parameter.empty, None):
        return str
    kind = type(parameter.default)
    if kind in (int, float, bool, str, list, dict, tuple) or issubclass(kind, enum.Enum):
        return kind
    return str


def _kwargs_hint(hint: Any) -> Any:
    return str if hint is None else hint


def _convert(text: str, hint: Any) -> Any:  # noqa: C901, PLR0911  (one case per kind of hint)
    """`text` as a value of `hint`.

    Raises:
        _NotConvertibleError: it is not; the message says what the type is (`an int`...).
    """
    if hint is None or hint is Any or hint is str or hint is object:
        return text
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return _convert_union(text, typing.get_args(hint))
    if origin is Literal:
        return _convert_literal(text, typing.get_args(hint))
    if origin is typing.Annotated:
        return _convert(text, typing.get_args(hint)[0])
    kind = origin or hint
    if kind is bool:
        return _convert_bool(text)
    if kind is int:
        try:
            return int(text.strip())
        except ValueError:
            raise _NotConvertibleError("an int (give a whole number)") from None
    if kind is float:
        try:
            return float(text.strip())
        except ValueError:
            raise _NotConvertibleError("a float (give a number)") from None
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return _convert_enum(text, kind)
    if isinstance(kind, type) and issubclass(kind, Path):
        return kind(text)
    if kind in _JSON_TYPES:
        return _convert_json(text, kind, hint)
    name = getattr(hint, "__name__", repr(hint))
    msg = f"given from the command line: its type, {name}, has no text form (the command converts int, float, bool, str, Path, enums, and list or dict from JSON)"
    raise _NotConvertibleError(msg)


def _convert_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _NotConvertibleError("a bool (give true or false)")


def _convert_union(text: str, members: tuple[Any, ...]) -> Any:
    if type(None) in members and text.strip().lower() in _NULL:
        return None
    others = [m for m in members if m is not type(None)]
    if str in others:  # a text that is a str as given: no guessing at other members
        others = [m for m in others if m is not str] + [str]
    reasons = []
    for member in others:
        try:
            return _convert(text, member)
        except _NotConvertibleError as error:
            reasons.append(str(error).split(" (")[0])
    if type(None) in members:
        reasons.append("null")
    raise _NotConvertibleError(" or ".join(reasons))


def _convert_literal(text: str, choices: tuple[Any, ...]) -> Any:
    for choice in choices:
        if str(choice.value if isinstance(choice, enum.Enum) else choice) == text:
            return choice
    listed = ", ".join(str(c.value if isinstance(c, enum.Enum) else c) for c in choices)
    raise _NotConvertibleError(f"one of the choices ({listed})")


def _convert_enum(text: str, kind: type[enum.Enum]) -> Any:
    for member in kind:
        if text in (member.name, str(member.value)):
            return member
    listed = ", ".join(member.name for member in kind)
    raise _NotConvertibleError(f"a {kind.__name__} (give one of {listed})")


def _convert_json(text: str, kind: Any, hint: Any) -> Any:
    expected = _JSON_TYPES[kind]
    article = (
        "a dict (give a JSON object"
        if expected is dict
        else f"a {kind.__name__} (give a JSON array"
    )
    try:
        value = json.loads(text)
    except ValueError:
        raise _NotConvertibleError(f"{article}, such as {_example(expected)})") from None
    if not isinstance(value, expected):
        raise _NotConvertibleError(f"{article}, such as {_example(expected)})")
    args = typing.get_args(hint)
    if expected is list:
        if len(args) == 1 or (kind is tuple and len(args) == 2 and args[1] is Ellipsis):  # noqa: PLR2004
            value = [_check_item(item, args[0]) for item in value]
        return value if kind is list else kind(value)
    if len(args) == 2:  # noqa: PLR2004
        value = {key: _check_item(item, args[1]) for key, item in value.items()}
    return value


def _example(expected: type) -> str:
    return "'{\"a\": 1}'" if expected is dict else "'[1, 2]'"


def _check_item(item: Any, hint: Any) -> Any:
    """A JSON item against its container's item type (for int, float, bool, str items)."""
    if hint is float and isinstance(item, int) and not isinstance(item, bool):
        return float(item)
    if hint in (int, float, str, bool) and (
        not isinstance(item, hint) or (hint is int and isinstance(item, bool))
    ):
        raise _NotConvertibleError(f"JSON whose items are each a {hint.__name__} (got {item!r})")
    return item
