"""Imports between domain services flow one way: no app/*/service.py reaches itself again through its imports.

Two services that import each other (even lazily, inside a function) usually mean a rule sits in the wrong
place; this reads every module under app/ with `ast`, so a new cycle fails here rather than in review."""

import ast
from pathlib import Path

from app.config import PROJECT_ROOT


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(root: Path, path: Path, modules: set[str]) -> set[str]:
    """Every module of `modules` that `path` imports anywhere (top level, in functions, under TYPE_CHECKING)."""
    here = module_name(root, path)
    package = here.split(".") if path.name == "__init__.py" else here.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # from . import x, from ..evidence.service import y
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from app.reports import service` imports the module app.reports.service
            found.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names)
    return {name for name in found if name in modules and name != here}


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same tree it imports."""
    paths = {module_name(root, path): path for path in root.rglob("*.py")}
    return {name: imported_modules(root, path, set(paths)) for name, path in paths.items()}


def service_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """For each service module that can reach itself again, the shortest such chain of imports."""
    cycles = []
    for start in sorted(name for name in graph if name.endswith(".service")):
        parent: dict[str, str] = {}
        frontier = [start]
        while frontier and start not in parent:
            reached = []
            for module in frontier:
                for target in sorted(graph[module] - parent.keys()):
                    parent[target] = module
                    reached.append(target)
            frontier = reached
        if start in parent:
            chain = [start]
            while chain[-1] != start or len(chain) == 1:
                chain.append(parent[chain[-1]])
            cycles.append(chain[::-1])
    return cycles


def test_no_service_imports_itself_back_through_other_modules() -> None:
    cycles = service_cycles(import_graph(PROJECT_ROOT / "app"))
    assert cycles == [], "import cycles through services:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_check_finds_lazy_relative_and_indirect_cycles(tmp_path: Path) -> None:
    """The checker itself: a cycle through a helper module, hidden in a function body, with relative imports."""
    app = tmp_path / "app"
    for package in ("a", "b", "c"):
        (app / package).mkdir(parents=True)
        (app / package / "__init__.py").write_text("")
    (app / "__init__.py").write_text("")
    (app / "a" / "service.py").write_text("from app.b import service\n")
    (app / "b" / "service.py").write_text("from . import helpers\n")
    (app / "b" / "helpers.py").write_text("def later() -> None:\n    from ..a.service import x\n")
    (app / "c" / "service.py").write_text("import app.b.helpers\n")
    assert service_cycles(import_graph(app)) == [
        ["app.a.service", "app.b.service", "app.b.helpers", "app.a.service"],
        ["app.b.service", "app.b.helpers", "app.a.service", "app.b.service"],
    ]
    (app / "b" / "helpers.py").write_text("from app.c import helpers\n")  # one way again
    assert service_cycles(import_graph(app)) == []
