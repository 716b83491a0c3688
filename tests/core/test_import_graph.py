"""The import graph of the project, read from the source (ast; imports under `if TYPE_CHECKING:`
do not count, imports inside functions do):

* core never imports Qt or the gui (not even inside a function);
* no import cycles between the project's modules (KNOWN_CYCLES below is empty and stays so).
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "gui", "bench")

#: Cycles known and still to be broken (each a frozenset of module names); none today (issue 15 broke
#: case <-> review, headers <-> fast_header, rasterise <-> rasterise_oblique). Keep it empty: break a new
#: cycle by moving the shared piece where it belongs, not by listing it here.
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported_names(path: Path, name: str, modules: set[str] = frozenset()) -> set[str]:
    """Every module name ``path`` imports (dotted), outside ``if TYPE_CHECKING:`` blocks.
    ``from a import b`` gives a.b when that is one of ``modules`` (a submodule), else a."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.add(sub if sub in modules else module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def project_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py")}
    graph = {}
    for name, path in files.items():
        graph[name] = {m for m in imported_names(path, name, set(files)) if m in files and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[frozenset[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        work = [(v, iter(sorted(graph[v])))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.add(w)
                    if w == node:
                        break
                if len(component) > 1:
                    out.append(frozenset(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_core_never_imports_qt_or_the_gui():
    bad = []
    for path in (REPO / "core").rglob("*.py"):
        name = module_name(path)
        for module in imported_names(path, name):
            if module.split(".")[0] in ("PySide6", "shiboken6", "gui", "bench"):
                bad.append(f"{path.relative_to(REPO)} imports {module}")
    assert bad == []


def test_no_new_import_cycles():
    found = set(cycles(project_graph()))
    new = [sorted(c) for c in found - KNOWN_CYCLES]
    gone = [sorted(c) for c in KNOWN_CYCLES - found]
    assert not new, f"import cycles (break them; TYPE_CHECKING for annotations): {new}"
    assert not gone, f"these known cycles are gone: delete them from KNOWN_CYCLES: {gone}"


def test_the_graph_reader_sees_imports_cycles_and_type_checking(tmp_path):
    """The reader itself: a cycle through a function-level import counts, one under TYPE_CHECKING not."""
    source = tmp_path / "mod.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import core.case\n"
                      "def f():\n    from core import review\n    from .sibling import x\n", encoding="utf-8")
    names = imported_names(source, "core.rules.mod", {"core.review", "core.case"})
    assert "core.review" in names and "core.rules.sibling" in names and "core.case" not in names
    assert "core" not in names  # `from core import review` is an import of the submodule
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset("abc")]
    assert cycles({"a": {"b"}, "b": set()}) == []
