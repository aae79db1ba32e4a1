"""The code keeps the shape the team agreed on: short functions, modules of one job, one exception root."""
from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import subprocess
import sys

import pytest

from tests.helpers import REPO

PACKAGES = ("extractors", "service")
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400


def _modules():
    return sorted(p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py"))


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_functions_and_modules_stay_short(path):
    source = path.read_text()
    assert len(source.splitlines()) <= MAX_MODULE_LINES
    long = [f"{f.name} ({f.end_lineno - f.lineno + 1} lines)" for f in _functions(ast.parse(source))
            if f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == []


def _exception_classes():
    for pkg in PACKAGES:
        for info in pkgutil.walk_packages([str(REPO / pkg)], prefix=f"{pkg}."):
            module = importlib.import_module(info.name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, BaseException) and cls.__module__ == info.name:
                    yield cls


def test_every_exception_class_derives_from_the_one_root():
    from extractors.errors import ReelsenseError

    strays = sorted(c.__qualname__ for c in _exception_classes() if not issubclass(c, ReelsenseError))
    assert strays == []


def _imports(path) -> set[str]:
    """Every module `path` imports, wherever the import statement sits (top level, function, TYPE_CHECKING)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _importers(prefix: str) -> list[str]:
    return sorted(str(p.relative_to(REPO)) for p in _modules()
                  if any(n == prefix or n.startswith(prefix + ".") for n in _imports(p)))


def test_the_composition_root_is_imported_only_from_above_it():
    """factory.py builds the pools, workers and actors and hands them builders: nothing it builds imports it back
    (the circle factory -> api.workers -> factory, and pipeline -> factory, are gone), and it imports no HTTP."""
    assert [m for m in _importers("service.factory") if not m.startswith(("service/api/", "service/cli"))] == []
    assert "service/factory.py" not in _importers("service.api")


def test_the_pipeline_holds_no_http():
    assert [m for m in _importers("service.api") if m.startswith("service/pipeline/")] == []
    assert [m for m in _importers("fastapi") + _importers("starlette") if m.startswith("service/pipeline/")] == []


def test_a_worker_process_loads_no_http_stack():
    """What a spawned worker imports to unpickle its builder and run (factory, pools, workers) pulls in no web
    framework: the HTTP package needs no lazy import for its sake."""
    code = ("import sys, service.factory, service.pipeline.workers, service.pipeline.pool, service.pipeline.ray_actors;"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette', 'uvicorn')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


SQL_START = re.compile(r"^\s*(SELECT\s.*\bFROM\b|SELECT\s+\d|INSERT\s+(OR\s+\w+\s+)?INTO\s|UPDATE\s+\w+\s+SET\s|"
                       r"DELETE\s+FROM\s|(CREATE|DROP)\s+(TABLE|INDEX|TRIGGER|VIEW)\s|ALTER\s+TABLE\s|PRAGMA\s+\w|VACUUM\b)")


def _sql_strings(path) -> list[str]:
    """String literals (f-string parts included) that open like an SQL statement, and raw-connection calls."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_START.match(node.value):
            found.append(f"{node.lineno}: {node.value[:40]!r}")
        elif (isinstance(node, ast.Attribute) and node.attr in ("execute", "executemany", "executescript")
              and not (isinstance(node.value, ast.Name) and node.value.id in ("pool", "executor"))):
            found.append(f"{node.lineno}: .{node.attr}(")
    return found


@pytest.mark.parametrize("path", [p for p in _modules() if "service/storage/" not in p.as_posix()],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_no_sql_outside_storage(path):
    """Every statement lives behind the storage boundary, so a second backend implements the same methods."""
    assert _sql_strings(path) == []
    assert "sqlite3" not in _imports(path)


def test_the_sql_check_sees_sql():
    storage = REPO / "service" / "storage"
    assert _sql_strings(storage / "session.py") and _sql_strings(storage / "events.py")
