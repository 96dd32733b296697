"""The functions chapter: the Sales vs CS table, the revenue-base model (closed forms,
invariants, parameters from the data), its charts, and the chapter itself through
papermill on the sample and on a second company."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc
from conftest import arr_frame
from hypothesis import given, settings
from hypothesis import strategies as st

import csmodels as cs
from csmodels import charts
from csmodels.book import fmt
from tests.executed import run_chapter

# ------------------------------------------------------------------ Sales vs CS table


def test_sales_vs_cs_has_every_aspect_the_issue_asks_for():
    table = cs.sales_vs_cs()
    assert table.columns.tolist() == ["Aspect", "Sales", "Customer Success", "Source"]
    for aspect in ("Objective", "Time horizon", "Core metrics", "What each is paid on"):
        assert aspect in table["Aspect"].tolist()
    assert table[["Sales", "Customer Success"]].notna().all().all()


def test_sales_vs_cs_rows_cite_sources_000_002_004():
    from importlib.resources import files

    with files("csmodels").joinpath("data/functions_sales_vs_cs.csv").open(encoding="utf-8") as f:
        raw = pd.read_csv(f)
    assert set(raw["source"]) == {"src000", "src002", "src004"}
    bib = (Path(__file__).resolve().parents[1] / "references.bib").read_text(encoding="utf-8")
    for key in set(raw["source"]) | {"fader2007", "fader2010"}:
        assert f"{{{key}," in bib, key
    assert raw.groupby("aspect_order")["function"].apply(set).eq(
        {"sales", "customer_success"}).all()


# ------------------------------------------------------------------ closed forms


def closed_form(arr0: float, b: float, r: float, n: int) -> float:
    """ARR_n = ARR_0 r^n + B (1 - r^n) / (1 - r) with constant bookings B."""
    return arr0 * r ** n + (b * n if r == 1 else b * (1 - r ** n) / (1 - r))


@pytest.mark.parametrize(("arr0", "b", "r"), [(10e6, 3e6, 1.05), (10e6, 3e6, 0.9),
                                              (5e6, 1e6, 1.0), (0.0, 2e6, 1.2)])
def test_constant_bookings_match_the_closed_form(arr0, b, r):
    params = cs.RevenueBase(starting_arr=arr0, new_bookings=b, nrr=r, grr=min(r, 0.9),
                            years=10)
    table = cs.project_revenue(params)
    for n in range(11):
        assert table.loc[n, "arr"] == pytest.approx(closed_form(arr0, b, r, n), rel=1e-12)
        assert cs.arr_in_year(params, n) == pytest.approx(closed_form(arr0, b, r, n), rel=1e-12)


def test_growing_bookings_match_their_closed_form():
    arr0, b, r, g = 8e6, 2e6, 1.04, 0.15
    params = cs.RevenueBase(starting_arr=arr0, new_bookings=b, bookings_growth=g, nrr=r,
                            grr=0.9, years=8)
    q = 1 + g
    for n in range(9):
        expected = arr0 * r ** n + b * (r ** n - q ** n) / (r - q)
        assert cs.project_revenue(params).loc[n, "arr"] == pytest.approx(expected, rel=1e-12)


def test_a_steady_state_when_bookings_replace_what_is_lost():
    # with NRR 0.9 the base loses 10% a year; bookings of 10% of ARR hold it flat
    params = cs.RevenueBase(starting_arr=100.0, new_bookings=10.0, nrr=0.9, grr=0.9, years=6)
    assert np.allclose(cs.project_revenue(params)["arr"], 100.0)


def test_the_split_by_hand():
    params = cs.RevenueBase(starting_arr=100.0, new_bookings=10.0, nrr=1.1, grr=0.9, years=2)
    row = cs.project_revenue(params).loc[2]
    # year 1: 100 -> 120 (110 from today's customers, 10 new); year 2: today's customers
    # keep 0.9 x 110 and expand 0.2 x 110, year 1's new customers grow at NRR to 11, new 10
    assert row[["installed_kept", "expansion", "cohorts_kept", "new_business", "lost",
                "arr"]].tolist() == pytest.approx([99.0, 22.0, 11.0, 10.0, 11.0, 142.0])
    assert row["installed_share"] == pytest.approx(132 / 142)
    assert row["from_starting_base"] == pytest.approx(121.0)


def test_bookings_equivalent_by_hand():
    # one year: +0.05 NRR adds 5 on a base of 100; bookings of 10 must rise 50%
    p = cs.RevenueBase(starting_arr=100.0, new_bookings=10.0, nrr=1.0, grr=0.9, years=1)
    assert cs.bookings_equivalent(p, 0.05) == pytest.approx(0.5)
    # two years: gain = 100 (1.05^2 - 1) + 10 x 0.05 = 10.75; A(r) = 1 + r = 2 -> 20 of bookings
    p2 = replace(p, years=2)
    assert cs.bookings_equivalent(p2, 0.05) == pytest.approx(10.75 / 20)
    with pytest.raises(cs.ParameterError, match="no new bookings"):
        cs.bookings_equivalent(replace(p, new_bookings=0.0), 0.05)


def test_revenue_layers_add_up_to_the_projection():
    params = cs.RevenueBase(starting_arr=7e6, new_bookings=2e6, bookings_growth=0.1,
                            nrr=1.07, grr=0.92, years=7)
    layers = cs.revenue_layers(params)
    assert np.allclose(layers.groupby("year")["arr"].sum(), cs.project_revenue(params)["arr"])
    assert layers.loc[(layers.year == 7) & (layers.layer == 0), "arr"].item() == \
        pytest.approx(7e6 * 1.07 ** 7)


@settings(max_examples=80, deadline=None)
@given(arr0=st.floats(0, 1e9), b=st.floats(0, 1e8), g=st.floats(-0.5, 0.5),
       grr=st.floats(0.3, 1.0), extra=st.floats(0, 0.6), years=st.integers(1, 20),
       scale=st.floats(0.01, 100),
       ab=st.none() | st.tuples(st.floats(0.05, 50), st.floats(0.05, 50)))
def test_revenue_base_invariants(arr0, b, g, grr, extra, years, scale, ab):
    survival = None if ab is None else tuple(
        float(v) for v in cs.lifetime.sbg_survival(*ab, np.arange(years + 1)))
    params = cs.RevenueBase(starting_arr=arr0, new_bookings=b, bookings_growth=g, nrr=grr + extra,
                            grr=grr, years=years, new_survival=survival)
    table = cs.project_revenue(params)
    if survival is not None:  # a fitted cohort only shrinks: it never pays more than it booked
        booked = sum(cs.revenue.bookings(params, k) for k in range(1, years + 1))
        assert table.cohorts_kept.iloc[-1] + table.new_business.iloc[-1] <= booked * (1 + 1e-9)
    parts = table.installed_kept + table.expansion + table.cohorts_kept + table.new_business
    assert np.allclose(parts[1:], table.arr[1:], rtol=1e-9, atol=1e-6)
    assert np.allclose(table.arr, [cs.arr_in_year(params, n) for n in table.year], rtol=1e-9,
                       atol=1e-6)
    shares = table.installed_share.dropna()
    assert ((shares >= 0) & (shares <= 1 + 1e-12)).all()
    # the model is linear in money: rescaling ARR and bookings rescales every year
    scaled = cs.project_revenue(replace(params, starting_arr=arr0 * scale, new_bookings=b * scale))
    assert np.allclose(scaled.arr, table.arr * scale, rtol=1e-9, atol=1e-6)
    # higher NRR never lowers ARR
    better = cs.project_revenue(replace(params, nrr=params.nrr + 0.01))
    assert (better.arr >= table.arr - 1e-6).all()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"grr": 1.1}, "from 0 to 1"),
    ({"nrr": 0.8, "grr": 0.9}, "cannot exceed nrr"),
    ({"starting_arr": -1.0}, "starting_arr"),
    ({"new_bookings": float("nan")}, "new_bookings"),
    ({"bookings_growth": -1.0}, "above -1"),
    ({"years": 0}, "years"),
    ({"years": 2.5}, "years"),
    ({"nrr": "1.05"}, "nrr"),
])
def test_bad_parameters_raise_parameter_errors(kwargs, message):
    with pytest.raises(cs.ParameterError, match=message):
        cs.RevenueBase(**kwargs)


# ------------------------------------------------------------------ parameters from data


def test_parameters_from_the_data_match_the_metrics(sample_dir):
    company = cs.load_company(sample_dir)
    params = cs.revenue_base_from_data(company)
    panel = cs.ArrPanel.from_frame(company.arr_monthly)
    ret = cs.retention(panel)
    summary = cs.metrics_summary(company)
    assert params.nrr == pytest.approx(ret.nrr) and params.grr == pytest.approx(ret.grr)
    assert params.starting_arr == pytest.approx(summary.arr)
    assert params.new_bookings == pytest.approx(summary.new_arr)


def test_parameters_from_a_small_company_by_hand():
    # a: 100 -> 110; b: 100 -> 0; c new in the last 12 months at 50
    rows = [("a", "2023-01", 100), ("b", "2023-01", 100), ("a", "2024-01", 110),
            ("c", "2023-06", 50), ("c", "2024-01", 50)]
    company = cs.Company(folder=Path("."), arr_monthly=arr_frame(rows))
    params = cs.revenue_base_from_data(company)
    assert (params.starting_arr, params.new_bookings) == (160.0, 50.0)
    assert (params.nrr, params.grr) == (pytest.approx(0.55), pytest.approx(0.5))


def test_overrides_replace_data_values_and_none_is_ignored(sample_dir):
    company = cs.load_company(sample_dir)
    params = cs.revenue_base_from_data(company, nrr=1.2, grr=None, years=3, new_bookings=1.0)
    data = cs.revenue_base_from_data(company)
    assert (params.nrr, params.years, params.new_bookings) == (1.2, 3, 1.0)
    assert params.grr == data.grr
    with pytest.raises(cs.ParameterError, match="cannot exceed nrr"):
        cs.revenue_base_from_data(company, nrr=0.5)


def test_the_as_of_month_is_honoured(sample_dir):
    company = cs.load_company(sample_dir)
    params = cs.revenue_base_from_data(company, "2024-12")
    panel = cs.ArrPanel.from_frame(company.arr_monthly)
    assert params.nrr == pytest.approx(cs.retention(panel, "2024-12").nrr)
    assert params.new_bookings == pytest.approx(
        cs.arr_bridge(panel).loc["2024-01":"2024-12", "new"].sum())


# ------------------------------------------------------------------ charts


def _aria(chart) -> list[str]:
    svg = vlc.vegalite_to_svg(chart.to_dict())
    return re.findall(r'aria-label="([^"]*)"', svg)


def _amounts(labels: list[str]) -> dict[tuple[int, str], float]:
    found = {}
    for label in labels:
        m = re.search(r"Year: (\d+); Part: ([^;]+); Amount \(\w+\): ([\d,.-]+)", label)
        if m:
            found[(int(m[1]), m[2])] = float(m[3].replace(",", ""))
    return found


@pytest.mark.parametrize("growth", [0.0, 0.12])
@pytest.mark.parametrize("fitted", [False, True])
def test_the_explorer_computes_in_vega_what_the_package_computes(growth, fitted):
    """Render the slider chart at its start values and read the bars' values back, with
    new customers following NRR and following a fitted cohort model."""
    model = cs.ShiftedBetaGeometric().fit([[124, 102, 87], [161, 140]])
    survival = tuple(float(v) for v in model.survival(np.arange(16))) if fitted else None
    params = cs.RevenueBase(starting_arr=20e6, new_bookings=4e6, bookings_growth=growth,
                            nrr=1.052, grr=0.914, years=6,
                            new_survival=survival[:7] if fitted else None)
    found = _amounts(_aria(charts.revenue_base_explorer(params, "EUR", survival=survival)))
    table = cs.project_revenue(params)
    assert len(found) == 4 * 6
    for (year, part), amount in found.items():
        key = {v: k for k, v in charts.functions.COMPONENTS.items()}[part]
        assert amount == pytest.approx(table.loc[year, key], abs=1.0), (year, part)
    if fitted:  # new customers no longer grow at NRR: a fitted cohort only shrinks
        assert table.loc[6, "cohorts_kept"] < cs.project_revenue(
            replace(params, new_survival=None)).loc[6, "cohorts_kept"]


def test_the_explorer_holds_grr_at_or_below_nrr():
    params = cs.RevenueBase(starting_arr=10.0e6, new_bookings=1.0e6, nrr=0.95, grr=0.95)
    spec = charts.revenue_base_explorer(params).to_dict()
    bound = [p["name"] for p in spec["params"] if "bind" in p]
    assert bound == ["grr_pct", "expansion_pct", "b1_units", "growth_pct", "horizon"]
    derived = {p["name"]: p["expr"] for p in spec["params"] if "expr" in p}
    assert derived["nrr"] == "(grr_pct + expansion_pct) / 100"  # NRR = GRR + expansion >= GRR
    expansion = next(p for p in spec["params"] if p["name"] == "expansion_pct")
    assert expansion["bind"]["min"] == 0 and expansion["value"] == 0


def test_static_charts_render_with_tooltips(sample_dir):
    company = cs.load_company(sample_dir)
    params = cs.revenue_base_from_data(company)
    panel = cs.ArrPanel.from_frame(company.arr_monthly)
    cohorts = cs.survivor_cohorts(panel)
    model = cs.ShiftedBetaGeometric().fit(cohorts.fittable())
    built = [
        charts.revenue_base_chart(cs.project_revenue(params)),
        charts.revenue_layers_chart(cs.revenue_layers(params)),
        charts.ltv_horizon_chart(cs.ltv_by_horizon(30e3, {"a": 0.1, "b": -0.05}), 5),
        charts.retention_fit_chart(cohorts.survival_shares(), model, 10),
    ]
    for chart in built:
        spec = chart.to_dict()
        assert spec.get("description"), "every chart needs a description"
        assert "tooltip" in str(spec)
        labels = _aria(chart)
        assert labels and not any("NaN" in label for label in labels)
        html = charts.chart_html(spec)
        assert len(html) < 200_000


# ------------------------------------------------------------------ the chapter


@pytest.mark.slow
def test_functions_chapter_on_the_sample(tmp_path, sample_dir):
    """The page glues exactly the summary's figures, and the summary's figures are the
    package's models run by hand."""
    glued = run_chapter("functions", tmp_path / "functions.ipynb", data_dir=str(sample_dir))
    company = cs.load_company(sample_dir)
    profile = cs.load_profile(cs.default_profile_path(sample_dir, None))
    summary = cs.functions_summary(company, profile, sample_dir)
    expected = {}
    summary.glue(lambda k, v, display: expected.__setitem__(k, v))
    assert glued == expected
    params = cs.revenue_base_from_data(company)
    assert glued["company_name"] == "Northwind Analytics" and glued["as_of"] == "2025-12"
    assert glued["base_nrr"] == fmt(params.nrr) and glued["base_grr"] == fmt(params.grr)
    assert glued["base_arr0"] == fmt(params.starting_arr, "money")
    assert glued["base_overrides"] == "none"
    assert glued["ltv_net"] == ("infinite" if params.nrr >= 1 else glued["ltv_net"])
    panel = cs.ArrPanel.from_frame(company.arr_monthly)
    cohorts = cs.survivor_cohorts(panel)
    model = cs.ShiftedBetaGeometric().fit(cohorts.fittable())
    assert glued["sbg_r1"] == glued["base_new_r1"] == fmt(float(model.retention_rate(1)))
    value = panel.values[panel.values[:, -1] > 0, -1].mean() * 0.75
    assert glued["sbg_clv"] == fmt(model.lifetime_value(value, 0.10), "money")
    # new cohorts follow the fitted model: the projection by hand
    survival = model.survival(np.arange(6))
    arr5 = params.starting_arr * params.nrr ** 5 + sum(
        params.new_bookings * survival[5 - k] for k in range(1, 6))
    assert glued["base_arr_n"] == fmt(arr5, "money")
    assert glued["paper_regular_fit"] == glued["paper_regular_published"]
    assert glued["cohorts_n_fit_cohorts"] == "2" and glued["cohorts_max_periods"] == "2"
    assert "n/a" not in glued.values()


