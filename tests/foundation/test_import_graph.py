"""The package's import graph: no module of `service/` imports, even lazily, one that imports it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "service"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str, name: str | None, level: int, is_package: bool) -> str:
    if not level:
        return name or ""
    base = module.split(".")
    base = base[: len(base) - level + (1 if is_package else 0)]
    return ".".join(base + ([name] if name else []))


def import_graph() -> dict[str, set[str]]:
    """Return module -> the `service` modules it imports anywhere in its body (lazy ones too)."""
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(path): path for path in paths}
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, node.module, node.level, is_package)
                # `from service.audit import events` names a module; `... import SYSTEM` does not.
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            else:
                continue
            for target in targets:
                # `import service.x.y` reaches the deepest module of ours it names.
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != module:
                    edges.add(target)
        graph[module] = edges
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return one cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_the_graph_sees_lazy_imports():
    graph = import_graph()
    # service.redaction.engine is imported inside a function of the runtime, not at its top.
    assert "service.redaction" in graph["service.runtime"] or any(
        target.startswith("service.redaction") for target in graph["service.runtime"]
    )
    assert "service.db" in graph["service.audit.events"]


def test_a_cycle_is_found():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_service_has_no_import_cycles():
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles inside service/: " + "; ".join(
        " <-> ".join(cycle) for cycle in cycles
    )


def test_db_imports_no_domain_code():
    domains = (
        "service.archive",
        "service.audit",
        "service.dsr",
        "service.redaction",
        "service.triage",
    )
    imported = import_graph()["service.db"]
    assert not [m for m in imported if m.startswith(domains)], imported


def test_domains_import_neither_flask_views_nor_the_job_registry():
    graph = import_graph()
    domains = (
        "service.archive",
        "service.audit",
        "service.dsr",
        "service.redaction",
        "service.triage",
    )
    upper = ("service.api", "service.jobs", "service.runtime", "service.cli", "service.server")
    for module, targets in graph.items():
        # A domain's `cli` module is its command-line face: it may build a runtime.
        if module.startswith(domains) and not module.endswith(".cli"):
            wrong = sorted(t for t in targets if t.startswith(upper) or t == "service")
            assert not wrong, f"{module} imports {wrong}"
