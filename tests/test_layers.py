"""The import graph of `src/actorflow` has no cycle, not even through `TYPE_CHECKING`
blocks or imports inside functions (the layer order itself is checked by `lint-imports`,
configured in pyproject.toml)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


def _import_graph() -> dict[str, set[str]]:
    modules: dict[str, Path] = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            continue  # a package's facade re-exports its modules; it is not a layer
        modules[".".join(parts)] = path
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        package = module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(up + ([node.module] if node.module else []))
                names = [base] + [f"{base}.{alias.name}" for alias in node.names]
            for name in names:
                while name and name not in modules:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    edges[module].add(name)
    return edges


def _reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for other in edges[todo.pop()]:
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return seen


def test_no_import_cycle_of_any_kind():
    edges = _import_graph()
    assert "actorflow.actors.flow_run" in edges  # the scan found the package
    cycles = sorted(f"{a} -> {b}" for a in edges for b in edges[a] if a in _reachable(edges, b))
    assert not cycles, (
        "import cycles (TYPE_CHECKING and function-local imports count):\n" + "\n".join(cycles)
    )


def test_the_scan_sees_type_checking_and_function_local_imports(tmp_path):
    package = tmp_path / "demo"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from demo import b\n"
    )
    (package / "b.py").write_text("def f():\n    from demo import a\n")
    global SRC  # noqa: PLW0603
    saved, SRC = SRC, tmp_path
    try:
        edges = _import_graph()
    finally:
        SRC = saved
    assert edges["demo.a"] == {"demo.b"} and edges["demo.b"] == {"demo.a"}