@pytest.mark.slow
def test_functions_chapter_on_a_second_company(tmp_path, second_company):
    """24 months of data: the retention model cannot be fitted on yearly periods, and
    the page says so instead of failing; overrides reach the model; new customers
    then keep NRR, and the page says that this flatters them."""
    out = tmp_path / "functions.ipynb"
    glued = run_chapter("functions", out, data_dir=str(second_company), nrr=1.1, years=3,
                        bookings_growth=0.1)
    company = cs.load_company(second_company)
    params = cs.revenue_base_from_data(company, nrr=1.1, years=3, bookings_growth=0.1)
    table = cs.project_revenue(params)
    assert glued["company_name"] == "Second Test Co"
    assert glued["base_arr_n"] == fmt(table.iloc[-1]["arr"], "money", "EUR")
    assert glued["base_nrr"] == "110.0%" and glued["base_years"] == "3"
    assert glued["base_overrides"] == "nrr" and glued["base_grr"] == fmt(params.grr)
    assert "sbg_alpha" not in glued and "sbg_clv" not in glued  # not fitted: off the page
    assert "base_new_r1" not in glued and glued["base_nrr_new_cohorts"] == "110.0%"
    assert glued["cohorts_max_periods"] == "1"
    assert "That flatters them" in out.read_text(encoding="utf-8")


