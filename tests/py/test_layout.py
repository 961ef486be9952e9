"""The architecture shows in the import graph, read from the source with ast (nothing imported).

Layers, bottom up; a module may import from its own layer and the layers below it only:
- the library: every module of pgflowstate not named below (errors, models, codec, pool,
  connection, store, cache, manager, recovery, alerts, metrics, stats, schema, validator, docs);
- the adapters: pgflowstate.crewai, pgflowstate.migrator, pgflowstate.server, and
  pgflowstate.legacy (the CrewAI cutover's old address);
- the facade: pgflowstate itself (__init__.py, the public API);
- the top: the CLI (pgflowstate.cli, and the __main__ modules that run it) and the web
  inspector (pgflowstate.ui), which only present what the layers below return.
The graph has no cycle, and inside a function only an optional extra is imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "python" / "pgflowstate"
LIBRARY, ADAPTER, FACADE, CLI = 0, 1, 2, 3
LAYER_NAMES = {LIBRARY: "the library", ADAPTER: "an adapter", FACADE: "the facade", CLI: "the CLI or the inspector"}
ADAPTERS = ("pgflowstate.crewai", "pgflowstate.migrator", "pgflowstate.server", "pgflowstate.legacy")
# Imported inside a function, and why: importing the CrewAI adapter loads CrewAI (seconds); the
# inspector needs Starlette, Jinja2 and uvicorn, which only its extra (`ui`) installs.
OPTIONAL_EXTRAS = ("pgflowstate.crewai", "pgflowstate.ui")


def module_name(path: Path) -> str:
    parts = ["pgflowstate", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layer(name: str) -> int:
    if within(name, "pgflowstate.cli") or within(name, "pgflowstate.ui") or name.endswith(".__main__"):
        return CLI
    if name == "pgflowstate":
        return FACADE
    if any(within(name, adapter) for adapter in ADAPTERS):
        return ADAPTER
    return LIBRARY


def imports(name: str) -> list[tuple[str, bool]]:
    """(module of pgflowstate, imported inside a function) for every import in ``name``."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((alias.name, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in child.names:  # `from x import y`: the module x.y if there is one
                    found.append((f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base,
                                  in_function))
            visit(child, nested)

    visit(ast.parse(path.read_text()), False)
    return [(module, lazy) for module, lazy in found if module in MODULES and module != name]


GRAPH = {name: sorted({module for module, _ in imports(name)}) for name in MODULES}


def test_every_layer_imports_only_its_own_and_those_below():
    upward = [f"{name} ({LAYER_NAMES[layer(name)]}) imports {target} ({LAYER_NAMES[layer(target)]})"
              for name, targets in GRAPH.items() for target in targets if layer(target) > layer(name)]
    assert upward == []


def first_cycle() -> list[str] | None:
    """The first import cycle found by a depth-first walk, as a path back to its start."""
    done: set[str] = set()

    def walk(path: list[str]) -> list[str] | None:
        for target in GRAPH[path[-1]]:
            if target in path:
                return [*path[path.index(target):], target]
            if target not in done:
                found = walk([*path, target])
                if found:
                    return found
        done.add(path[-1])
        return None

    for name in GRAPH:
        found = None if name in done else walk([name])
        if found:
            return found
    return None


def test_the_import_graph_has_no_cycle():
    cycle = first_cycle()
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_only_optional_extras_are_imported_inside_functions():
    hidden = [f"{name} imports {module} inside a function" for name in MODULES
              for module, lazy in imports(name)
              if lazy and not any(within(module, extra) for extra in OPTIONAL_EXTRAS)]
    assert hidden == []


def test_the_layers_are_what_the_tree_says():
    """The classification above covers the tree as it is: a new top-level module is library
    unless it is added to ADAPTERS."""
    assert layer("pgflowstate.store") == layer("pgflowstate.codec") == layer("pgflowstate.schema") == LIBRARY
    assert layer("pgflowstate.crewai.cutover") == layer("pgflowstate.migrator.source") == ADAPTER
    assert layer("pgflowstate.server.cluster") == ADAPTER
    assert layer("pgflowstate.cli.flows") == layer("pgflowstate.migrator.__main__") == layer("pgflowstate.ui.app") == CLI
    assert {"pgflowstate.cli", "pgflowstate.crewai", "pgflowstate.migrator", "pgflowstate.server"} <= set(MODULES)
    assert not (PACKAGE / "testing.py").exists() and not (PACKAGE / "db.py").exists()
