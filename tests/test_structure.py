"""The code keeps the shape the team agreed on: short functions, modules of one job, one exception root."""
from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil

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
