"""What the journal records of a run's parameters: a short text per parameter, made
without running user code and without keeping any object that could matter.

- numbers, booleans, None: their `repr` (an int too long to print: `<int of N bits>`);
- strings: their `repr`, cut to `LIMIT` characters;
- lists, tuples, sets and dicts of at most `MAX_ITEMS` such values: their `repr`;
- anything else: its type, as `<module.Type>` (`<list of 5000 items>` for a long
  container): a user's `__repr__` never runs, so neither what it would print nor the cost
  of printing a huge object reaches the journal.

Split in two for the per-task path: `summarize` (on the thread that starts the run) passes
numbers, booleans, None and short strings through as they are (immutable, small: holding
them costs nothing) and turns everything else into its text (a `Text`) at once, so the
journal's mailbox never holds a run's other arguments; `text_of` (on the journal's
thread) makes the texts of what was passed through.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["LIMIT", "MAX_ITEMS", "Text", "summarize", "summarize_kwargs", "text_of"]

LIMIT: Final = 200
MAX_ITEMS: Final = 20
_MAX_INT_BITS: Final = 10_000  # about 3,000 digits: Python refuses to print 4,300 and more
_SCALARS: Final = (int, float, bool, type(None))
_CONTAINERS: Final = (list, tuple, set, frozenset, dict)


class Text(str):
    """A parameter's finished text (as opposed to a plain value passed through)."""

    __slots__ = ()


def _plain(value: Any) -> bool:
    kind = type(value)
    return kind in _SCALARS or (kind is str and len(value) <= LIMIT)


def text_of(value: Any) -> str:
    """The text of a value `summarize` passed through, or the `Text` it made. Never raises."""
    kind = type(value)
    if kind is Text:
        return str(value)
    try:
        text = _text(value, kind)
    except Exception:  # e.g. a container of objects whose comparison or hash fails
        text = None
    return _type_name(value) if text is None else text


def _text(value: Any, kind: type) -> str | None:
    if kind is int and value.bit_length() > _MAX_INT_BITS:
        return f"<int of {value.bit_length()} bits>"
    if kind in _SCALARS:
        return repr(value)
    if kind is str:
        return repr(value) if len(value) <= LIMIT else repr(value[:LIMIT]) + "..."
    if kind in _CONTAINERS:
        return _container(value)
    return None


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


def _summary(value: Any) -> Any:
    return value if _plain(value) else Text(text_of(value))


def summarize(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Positional arguments as the journal may hold them (see the module docs)."""
    for value in args:
        if not _plain(value):
            return tuple(map(_summary, args))
    return args


def summarize_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments as the journal may hold them (see the module docs)."""
    for value in kwargs.values():
        if not _plain(value):
            return {str(k): _summary(v) for k, v in kwargs.items()}
    return kwargs
