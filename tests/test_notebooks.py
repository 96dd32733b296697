"""The chapters through papermill, on the sample and on a differently shaped company.

The glued figures in an executed chapter are compared with what ``csmodels``
computes directly, so a page can never show a number the package disagrees with.
"""

from __future__ import annotations

import papermill as pm
import pytest

import csmodels as cs
from csmodels.book import fmt
from tests.executed import run_chapter

pytestmark = pytest.mark.slow


def test_metrics_chapter_on_the_sample(tmp_path, sample_dir):
    glued = run_chapter("metrics", tmp_path / "metrics.ipynb", data_dir=str(sample_dir))
    company = cs.load_company(sample_dir)
    summary = cs.metrics_summary(company, acv=cs.load_profile(sample_dir / "profile.yml").acv)
    assert glued["company_name"] == "Northwind Analytics"
    # the chapter glues the summary: every figure under its own name, as the summary shows it
    for key, _, _ in summary.rows():
        assert glued[key] == summary.text(key), key
    # exercise 1's answer is the summary of the month the exercise asks for
    then = cs.metrics_summary(company, "2024-12")
    assert (glued["ex_month"], glued["ex_nrr_then"], glued["ex_grr_then"]) == (
        "2024-12", then.text("nrr"), then.text("grr"))
    # exercise 2's: the ARR trend alone, chosen or not on the earlier renewals only
    trend = cs.metrics_summary(company, health=cs.HealthModel(weights={"arr_trend": 1.0}))
    assert glued["ex_trend_earlier_auc"] == trend.health.text("earlier_auc")
    assert glued["ex_trend_auc"] == trend.health.text("auc")
    kept = (trend.health if trend.health.earlier_auc > summary.health.earlier_auc
            else summary.health)
    assert glued["ex_kept_auc"] == kept.text("auc")


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
    # not the sample: the generator's effect is not claimed
    assert "health_generator_churn_effect" not in glued


def test_a_bad_parameter_fails_the_chapter_with_the_package_error(tmp_path, sample_dir):
    with pytest.raises(pm.PapermillExecutionError, match="ParameterError"):
        run_chapter("metrics", tmp_path / "bad.ipynb", data_dir=str(sample_dir),
                    health_weights={"adoptoin": 1.0})
