"""The project's import graph, its cycles and its layering rules (``python -m tools.imports``).

Every module of the project's own packages (:data:`PACKAGES`; not the tests, not the
virtual environment) is parsed with :mod:`ast`, never imported, and each ``import`` that
names a project module becomes an edge. Imports inside functions count too and are
marked *lazy*: a lazy import is how a cycle hides (it only runs later), so a cycle
through one is reported as such. Imports under ``if TYPE_CHECKING:`` never run and are
left out of the cycles. Importing ``a.b.c`` from outside ``a`` also runs ``a/__init__.py``
and ``a/b/__init__.py``; those implicit edges count for cycles (a heavy package
``__init__`` is how ``core`` -> ``kg_queries.schema`` once pulled in the stores), not for
the layering rules.

Reported, each on its own line, exit status 1:

- every strongly connected component of more than one module (an import cycle), with
  the edges inside it;
- every import that breaks a layering rule (:data:`RULES`).

With neither, one summary line and exit status 0.

Why: the packages are layered (``core`` at the bottom, ``bot`` and ``tools`` on top), and
cycles and upward imports crept in through lazy imports that saved nothing; this makes
them visible without running any of the code.
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from core.paths import PROJECT_ROOT

PACKAGES: Tuple[str, ...] = ("core", "safety", "neural", "intents", "slots", "kg_queries", "bot", "tools")
# Top-level names that are the project's but not walked: importing them is still an edge.
OUTSIDE: Tuple[str, ...] = ("tests",)
RUNTIME: Tuple[str, ...] = ("bot", "intents", "slots", "neural", "kg_queries", "safety", "core")
# The command line is the front door to both the runtime and the tools: its command modules
# import a tool lazily, inside the handler that runs it, so serving never loads one.
FRONT_DOOR = "bot.cli"

EAGER, LAZY, TYPING, IMPLICIT = "eager", "lazy", "type-checking", "implicit"
# Which kind of an edge is kept when a module imports another more than once.
_STRENGTH = {EAGER: 0, IMPLICIT: 1, LAZY: 2, TYPING: 3}


@dataclass(frozen=True)
class Edge:
    """``source`` imports ``target`` (``path:line``), as ``kind``."""

    source: str
    target: str
    kind: str
    path: str
    line: int

    def describe(self) -> str:
        how = "" if self.kind == EAGER else f" ({self.kind})"
        return f"{self.source} -> {self.target}{how} at {self.path}:{self.line}"


def top(module: str) -> str:
    return module.split(".", 1)[0]


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# -- layering rules: (source, target) -> why it is not allowed, or None ----------------
def _core(source: str, target: str, kind: str) -> Optional[str]:
    if top(source) == "core" and top(target) != "core" and target != "kg_queries.schema":
        return "core imports nothing of the project but kg_queries.schema"
    return None


def _neural(source: str, target: str, kind: str) -> Optional[str]:
    if top(source) == "neural" and top(target) in ("intents", "slots", "bot", "tools"):
        return "neural imports nothing from intents, slots, bot or tools"
    return None


def _kg(source: str, target: str, kind: str) -> Optional[str]:
    if top(source) == "kg_queries" and top(target) in ("bot", "intents", "slots", "neural", "tools"):
        return "kg_queries imports nothing from bot, intents, slots, neural or tools"
    return None


def _safety(source: str, target: str, kind: str) -> Optional[str]:
    if top(source) == "safety" and top(target) not in ("safety", "core"):
        return "safety imports only core"
    return None


def _runtime(source: str, target: str, kind: str) -> Optional[str]:
    if top(source) in RUNTIME and top(target) in ("tools", "tests"):
        if within(source, FRONT_DOOR) and top(target) == "tools" and kind == LAZY:
            return None
        return "the runtime imports neither tools nor tests (bot.cli: only lazily, in a handler)"
    return None


RULES: Tuple[Callable[[str, str, str], Optional[str]], ...] = (_core, _neural, _kg, _safety, _runtime)


# -- parsing ---------------------------------------------------------------------------
def discover(root: Path, packages: Sequence[str]) -> Dict[str, Path]:
    """Module name -> file of every ``.py`` under ``root/<package>`` (namespace packages too)."""
    modules: Dict[str, Path] = {}
    for package in packages:
        base = root / package
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            if all(part.isidentifier() for part in parts):
                modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterable[Tuple[ast.stmt, str]]:
    """Every import statement of ``tree`` with its kind (eager, lazy, type-checking)."""
    stack: List[Tuple[ast.AST, str]] = [(tree, EAGER)]
    while stack:
        node, kind = stack.pop()
        for child in ast.iter_child_nodes(node):
            child_kind = kind
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and kind == EAGER:
                child_kind = LAZY
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, kind
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for sub in child.body:
                    stack.append((sub, TYPING))
                    if isinstance(sub, (ast.Import, ast.ImportFrom)):
                        yield sub, TYPING
                for sub in child.orelse:
                    stack.append((sub, kind))
                    if isinstance(sub, (ast.Import, ast.ImportFrom)):
                        yield sub, kind
                stack.append((child.test, kind))
            else:
                stack.append((child, child_kind))


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> Optional[str]:
    """The absolute module a ``from`` import names (resolving ``.`` and ``..``)."""
    if not node.level:
        return node.module
    parts = module.split(".") if is_package else module.split(".")[:-1]
    if node.level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else [])) or None


def _resolve(name: str, modules: Dict[str, Path]) -> Optional[str]:
    """The project module ``name`` imports: itself or its longest known prefix."""
    if top(name) in OUTSIDE:
        return name
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def targets(module: str, path: Path, node: ast.stmt, modules: Dict[str, Path]) -> List[str]:
    """The project modules one import statement of ``module`` names."""
    names: List[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        base = _absolute(module, path.name == "__init__.py", node)
        if base is None:
            return []
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            names.append(sub if alias.name != "*" and sub in modules else base)
    out = []
    for name in names:
        resolved = _resolve(name, modules)
        if resolved is not None and resolved not in out:
            out.append(resolved)
    return out


def _parents(target: str, source: str, modules: Dict[str, Path]) -> List[str]:
    """Packages whose ``__init__`` importing ``target`` from ``source`` runs first."""
    parts = target.split(".")[:-1]
    found = []
    for n in range(1, len(parts) + 1):
        package = ".".join(parts[:n])
        if package in modules and modules[package].name == "__init__.py" and not within(source, package):
            found.append(package)
    return found


@dataclass
class Report:
    """The graph and what is wrong with it."""

    modules: Dict[str, Path]
    edges: List[Edge] = field(default_factory=list)
    cycles: List[List[str]] = field(default_factory=list)
    violations: List[Tuple[Edge, str]] = field(default_factory=list)
    unparsable: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.cycles or self.violations or self.unparsable)

    def cycle_edges(self, cycle: Sequence[str]) -> List[Edge]:
        members = set(cycle)
        return [e for e in self.edges if e.source in members and e.target in members and e.kind != TYPING]

    def lines(self) -> List[str]:
        out = [f"cannot parse {item}" for item in self.unparsable]
        for cycle in self.cycles:
            edges = self.cycle_edges(cycle)
            hidden = any(e.kind == LAZY for e in edges)
            what = "import cycle (hidden by lazy imports)" if hidden else "import cycle"
            out.append(f"{what}: {', '.join(cycle)}")
            out.extend(f"    {e.describe()}" for e in edges)
        for edge, why in self.violations:
            out.append(f"layering: {edge.describe()}: {why}")
        if self.ok:
            lazy = sum(e.kind == LAZY for e in self.edges)
            explicit = sum(e.kind != IMPLICIT for e in self.edges)
            out.append(
                f"imports ok: {len(self.modules)} modules, {explicit} edges ({lazy} lazy), "
                f"no cycles, layering rules hold"
            )
        return out


def build(root: Path, packages: Sequence[str] = PACKAGES) -> Report:
    """Parse every module under ``root`` and check the graph."""
    modules = discover(root, packages)
    report = Report(modules)
    best: Dict[Tuple[str, str], Edge] = {}  # per pair, its strongest edge
    explicit: Dict[Tuple[str, str], Edge] = {}  # the same, leaving out the implicit ones
    for module, path in modules.items():
        shown = str(path.relative_to(root))
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=shown)
        except (SyntaxError, UnicodeDecodeError) as exc:
            report.unparsable.append(f"{shown}: {exc}")
            continue
        for node, kind in _imports(tree):
            for target in targets(module, path, node, modules):
                found = [(target, kind)]
                if kind != TYPING:
                    found += [(parent, IMPLICIT) for parent in _parents(target, module, modules)]
                for dst, how in found:
                    if dst == module:
                        continue
                    edge = Edge(module, dst, how, shown, node.lineno)
                    kept = best.get((module, dst))
                    if kept is None or _STRENGTH[how] < _STRENGTH[kept.kind]:
                        best[(module, dst)] = edge
                    if how != IMPLICIT:
                        kept = explicit.get((module, dst))
                        if kept is None or _STRENGTH[how] < _STRENGTH[kept.kind]:
                            explicit[(module, dst)] = edge
    report.edges = sorted(best.values(), key=lambda e: (e.source, e.target))
    for key in sorted(explicit):
        for rule in RULES:
            why = rule(*key, explicit[key].kind)
            if why:
                report.violations.append((explicit[key], why))
    graph: Dict[str, Set[str]] = {m: set() for m in modules}
    for edge in report.edges:
        if edge.kind != TYPING and edge.target in graph:
            graph[edge.source].add(edge.target)
    report.cycles = [c for c in strongly_connected(graph) if len(c) > 1]
    return report


def strongly_connected(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Tarjan's strongly connected components (iterative), each sorted, in sorted order."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    on_stack: Set[str] = set()
    stack: List[str] = []
    components: List[List[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    item = stack.pop()
                    on_stack.discard(item)
                    component.append(item)
                    if item == node:
                        break
                components.append(sorted(component))
    return sorted(components)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.imports", description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--root", type=Path, default=PROJECT_ROOT, help="the checkout to check (default: this one)"
    )
    parser.add_argument(
        "--packages",
        nargs="+",
        default=list(PACKAGES),
        help=f"top-level packages to walk (default: {' '.join(PACKAGES)})",
    )
    args = parser.parse_args(argv)
    report = build(args.root.resolve(), args.packages)
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
