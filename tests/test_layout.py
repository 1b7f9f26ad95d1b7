"""The shape of the package: no import cycles, small modules, a core that never imports a front-end.

Imports inside ``if TYPE_CHECKING:`` are left out (they never run); imports inside
functions count, since they run.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "qabot"
MAX_LINES = 450
CORE = ("qabot.corpus", "qabot.chunking", "qabot.embedding", "qabot.index", "qabot.search", "qabot.bot",
        "qabot.models", "qabot.errors", "qabot.settings", "qabot.text")


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The qabot modules ``path`` imports; ``from pkg import mod`` is an import of ``pkg.mod`` alone."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & modules
            found.update(submodules)
            if len(submodules) < len(node.names):
                found.add(node.module)
    return {name for name in found if name.split(".")[0] == "qabot"}


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {i for i in _imports(path, set(modules)) if i in modules and i != name} for name, path in modules.items()}


def test_no_import_cycles() -> None:
    graph = _graph()
    done: set[str] = set()

    def visit(name: str, stack: list[str]) -> None:
        if name in stack:
            cycle = stack[stack.index(name):] + [name]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, [*stack, name])
        done.add(name)

    for module in sorted(graph):
        visit(module, [])


def test_no_module_is_over_450_lines() -> None:
    long = {p.relative_to(REPO).as_posix(): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long


def test_the_core_never_imports_a_front_end() -> None:
    graph = _graph()
    for name, imported in graph.items():
        if name.startswith(CORE):
            assert not {i for i in imported if i.startswith(("qabot.adapters", "qabot.cli", "qabot.bench"))}, name


def test_the_readme_module_map_names_every_module() -> None:
    """Each module is named in the README's module map, in the row of the folder it is in (or of one above)."""
    rows = {}
    for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| `qabot/"):
            where = line.split("`")[1]
            rows[where] = line
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        if path.name in ("__init__.py", "__main__.py") or relative in rows:
            continue
        folders = [key for key in rows if key.endswith("/") and relative.startswith(key)]
        row = rows[max(folders, key=len)] if folders else ""
        if f"`{path.name}`" not in row and f"`{path.stem}`" not in row:
            missing.append(relative)
    assert not missing, f"not in the README's module map: {missing}"


def test_the_package_installed_says_it_is_typed(tmp_path) -> None:
    """Without a ``py.typed`` in the installed package, a type checker treats ``from qabot import QABot`` as untyped
    (mypy: "missing library stubs or py.typed marker"), though every public function is annotated."""
    import shutil
    import subprocess
    import sys
    import zipfile

    source = tmp_path / "source"
    shutil.copytree(PACKAGE, source / "qabot", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "-q", "-w", str(tmp_path / "wheels"), str(source)], capture_output=True, text=True,
                           timeout=120)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheels").glob("qabot-*.whl")
    assert "qabot/py.typed" in zipfile.ZipFile(wheel).namelist()
