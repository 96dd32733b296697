"""The engines' metrics against the chapter's summary (a helper of tests/test_engine.py
and tests/test_spark.py): the same figures to the cent, or to 1e-12 for ratios."""

from __future__ import annotations

import pytest

from csmodels.kpis import MetricsSummary

MONEY = {f.name for f in MetricsSummary.fields() if f.metadata.get("unit") == "money"}
SECTIONS = {f.name for f in MetricsSummary.fields() if "section" in f.metadata}


def assert_same_figures(got: MetricsSummary, want: MetricsSummary) -> None:
    """The engine's top-level figures against the summary's: money to the cent, counts
    and texts exactly, ratios to 1e-12; its sections (the chapter's detail) are None."""
    assert type(got) is type(want) is MetricsSummary
    for name in SECTIONS:
        assert getattr(got, name) is None, name
    assert got.missing_tables == want.missing_tables
    for f in MetricsSummary.fields():
        if f.name in SECTIONS:
            continue
        value, mine = getattr(want, f.name), getattr(got, f.name)
        if f.name in MONEY:
            assert round(mine, 2) == round(value, 2), f.name
        elif isinstance(value, float):
            assert mine == pytest.approx(value, rel=1e-12, abs=1e-12), f.name
        else:
            assert mine == value, f.name
