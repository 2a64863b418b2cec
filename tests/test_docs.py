"""The generated schedule docs and the public surface stay in sync."""

from pathlib import Path

import lrdsl
from lrdsl._docs import render_schedules
from lrdsl._registry import REGISTRY

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_schedules_page_is_current():
    page = (DOCS / "schedules.md").read_text(encoding="utf-8")
    assert page == render_schedules(), (
        "docs/schedules.md is stale: run python -m lrdsl._docs > docs/schedules.md"
    )


def test_every_schedule_documents_formula_and_example():
    for spec in REGISTRY.values():
        assert "    f(s) =" in spec.doc or "(s) =" in spec.doc, spec.name
        assert ">>> " in spec.doc, spec.name
        assert "Duration:" in spec.doc, spec.name


def test_public_surface_is_explicit():
    assert sorted(lrdsl.__all__) == lrdsl.__all__
    for name in lrdsl.__all__:
        assert hasattr(lrdsl, name), name


def test_dir_lists_lazy_names():
    assert "load" in dir(lrdsl)
    assert "Config" in dir(lrdsl)


def test_api_page_lists_public_surface():
    import re

    page = (DOCS / "api.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `(\w+)` \|", page, flags=re.MULTILINE))
    assert listed == set(lrdsl.__all__)
