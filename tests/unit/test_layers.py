"""The layers of ``jobs`` and who may import whom, read from the code itself with ``ast``.

Every import counts, at module level or inside a function. The rules are the table of
``docs/ARCHITECTURE.md``: imports run downward only, ``jobs/core`` imports the standard library
and itself, the job never imports the harness (``kafka_utils``) except its demo, and the harness
never imports the job.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STANDARD_LIBRARY = sys.stdlib_module_names | {"__future__"}
ENTRY_POINTS = ("jobs.stream", "jobs.replay", "jobs.audit", "jobs.maintain")

# What each layer may import besides itself. "face" is jobs/processor.py, what processor
# authors import; "tool" is tools/, the repo's build tools (never shipped).
MAY_IMPORT: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "config": frozenset({"core"}),
    "io": frozenset({"core"}),
    "pipeline": frozenset({"io", "core"}),
    "runs": frozenset({"config", "pipeline", "io", "core"}),
    "launch": frozenset({"io", "core"}),
    "entry": frozenset({"launch", "config", "runs", "io", "core"}),
    "face": frozenset({"core"}),
    "processors": frozenset({"face", "core"}),
    "demo": frozenset(
        {"entry", "launch", "config", "runs", "pipeline", "io", "core", "face", "processors"}
    ),
    "tool": frozenset({"io", "core"}),
}

HEAVY = (
    "pyspark, pyarrow and delta load only once the settings and the Python packages are "
    "checked: a bad setting exits 2 within a second, a missing pyarrow gets a one-line message"
)
# The only imports inside functions: a reason each, none to dodge an import cycle.
FUNCTION_LEVEL_IMPORTS: dict[tuple[str, str], str] = {
    ("jobs.stream", "jobs.io.spark_session"): HEAVY,
    ("jobs.stream", "jobs.runs.stream"): HEAVY,
    ("jobs.stream", "jobs.io.jvm_signals"): HEAVY,
    ("jobs.replay", "jobs.io.spark_session"): HEAVY,
    ("jobs.replay", "jobs.runs.replay"): HEAVY,
    ("jobs.audit", "jobs.io.spark_session"): HEAVY,
    ("jobs.audit", "jobs.runs.audit"): HEAVY,
    ("jobs.maintain", "jobs.io.spark_session"): HEAVY,
    ("jobs.maintain", "jobs.runs.maintain"): HEAVY,
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. jobs.io.sinks
    imported: str  # what it names, resolved to a module where one exists: jobs.core.columns
    line: int
    in_function: bool

    def __str__(self) -> str:
        where = "inside a function" if self.in_function else "at module level"
        return f"{self.module}:{self.line} imports {self.imported} ({where})"


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


@cache
def modules(*packages: str) -> dict[str, Path]:
    return {
        module_name(path): path
        for package in packages
        for path in sorted((ROOT / package).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


@cache
def known_modules() -> frozenset[str]:
    return frozenset(modules("jobs", "kafka_utils", "tools"))


def resolve(base: str, names: list[str]) -> list[str]:
    """``from base import a, b``: the modules ``base.a``/``base.b`` where they exist, else
    ``base`` itself (the names are then attributes of it)."""
    found = [f"{base}.{n}" for n in names if f"{base}.{n}" in known_modules()]
    return found or [base]


def imports_of(module: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend(Import(module, a.name, child.lineno, inside) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
                    for _ in range(child.level - 1):
                        package = package.rpartition(".")[0]
                    base = f"{package}.{base}".rstrip(".")
                names = [a.name for a in child.names]
                found.extend(Import(module, m, child.lineno, inside) for m in resolve(base, names))
            visit(child, inside)

    visit(tree, False)
    return found


def all_imports(*packages: str) -> list[Import]:
    return [i for m, p in modules(*packages).items() for i in imports_of(m, p)]


def layer(module: str) -> str | None:
    """The layer of a module of ``jobs`` or ``tools``; None for anything else."""
    parts = module.split(".")
    if parts[0] == "tools":
        return "tool"
    if parts[0] != "jobs" or len(parts) == 1:
        return None
    if parts[1] in ("core", "config", "io", "pipeline", "runs", "demo", "processors"):
        return parts[1]
    if module in ENTRY_POINTS:
        return "entry"
    return {"jobs.launch": "launch", "jobs.processor": "face"}.get(module)


def test_every_module_of_jobs_has_a_layer():
    homeless = [m for m in modules("jobs") if m != "jobs" and layer(m) is None]
    assert homeless == [], f"modules outside every layer (see docs/ARCHITECTURE.md): {homeless}"


def test_core_imports_only_the_standard_library_and_core():
    impure = [
        str(i)
        for i in all_imports("jobs")
        if layer(i.module) == "core"
        and i.imported.split(".")[0] not in STANDARD_LIBRARY
        and layer(i.imported) != "core"
    ]
    assert impure == []


def test_layers_import_downward_only():
    upward = []
    for i in all_imports("jobs", "tools"):
        mine, theirs = layer(i.module), layer(i.imported)
        if None in (mine, theirs) or theirs == mine:
            continue
        if theirs not in MAY_IMPORT[mine]:
            upward.append(f"{i} [{mine} may not import {theirs}]")
    assert upward == []


def test_entry_points_do_not_import_each_other():
    crossing = [
        str(i)
        for i in all_imports("jobs")
        if i.module in ENTRY_POINTS and i.imported in ENTRY_POINTS and i.imported != i.module
    ]
    assert crossing == []


def test_the_job_never_imports_the_harness_except_in_the_demo():
    harness = [
        str(i)
        for i in all_imports("jobs", "tools")
        if i.imported.split(".")[0] == "kafka_utils" and layer(i.module) != "demo"
    ]
    assert harness == []


def test_the_harness_never_imports_the_job():
    job = [str(i) for i in all_imports("kafka_utils") if i.imported.split(".")[0] == "jobs"]
    assert job == []


def test_function_level_imports_are_only_the_listed_ones():
    listed = {(i.module, i.imported): str(i) for i in all_imports("jobs", "tools") if i.in_function}
    unlisted = [where for key, where in listed.items() if key not in FUNCTION_LEVEL_IMPORTS]
    assert unlisted == [], "import at module level, or list it here with its reason"
    stale = [key for key in FUNCTION_LEVEL_IMPORTS if key not in listed]
    assert stale == [], "listed function-level imports that no longer exist"


def test_no_import_cycle_between_modules_of_the_job():
    graph: dict[str, set[str]] = {m: set() for m in modules("jobs")}
    for i in all_imports("jobs"):
        if i.imported in graph and i.imported != i.module:
            graph[i.module].add(i.imported)
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_checks_see_what_they_check():
    """The readers find the imports the rules are about (so the tests above can fail)."""
    writes = {i.imported for i in all_imports("jobs") if i.module == "jobs.io.table_writes"}
    assert "jobs.core.columns" in writes and "pyspark.sql" in writes
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert layer("jobs.core.errors") == "core" and layer("jobs.replay") == "entry"
