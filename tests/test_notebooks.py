"""The chapters through papermill, on the sample and on a differently shaped company.

The glued figures in an executed chapter are compared with what ``csmodels``
computes directly, so a page can never show a number the package disagrees with.
"""

from __future__ import annotations

import papermill as pm
import pytest

import csmodels as cs
from csmodels import kpis
from csmodels.book import fmt
from tests.executed import run_chapter

pytestmark = pytest.mark.slow


def glued_by(summary, currency: str = "USD") -> dict[str, str]:
    """What ``summary.glue`` glues: every figure the data gave, as the prose shows it."""
    glued = {}
    summary.glue(lambda key, value, display: glued.__setitem__(key, value), currency=currency)
    return glued


def test_metrics_chapter_on_the_sample(tmp_path, sample_dir):
    glued = run_chapter("metrics", tmp_path / "metrics.ipynb", data_dir=str(sample_dir))
    summary = kpis.summarise(sample_dir)
    assert glued["company_name"] == "Northwind Analytics"
    # the chapter glues the summary: every figure under its own name, as the summary shows
    # it (the KPIs, the settings the prose states and the exercises' answers), and nothing else
    assert glued == glued_by(summary) and "health_auc" in glued
    assert (glued["ex_month"], glued["ex_kept"]) == ("2024-12", "the book's weights")
    assert glued["ex_nrr_then"] == summary.ex.text("nrr_then")


def test_metrics_chapter_on_a_second_company(tmp_path, second_company):
    weights = {"adoption": 0.5, "arr_trend": 0.5}
    glued = run_chapter("metrics", tmp_path / "metrics.ipynb", data_dir=str(second_company),
                        as_of="2024-05", health_weights=weights, health_min_renewals=5)
    company = cs.load_company(second_company)
    summary = cs.metrics_summary(company, "2024-05",
                                 cs.MetricSettings(health_min_renewals=5),
                                 health=cs.HealthModel(weights=weights))
    assert glued["company_name"] == "Second Test Co" and glued["as_of"] == "2024-05"
    assert glued["nrr"] == fmt(summary.nrr) and glued["grr"] == fmt(summary.grr)
    assert glued["arr"] == fmt(summary.arr, "money", "EUR")
    # tables this company lacks are reported, not errors: their figures are not glued,
    # so a rerun's page drops the prose that would show them (csmodels.needs)
    assert "qbr_coverage" not in glued and "time_to_value_median_days" not in glued
    assert glued["health_auc"] == summary.health.text("auc")
    assert glued["health_weights"] == "adoption 50%, nps 0%, engagement 0%, arr trend 50%"
    # exercise 1 needs the retention of 2023-05, before the data begin: not on the page
    assert "ex_month" not in glued and glued["ex_kept"] == "the book's weights"
    chapter = kpis.summarise(second_company, as_of="2024-05", health_weights=weights,
                             health_min_renewals=5)
    assert glued == glued_by(chapter, "EUR")
    # not the sample: the generator's effect is not claimed
    assert "health_generator_churn_effect" not in glued


def test_a_bad_parameter_fails_the_chapter_with_the_package_error(tmp_path, sample_dir):
    with pytest.raises(pm.PapermillExecutionError, match="ParameterError"):
        run_chapter("metrics", tmp_path / "bad.ipynb", data_dir=str(sample_dir),
                    health_weights={"adoptoin": 1.0})
