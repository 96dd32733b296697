"""Every chapter on every company shape the loader accepts (issue 15).

The shapes are generated (``tests/shapes.py``), never committed: short histories,
one and three accounts, no churn, everything churned, no new accounts, huge
expansion, reactivations, seasonal and monthly-billed companies, no profile,
only ``arr_monthly``, each bundled case, and every combination of missing
optional tables. Each chapter runs in-process (``tests/inprocess.py``) and its
page, pruned as a rerun prunes it, must show no NaN, no "n/a" prose, no glue key
left unglued, no empty chart or table and no traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import csmodels as cs
from csmodels.book import company_name
from csmodels.profile import default_profile_path
from tests import inprocess
from tests.shapes import COMBINATIONS, SHAPES, write_shape

CHAPTERS = ("metrics", "functions", "reporting", "collaboration", "maturity")
# the chapters that read optional tables; the others read arr_monthly and the profile only
TABLE_READERS = ("metrics", "collaboration")


# session-wide, filled on demand: under -n 2 each worker writes only the shapes its tests
# read, and the file's tests spread over both workers (conftest.py keeps a file with a
# module fixture on one)
@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")

    def folder(name: str) -> Path:
        path = root / name
        return path if path.exists() else write_shape(name, path)
    return folder


def test_the_corpus_has_the_shapes_the_issue_lists():
    assert len(SHAPES) >= 20 and len(COMBINATIONS) == 2 ** 7
    for name in ("months-2", "months-6", "months-13", "one-account", "no-churn",
                 "everything-churned", "no-new-accounts", "huge-expansion", "reactivations",
                 "seasonal", "monthly-billed", "no-profile", "case-scaling-high-touch"):
        assert name in SHAPES


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_shape_is_accepted_by_the_metrics_command(corpus, shape):
    summary = cs.metrics_summary(cs.load_company(corpus(shape)))
    assert summary.as_of and summary.paying_accounts >= 1


@pytest.mark.parametrize("chapter", CHAPTERS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_chapter_runs_and_reads_cleanly_on_every_shape(corpus, shape, chapter):
    folder = corpus(shape)
    nb = inprocess.execute(chapter, data_dir=str(folder))
    assert inprocess.page_problems(nb) == []
    profile = cs.load_profile(default_profile_path(folder, None))
    name = inprocess.glued(nb)["company_name"]
    assert name == company_name(profile, folder) and "Northwind" not in name
    if shape == "no-profile":
        assert name == "no-profile"  # the data folder's name


@pytest.mark.slow
@pytest.mark.parametrize("chapter", TABLE_READERS)
@pytest.mark.parametrize("shape", list(COMBINATIONS))
def test_every_combination_of_missing_tables(corpus, shape, chapter):
    nb = inprocess.execute(chapter, data_dir=str(corpus(shape)))
    assert inprocess.page_problems(nb) == []


def test_a_skipped_section_shows_one_sentence_and_nothing_else(corpus):
    nb = inprocess.execute("metrics", data_dir=str(corpus("months-2")))
    glued = inprocess.glued(nb)
    for key in ("nrr", "grr", "cohorts_at_12_n", "health_auc", "ex_nrr_then"):
        assert key not in glued
    page = cs.needs.prune_notebook(nb)
    shown = [out["object"].data for cell in page.cells if cell.cell_type == "code"
             for out in cell.get("outputs", []) if "scrapbook" not in out.metadata
             and "csmodels-skipped" in str(getattr(out["object"], "data", ""))]
    assert any("Retention needs 12 months of history before the as-of month; these data "
               "hold 2 months" in text for text in shown)
    prose = "\n".join(c.source for c in page.cells if c.cell_type == "markdown")
    assert "{glue:text}`nrr`" not in prose and "metrics-ex1" not in prose
    assert "## Revenue retention: NRR and GRR" in prose  # the heading stays


def test_the_sample_page_loses_nothing(sample_dir):
    """On the sample every section runs, so pruning changes no cell."""
    nb = inprocess.execute("metrics", data_dir=str(sample_dir))
    pruned = cs.needs.prune_notebook(nb)
    assert [c.source for c in pruned.cells] == [c.source for c in nb.cells]
    assert inprocess.page_problems(nb) == []


def test_the_page_check_can_fail(corpus):
    """The check itself: "n/a" prose, an unglued key and an empty chart are caught."""
    import altair as alt
    import nbformat
    import pandas as pd

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("NRR was {glue:text}`nrr` and {glue:text}`x`."),
                nbformat.v4.new_code_cell("")]
    chart = alt.Chart(pd.DataFrame({"a": []})).mark_bar().encode(x="a:Q")
    glue = nbformat.v4.new_output("display_data", data={"text/plain": "'n/a'"},
                                  metadata={"scrapbook": {"name": "nrr", "mime_prefix": ""}})
    glue["object"] = "n/a"
    shown = nbformat.v4.new_output("display_data", data={})
    shown["object"] = chart
    nb.cells[1].outputs = [glue, shown]
    problems = inprocess.page_problems(nb)
    assert problems == ["cell 0: an empty chart"]  # the prose cell, unglued key and all, went
    nb.cells[0].source = "NRR was {glue:text}`nrr`."
    assert any("n/a" in p for p in inprocess.page_problems(nb))
    nb.cells[0].source = "{glue:text}`missing` alone"
    nb.cells[1].outputs = []
    assert inprocess.page_problems(nb) == []  # pruned: the page never shows it


@pytest.mark.parametrize(("chapter", "shape", "parameters"), [
    ("functions", "ten-accounts-13-months", {"new_bookings": 10000.0}),  # the issue's KeyError
    ("functions", "months-2", {"nrr": 1.05, "grr": 0.9}),  # the reader's own retention
    ("functions", "ten-plus-one-new", {"period_months": 6}),  # the issue's max() error
    ("metrics", "monthly-billed", {"lookback_months": 1, "health_lead_months": 1}),
    ("reporting", "case-scaling-high-touch", {"current_pressure": 1.0}),
])
def test_parameters_on_unusual_shapes(corpus, chapter, shape, parameters):
    nb = inprocess.execute(chapter, data_dir=str(corpus(shape)), **parameters)
    assert inprocess.page_problems(nb) == []


def test_the_quota_model_says_what_it_lowered(corpus):
    """scaling-high-touch stopped the book with a ParameterError before (issue 15)."""
    glued = inprocess.glued(inprocess.execute("reporting",
                                              data_dir=str(corpus("case-scaling-high-touch"))))
    assert glued["pressure_calibration"].startswith(
        "calibrated so that, held at today's pressure, it gives the company's own NRR "
        "(111.7%) and GRR (96.4%); the trust cost is lowered from 20.0% to ")
    assert glued["pressure_nrr_today"] == "111.7%"


def test_a_short_history_still_projects_with_the_readers_retention(corpus):
    glued = inprocess.glued(inprocess.execute("functions", data_dir=str(corpus("months-2")),
                                              nrr=1.05, grr=0.9))
    assert glued["base_nrr"] == "105.0%" and glued["base_grr"] == "90.0%"
    assert glued["base_overrides"] == "nrr, grr" and "ltv_logo_churn" not in glued
