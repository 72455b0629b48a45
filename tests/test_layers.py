"""The layers point one way: cli → dashboards → pages → queries → seed, with no circles.

Every import of a project module is read from the source (also the ones inside functions: an import moved into a
function to break a circle is still a circle). The command-line tools (``cli``) may import every layer and no
layer imports them; migrations import nothing of the project (they keep frozen copies of what they create).
"""
from __future__ import annotations

import ast
from pathlib import Path

from tests.dbcache import ROOT

LAYERS = {"seed": 0, "queries": 1, "pages": 2, "dashboards": 3, "cli": 4}
MIGRATIONS = "seed.migrations.versions"


def project_modules() -> dict[str, Path]:
    mods = {}
    for pkg in LAYERS:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(f.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join(parts)] = f
    return mods


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules ``path`` imports (``from pkg import mod`` counts as ``pkg.mod`` when it is one)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                     for a in node.names]
        else:
            continue
        out.update(n for n in names if n.split(".")[0] in LAYERS)
    return out


def graph() -> dict[str, set[str]]:
    mods = project_modules()
    return {m: imports_of(p, mods) for m, p in mods.items()}


def test_no_layer_imports_a_higher_one():
    upward = [f"{m} -> {t}" for m, targets in graph().items() for t in targets
              if LAYERS[t.split(".")[0]] > LAYERS[m.split(".")[0]]]
    assert not upward, "imports against the layers:\n" + "\n".join(sorted(upward))


def test_migrations_import_nothing_of_the_project():
    bad = [f"{m} -> {t}" for m, targets in graph().items() if m.startswith(MIGRATIONS) for t in targets]
    assert not bad, bad


def test_no_circles():
    g = graph()
    # Tarjan's strongly connected components; a component of more than one module is a circle
    index, low, stack, on, comps = {}, {}, [], set(), []

    def visit(v, counter=[0]):  # noqa: B006 - a counter shared by the recursion
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in g:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    # a package's __init__ importing its own modules is not a circle worth the name; none of ours does
    assert not comps, "import circles: " + "; ".join(" ↔ ".join(c) for c in comps)


def test_the_graph_sees_imports_inside_functions():
    """The reader is not blind to function-level imports (the circles that hide there)."""
    g = graph()
    assert "queries.db" in g and "seed.demo" in g["queries.db"]  # imported inside ensure_database
