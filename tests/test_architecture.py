"""The repository explains itself: ``__all__`` is the public API and the package
docstring describes it; the architecture page documents every public module, is in the
book and linked from the README; no file cites a design document readers never see."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import csmodels

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "appendix" / "architecture.md").read_text(encoding="utf-8")


def public_modules() -> list[str]:
    """``csmodels/x.py`` and ``csmodels/charts/`` whose names do not start with ``_``,
    plus ``__init__.py`` and ``__main__.py`` (both public behaviour)."""
    package = ROOT / "csmodels"
    found = [p.name for p in package.glob("*.py")
             if not p.name.startswith("_") or p.name in ("__init__.py", "__main__.py")]
    found += [p.name + "/" for p in package.iterdir()
              if p.is_dir() and (p / "__init__.py").is_file() and not p.name.startswith("_")]
    return sorted(found)


@pytest.mark.parametrize("name", csmodels.__all__)
def test_every_public_name_imports(name):
    assert getattr(csmodels, name) is not None
    namespace: dict = {}
    exec(f"from csmodels import {name}", namespace)  # the name as written in __all__
    assert name in namespace


def test_the_star_import_gives_the_public_api():
    namespace: dict = {}
    exec("from csmodels import *", namespace)
    assert set(csmodels.__all__) <= set(namespace)
    assert len(csmodels.__all__) == len(set(csmodels.__all__))


def test_the_chapters_topics_are_in_the_public_api():
    for module in ("reporting", "collaboration", "charts"):
        assert module in csmodels.__all__
    assert {"SlaTerms", "CompPlan", "IncentivePressure", "handoff_report"} <= set(
        csmodels.__all__)


@pytest.mark.parametrize("name", [n for n in csmodels.__all__ if n != "__version__"])
def test_the_package_docstring_describes_every_public_name(name):
    doc = csmodels.__doc__
    assert f"`{name}`" in doc or f"`csmodels.{name}`" in doc, name


def test_importing_csmodels_does_not_load_the_charts():
    code = "import sys, csmodels; print('altair' in sys.modules, csmodels.charts.WIDTH > 0)"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.split()
    assert shown == ["False", "True"]


def test_every_module_is_an_attribute_of_the_package_on_first_use():
    # the chapters write cs.functions.summarise(...) after a bare `import csmodels as cs`
    code = ("import csmodels as cs; print(cs.functions.summarise.__module__, "
            "cs.lifetime.__name__, hasattr(cs, 'no_such_module'))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.split()
    assert shown == ["csmodels.functions", "csmodels.lifetime", "False"]


def test_there_are_public_modules_to_document():
    modules = public_modules()
    assert {"inputs/", "metrics.py", "cli.py", "rerun.py", "charts/"} <= set(modules)


@pytest.mark.parametrize("module", public_modules())
def test_the_architecture_page_documents_every_public_module(module):
    row = f"| `csmodels/{module}` |"
    assert row in PAGE, f"appendix/architecture.md has no row for csmodels/{module}"
    line = next(line for line in PAGE.splitlines() if line.startswith(row))
    assert len(line.split("|")[2].strip()) > 20  # says what it is for


def test_the_architecture_page_is_in_the_book_and_linked_from_the_readme():
    assert "file: appendix/architecture" in (ROOT / "_toc.yml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(appendix/architecture.md)" in readme
    for part in ("loader", "validation", "models", "chapter", "glue", "page"):
        assert part in PAGE.split("## What each module is for")[0].lower(), part
    for new_thing in ("**A chapter.**", "**A metric.**", "**A chart.**",
                      "**A source table.**"):
        assert new_thing in PAGE


def test_no_file_cites_a_design_document_readers_never_see():
    missing = "DESIGN" + ".md"  # written in two parts so this file does not match itself
    assert not (ROOT / missing).exists()
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True).stdout.decode().split("\0")
    citing = [name for name in filter(None, tracked) if (ROOT / name).is_file()
              and missing.encode() in (ROOT / name).read_bytes()]
    assert citing == []


def test_the_readme_claims_only_the_checks_the_tests_run():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lint = (ROOT / "tests" / "test_lint.py").read_text(encoding="utf-8")
    assert "ruff format" not in readme  # the code is not formatted by ruff; no claim
    assert "ruff check" in readme and '"check"' in lint


def _summary_classes() -> set[type]:
    """Every :class:`csmodels.summary.Summary` subclass the package's modules define."""
    import importlib
    import pkgutil

    from csmodels.summary import Summary

    for info in pkgutil.walk_packages(csmodels.__path__, "csmodels."):
        if not info.name.rsplit(".", 1)[-1].startswith("_"):
            importlib.import_module(info.name)
    found, todo = set(), list(Summary.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("csmodels.") and cls not in found:
            found.add(cls)
        todo += cls.__subclasses__()
    return found


def _sections_of(cls: type) -> set[type]:
    """The Summary classes ``cls`` holds as sections (its ``section()`` fields)."""
    import dataclasses
    import typing

    hints = typing.get_type_hints(cls)
    held = set()
    for f in dataclasses.fields(cls):
        if f.metadata.get("section"):
            held |= {t for t in (typing.get_args(hints[f.name]) or (hints[f.name],))
                     if isinstance(t, type)}
    return held


def chapter_summaries() -> set[type]:
    """The summaries a chapter's module returns: those no other summary holds as a section."""
    classes = _summary_classes()
    held = set().union(*(_sections_of(cls) for cls in classes)) - {type(None)}
    return classes - held


def test_the_chapter_summaries_are_found():
    names = {cls.__name__ for cls in chapter_summaries()}
    assert {"MetricsSummary", "FunctionsSummary", "MaturitySummary", "ReportingSummary",
            "CollaborationSummary"} <= names, names
    assert "PressureSummary" not in names  # a section of the reporting chapter's summary
    assert "Reconciliation" not in names


@pytest.mark.parametrize("cls", sorted(chapter_summaries(), key=lambda c: c.__name__),
                         ids=lambda c: c.__name__)
def test_every_chapter_summary_is_exported_and_described(cls):
    assert cls.__name__ in csmodels.__all__, f"{cls.__module__}.{cls.__name__}"
    assert getattr(csmodels, cls.__name__) is cls
    assert f":class:`{cls.__name__}`" in csmodels.__doc__


@pytest.mark.parametrize(("name", "module"), [
    ("summarise", "csmodels.maturity"), ("MaturitySummary", "csmodels.maturity"),
    ("CollaborationSummary", "csmodels.collaboration"),
    ("reporting_summary", "csmodels.reporting"), ("ReportingSummary", "csmodels.reporting"),
    ("pressure_summary", "csmodels.pressure"), ("PressureSummary", "csmodels.pressure"),
    ("FunctionsSummary", "csmodels.functions"), ("MetricsSummary", "csmodels.kpis"),
    ("metrics_summary", "csmodels.kpis"), ("functions_summary", "csmodels.functions"),
    ("Summary", "csmodels.summary"),
])
def test_the_summaries_are_the_public_api(name, module):
    assert name in csmodels.__all__ and getattr(csmodels, name).__module__ == module


def test_the_docstring_names_only_what_exists():
    """Every ``:func:`` and ``:class:`` the package docstring names is in ``__all__`` or
    a module of the package, so the description cannot drift from the code."""
    import importlib
    import re

    for role, target in re.findall(r":(func|class|mod):`([^`]+)`", csmodels.__doc__):
        if target in csmodels.__all__:
            continue
        module, _, attr = target.rpartition(".")
        owner = importlib.import_module(target if role == "mod" else module)
        assert role == "mod" or hasattr(owner, attr), target
