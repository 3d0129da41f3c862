"""Structure the code promises (docs/architecture.md): format knowledge in one module, no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "fctune"
FORMAT_MARKERS = ("<tool_call>", "</tool_call>", "<think>", "<|im_", "<|endoftext|>")


def modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Every fctune module ``name`` imports, at any level (module top or inside a function)."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                found.add(target)
    return found


def test_format_knowledge_lives_in_formats_only():
    """Special tokens, think tags and call syntax are written in fctune.formats (and its templates) alone."""
    offenders = []
    paths = [p for name, p in modules().items() if name != "fctune.formats"]
    paths += sorted((SRC.parents[1] / "scripts").glob("*.py")) + sorted((SRC.parents[1] / "bench").glob("*.py"))
    for path in paths:
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.relative_to(SRC.parents[1])}: {m}" for m in FORMAT_MARKERS if m in text]
    assert len(paths) > 40 and not offenders, offenders


def test_no_import_cycles():
    mods = modules()
    graph = {name: imports_of(name, path, set(mods)) for name, path in mods.items()}
    assert graph["fctune.train"] and "fctune.formats" in graph["fctune.serving.engine"]  # the graph is read
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert not cycles, [" -> ".join(c) for c in cycles]


def test_the_library_parses_no_arguments_and_prints_nothing():
    """Commands (fctune.commands, fctune.cli) own argparse and output; the library returns data."""
    offenders = []
    for name, path in modules().items():
        if name.startswith("fctune.commands") or name in ("fctune.cli", "fctune.__main__"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import) and any(a.name == "argparse" for a in node.names):
                offenders.append(f"{name}: imports argparse")
            elif isinstance(node, ast.ImportFrom) and node.module == "argparse":
                offenders.append(f"{name}: imports argparse")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                offenders.append(f"{name}:{node.lineno}: print()")
    assert not offenders, offenders
    assert "fctune.commands.train" in modules() and "fctune.commands.data.synth" in modules()
