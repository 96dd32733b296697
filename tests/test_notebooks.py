"""The chapters through papermill, on the sample and on a differently shaped company.

The glued figures in an executed chapter are compared with what ``csmodels``
computes directly, so a page can never show a number the package disagrees with.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import papermill as pm
import pytest

import csmodels as cs
from csmodels.book import fmt

pytestmark = pytest.mark.slow
CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"


def run_chapter(name: str, out: Path, **parameters) -> dict[str, str]:
    """Execute a chapter; return its glued values as the text the page shows."""
    pm.execute_notebook(str(CHAPTERS / f"{name}.ipynb"), str(out), parameters=parameters,
                        cwd=str(CHAPTERS), progress_bar=False, kernel_name="python3")
    glued = {}
    for cell in json.loads(out.read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if meta:
                # under papermill, glue prefixes the mime type with its own
                data = output["data"]
                plain = data.get(meta.get("mime_prefix", "") + "text/plain", data.get("text/plain"))
                glued[meta["name"]] = ast.literal_eval(plain)  # as {glue:text} reads it
    return glued


def test_metrics_chapter_on_the_sample(tmp_path, sample_dir):
    glued = run_chapter("metrics", tmp_path / "metrics.ipynb", data_dir=str(sample_dir))
    summary = cs.metrics_summary(cs.load_company(sample_dir))
    assert glued["company_name"] == "Northwind Analytics"
    assert glued["as_of"] == summary["as_of"]
    for key in ("nrr", "grr", "logo_churn", "gross_revenue_churn", "qbr_coverage", "adoption"):
        assert glued[key] == fmt(summary[key]), key
    assert glued["nps"] == fmt(summary["nps"], "nps")
    assert glued["health_auc"] == fmt(summary["health_auc"], "ratio")


def test_metrics_chapter_on_a_second_company(tmp_path, second_company):
    glued = run_chapter("metrics", tmp_path / "metrics.ipynb", data_dir=str(second_company),
                        as_of="2024-05", health_weights={"adoption": 0.5, "arr_trend": 0.5})
    company = cs.load_company(second_company)
    summary = cs.metrics_summary(
        company, "2024-05", health=cs.HealthModel(weights={"adoption": 0.5, "arr_trend": 0.5}))
    assert glued["company_name"] == "Second Test Co" and glued["as_of"] == "2024-05"
    assert glued["nrr"] == fmt(summary["nrr"]) and glued["grr"] == fmt(summary["grr"])
    assert glued["arr"] == fmt(summary["arr"], "money", "EUR")
    # tables this company lacks are reported, not errors: their figures are not glued,
    # so a rerun's page drops the prose that would show them (csmodels.needs)
    assert "qbr_coverage" not in glued and "ttv_median" not in glued
    assert glued["health_auc"] == fmt(summary["health_auc"], "ratio")


def test_a_bad_parameter_fails_the_chapter_with_the_package_error(tmp_path, sample_dir):
    with pytest.raises(pm.PapermillExecutionError, match="ParameterError"):
        run_chapter("metrics", tmp_path / "bad.ipynb", data_dir=str(sample_dir),
                    health_weights={"adoptoin": 1.0})