@pytest.mark.slow
def test_functions_chapter_with_half_year_periods(tmp_path, second_company):
    glued = run_chapter("functions", tmp_path / "functions.ipynb",
                        data_dir=str(second_company), period_months=6, as_of="2024-03")
    panel = cs.ArrPanel.from_frame(cs.load_company(second_company).arr_monthly)
    cohorts = cs.survivor_cohorts(panel, 6, "2024-03")
    model = cs.ShiftedBetaGeometric().fit(cohorts.fittable())
    assert glued["as_of"] == "2024-03" and glued["unit"] == "6-month period"
    assert glued["sbg_alpha"] == fmt(model.alpha_, "ratio")
    assert glued["sbg_r1"] == fmt(float(model.retention_rate(1)))


@pytest.mark.slow
def test_a_bad_override_fails_the_chapter_with_the_package_error(tmp_path, sample_dir):
    import papermill as pm
    with pytest.raises(pm.PapermillExecutionError, match="ParameterError"):
        run_chapter("functions", tmp_path / "bad.ipynb", data_dir=str(sample_dir), grr=1.5)


def test_glued_numbers_are_never_typed_into_the_chapters_prose():
    """Digits in the prose are only in formulas, code, roles, list numbers, exercise
    numbers and the 100% line of NRR; every figure comes through glue."""
    import json

    book = json.loads((Path(__file__).resolve().parents[1] / "chapters" / "functions.ipynb")
                      .read_text(encoding="utf-8"))
    prose = "\n".join("".join(c["source"]) for c in book["cells"] if c["cell_type"] == "markdown")
    prose = re.sub(r"^```.*$|^:class:.*$|^:label:.*$", "", prose, flags=re.M)  # directives
    prose = re.sub(r"\{[a-z:]+\}`[^`]*`", "", prose)  # roles: glue, cite, doc
    prose = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*`", "", prose, flags=re.S)  # maths, code
    prose = re.sub(r"^\d\. ", "", prose, flags=re.M)  # numbered lists
    prose = re.sub(r"\(functions\)=|Exercise \d|period 7|100%", "", prose)
    prose = re.sub(r"\b00[0-4]\b", "", prose)  # the sources' numbers, 000 to 004
    assert not re.findall(r"\d", prose), re.findall(r".{20}\d.{20}", prose)
