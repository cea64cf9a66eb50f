"""The shape of the code a newcomer relies on: one direction of imports, no circles, no SQL in pages."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("analysis", "models")


def _modules() -> dict[str, Path]:
    mods = {}
    for pkg in PACKAGES + ("dashboard",):
        for p in (ROOT / pkg).rglob("*.py"):
            parts = list(p.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join(parts)] = p
    return mods


def _imports(path: Path, module: str, mods: dict[str, Path]) -> set[str]:
    """Every project module `path` imports, at any depth (function-level imports count too)."""
    pkg = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            # `from pkg import submodule` depends on the submodule, not on the package's __init__
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in mods:
                name = name.rpartition(".")[0]
            if name and name != module:
                out.add(name)
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: _imports(p, m, mods) for m, p in mods.items()}


def test_no_import_circle_in_analysis_or_models():
    graph = {m: deps for m, deps in _graph().items() if m.startswith(PACKAGES)}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_planted_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_imports_go_one_way():
    graph = _graph()
    for m, deps in graph.items():
        if m.startswith(PACKAGES):
            assert not {d for d in deps if d.startswith("dashboard")}, f"{m} imports the dashboard"
    for p in (ROOT / "analysis").rglob("*.py"):
        text = p.read_text(encoding="utf-8")
        if p.name == "cli.py":
            # `sabor serve` hands the process over to Streamlit's own runner; no page logic lives here
            text = text.replace("from streamlit.web import cli as stcli", "")
        assert not re.search(r"^\s*(import|from)\s+streamlit", text, re.M), p
    for p in (ROOT / "models").rglob("*.py"):
        text = p.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import duckdb|from analysis\.store|import streamlit)", text, re.M), p


def test_pages_run_no_sql():
    for p in (ROOT / "dashboard").rglob("*.py"):
        text = p.read_text(encoding="utf-8")
        found = re.findall(r"\.(sql|execute|query|scalar)\(", text)
        assert not found, f"{p.relative_to(ROOT)} runs SQL ({found}); call a function of analysis/ instead"


def test_readme_map_lists_every_package_folder():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    folders = {str(p.parent.relative_to(ROOT)) for p in ROOT.glob("*/**/__init__.py")
               if not p.relative_to(ROOT).parts[0].startswith((".", "tests"))}
    missing = sorted(f for f in folders if f"`{f}/`" not in readme)
    assert not missing, f"README folder map lacks {missing}"
