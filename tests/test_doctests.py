"""Run the docstring examples of every module in the lrdsl package.

The schedule docs are generated from these docstrings, so a wrong example
is a wrong doc. Modules that need an optional dependency that is not
installed are skipped. A module of lrdsl that fails to import fails.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import lrdsl

# Importing __main__ would run the command line.
NOT_IMPORTED = {"lrdsl.__main__"}


def _module_names() -> list[str]:
    names = [lrdsl.__name__]
    for info in pkgutil.walk_packages(lrdsl.__path__, prefix="lrdsl."):
        if info.name not in NOT_IMPORTED:
            names.append(info.name)
    return sorted(names)


def _import(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if missing == "lrdsl" or missing.startswith("lrdsl."):
            raise
        pytest.skip(f"{name} needs {missing!r}, which is not installed")


def test_modules_found():
    names = _module_names()
    assert "lrdsl.schedules.native" in names
    assert "lrdsl._api" in names


@pytest.mark.parametrize("name", _module_names())
def test_docstring_examples(name):
    module = _import(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    report: list[str] = []
    for test in finder.find(module, name):
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
