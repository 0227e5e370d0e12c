"""What the journal records of a run's parameters: a short text per parameter, made
without running user code and without keeping the object.

Taken on the thread that starts the run (so the run's arguments are never held by the
journal's mailbox), for the price of a few type checks:

- numbers, booleans, None: their `repr`;
- strings: their `repr`, cut to `LIMIT` characters;
- lists, tuples, sets and dicts of at most `MAX_ITEMS` such values: their `repr`;
- anything else: its type, as `<module.Type>` (`<list of 5000 items>` for a long
  container): a user's `__repr__` never runs, so neither a secret it would print nor the
  cost of printing a huge object reaches the journal.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["LIMIT", "MAX_ITEMS", "summarize", "summarize_kwargs"]

LIMIT: Final = 200
MAX_ITEMS: Final = 20
_SCALARS: Final = (int, float, bool, type(None))
_CONTAINERS: Final = (list, tuple, set, frozenset, dict)


def _text(value: Any) -> str:
    kind = type(value)
    if kind in _SCALARS:
        return repr(value)
    if kind is str:
        return repr(value) if len(value) <= LIMIT else repr(value[:LIMIT]) + "..."
    if kind in _CONTAINERS:
        return _container(value)
    return _type_name(value)


def _plain(value: Any) -> bool:
    kind = type(value)
    return kind in _SCALARS or (kind is str and len(value) <= LIMIT)


def _container(value: Any) -> str:
    kind = type(value)
    if len(value) > MAX_ITEMS:
        return f"<{kind.__name__} of {len(value)} items>"
    items = value.items() if kind is dict else ((None, v) for v in value)
    if all(_plain(k) and _plain(v) for k, v in items):
        text = repr(value)
        return text if len(text) <= LIMIT else text[: LIMIT - 3] + "..."
    return f"<{kind.__name__} of {len(value)} items>"


def _type_name(value: Any) -> str:
    kind = type(value)
    module = kind.__module__
    return f"<{kind.__qualname__}>" if module == "builtins" else f"<{module}.{kind.__qualname__}>"


def summarize(args: tuple[Any, ...]) -> tuple[str, ...]:
    """The text of each positional argument."""
    return tuple(map(_text, args)) if args else ()


def summarize_kwargs(kwargs: dict[str, Any]) -> dict[str, str]:
    """The text of each keyword argument."""
    return {str(k): _text(v) for k, v in kwargs.items()} if kwargs else {}
