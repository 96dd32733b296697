"""The reporting chapter's one Summary (issue 18): ``reporting_summary`` loads the profile
and the data once and holds the criteria model, exercise 1 and, as its ``pressure``
section, the quota-pressure model; the page glues it once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import csmodels
from csmodels import inputs, pressure, reporting
from csmodels.exceptions import ParameterError
from csmodels.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "reporting.ipynb"


@pytest.fixture(scope="module")
def sample(sample_dir):
    return reporting.reporting_summary(sample_dir, n_draws=500)


def _glued(summary, **kwargs) -> dict:
    glued = {}
    summary.glue(lambda k, v, display: glued.__setitem__(k, v), **kwargs)
    return glued


def test_one_call_holds_the_criteria_model_and_the_pressure_section(sample, sample_dir):
    profile = load_profile(sample_dir / "profile.yml")
    arr_monthly = inputs.load_company(sample_dir).arr_monthly
    alone = reporting.summarise(profile, n_draws=500, arr_monthly=arr_monthly)
    both = sample.to_dict()
    assert both.pop("pressure") == pressure.pressure_summary(sample_dir).to_dict()
    assert both.pop("company_name") == "Northwind Analytics"
    assert {k: v for k, v in alone.to_dict().items()
            if k not in ("pressure", "company_name")} == both
    assert alone.pressure is None and isinstance(sample.pressure, pressure.PressureSummary)
    assert sample.pressure.calibration.startswith("calibrated so that")
    assert sample.pressure.nrr_today == pytest.approx(1.0435907229503996)


def test_the_pressure_section_glues_under_the_keys_the_page_reads(sample):
    glued = _glued(sample)
    alone = _glued(sample.pressure, prefix="pressure_")
    assert {k: v for k, v in glued.items() if k.startswith("pressure_")} == alone
    assert glued["pressure_nrr_today"] == "104.4%"
    assert glued["pressure_ex_memory_memory"] == "80%"
    assert glued["company_name"] == "Northwind Analytics"
    # every key the chapter's prose reads is one the summary glues
    cells = json.loads(CHAPTER.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    used = set(re.findall(r"\{glue:text\}`([^`]+)`", text))
    assert used - set(glued) == set(), used - set(glued)


def test_the_chapter_makes_one_call_and_computes_no_figure_itself():
    cells = json.loads(CHAPTER.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert code.count("reporting.reporting_summary(") == 1
    assert code.count(".glue(glue") == 1 and "glue(\"" not in code
    for gone in ("pressure_summary", "load_company", "load_profile", "SOURCE_NAMES",
                 "check_weights", "ranking("):
        assert gone not in code, gone


def test_the_data_are_loaded_once(sample_dir, monkeypatch):
    calls = []
    real = inputs.load_company

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    # the one reader every chapter goes through (load_company_if_any) calls it there
    monkeypatch.setattr(inputs.company, "load_company", counted)
    s = reporting.reporting_summary(sample_dir, n_draws=100)
    assert len(calls) == 1 and s.pressure.calibration.startswith("calibrated so that")


def test_exercise_1_is_the_ranking_with_incentive_purity_at_5(sample, sample_dir):
    profile = load_profile(sample_dir / "profile.yml")
    rerun = reporting.summarise(profile, {"incentive_purity": 5}, n_draws=100)
    assert sample.ex_purist_leader == rerun.leader == "COO (operations)"
    assert sample.ex_purist_cro_rank == int(rerun.ranked.loc["cro", "rank"]) == 4
    # without that change the CRO ranks elsewhere, so the figure can tell them apart
    assert int(sample.ranked.loc["cro", "rank"]) != sample.ex_purist_cro_rank
    # the CRO's score on the criterion the exercise weights, as the run reads it
    assert sample.ex_purist_cro_score == f"{sample.matrix.loc['cro', 'incentive_purity']:g}"
    assert sample.ex_purist_cro_score == "1"
    mine = reporting.summarise(profile, n_draws=100,
                               score_changes={"cro/incentive_purity": 2.5})
    assert mine.ex_purist_cro_score == "2.5"


def test_without_usable_data_the_chapter_works_from_the_profile(tmp_path, sample_dir):
    folder = tmp_path / "acme-2025"
    folder.mkdir()
    s = reporting.reporting_summary(folder, n_draws=100)
    assert s.company_name == "acme-2025" and s.stage is None and s.reconciliation is None
    assert s.pressure.calibration.startswith("on its default rates")
    given = reporting.reporting_summary(folder, sample_dir / "profile.yml", n_draws=100,
                                        nrr=1.1, grr=0.95)
    assert given.stage == "scale-up" and given.company_name == "Northwind Analytics"
    assert given.pressure.nrr_today == pytest.approx(1.1)
    assert given.pressure.grr_today == pytest.approx(0.95)


@pytest.mark.parametrize(("parameters", "message"), [
    ({"nrr": "1.1"}, "nrr must be a fraction from 0 to 3 (300%), not '1.1'"),
    ({"memory": 1.0}, "memory is 1.0"),
    ({"weights": {"price": 1}}, "'price' is not a reporting criterion"),
])
def test_bad_parameters_of_either_model_are_refused(sample_dir, parameters, message):
    with pytest.raises(ParameterError, match=re.escape(message)):
        reporting.reporting_summary(sample_dir, n_draws=100, **parameters)


def test_the_pressure_model_reads_a_loaded_company_or_none(sample_dir):
    company = inputs.load_company(sample_dir)
    assert pressure.company_retention(company) == pressure.company_retention(sample_dir)
    assert pressure.company_retention(None) == (None, None)
    assert pressure.company_summary(company) == pressure.pressure_summary(sample_dir)
    assert pressure.company_summary(None).calibration.startswith("on its default rates")


def test_the_summary_is_the_public_api(sample):
    assert csmodels.reporting_summary is reporting.reporting_summary
    assert isinstance(sample, csmodels.ReportingSummary)


def test_the_page_attributes_a_quote_only_where_the_source_does():
    # source 002 gives "That can lead to lower product adoption, ..." without naming who
    # said it (the ChurnZero line is the one before), so the page must not name ChurnZero
    from csmodels.claims import register, sources

    span = register().loc["002-churn-follows", "span"]
    text = (Path(__file__).resolve().parents[1] / "chapters" / "reporting.ipynb").read_text(
        encoding="utf-8")
    prose = " ".join("".join(c["source"]) for c in json.loads(text)["cells"]
                     if c["cell_type"] == "markdown").replace("\n", " ")
    before = prose[:prose.index("{claim}`002-churn-follows`")][-300:]
    assert "without naming who said it" in before and "ChurnZero" not in before
    # the source texts sit beside the book in CI (tests/test_claims.py)
    source = Path(__file__).resolve().parents[2] / "shared" / "sources" / sources().loc[
        "002", "file"]
    if source.exists():  # the source's own line names no one
        [line] = [ln for ln in source.read_text(encoding="utf-8").splitlines() if span in ln]
        assert "ChurnZero" not in line
