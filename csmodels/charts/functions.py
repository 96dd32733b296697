"""Charts of the functions chapter: the revenue base and lifetime value.

Colours are the Okabe-Ito palette, safe for the common colour-vision
deficiencies: blue for today's customers, green for their expansion, sky blue for
the new customers of earlier projected years, orange for the year's new business.
:func:`revenue_base_explorer` recomputes the projection in
Vega-Lite transforms from a sequence of years, so its sliders work in a static
page with no kernel.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..lifetime import ShiftedBetaGeometric
from ..revenue import RevenueBase
from ..style import SMALL_PX
from ._render import WIDTH

COMPONENTS = {"installed_kept": "Today's customers kept",
              "expansion": "Expansion of today's customers",
              "cohorts_kept": "New customers of earlier years",
              "new_business": "New business"}
COLOURS = ["#0072B2", "#009E73", "#56B4E9", "#E69F00"]
COHORT_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                  "#F0E442", "#000000"]

def _colour(field: str) -> alt.Color:
    return alt.Color(f"{field}:N", sort=list(COMPONENTS.values()),
                     scale=alt.Scale(domain=list(COMPONENTS.values()), range=COLOURS),
                     legend=alt.Legend(orient="bottom", title=None))


def _stack_tooltip(currency: str) -> list[alt.Tooltip]:
    return [alt.Tooltip("year:O", title="Year"), alt.Tooltip("component:N", title="Part"),
            alt.Tooltip("amount:Q", title=f"Amount ({currency})", format=",.0f"),
            alt.Tooltip("arr:Q", title=f"ARR that year ({currency})", format=",.0f"),
            alt.Tooltip("installed_share:Q", title="From the installed base", format=".1%")]


def _stacked_bars(base: alt.Chart, currency: str) -> alt.LayerChart:
    bars = base.mark_bar().encode(
        x=alt.X("year:O", title="Years from today", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("amount:Q", stack="zero", title=f"ARR ({currency})", axis=alt.Axis(format="~s")),
        color=_colour("component"), order=alt.Order("order:Q"),
        tooltip=_stack_tooltip(currency))
    # the labels repeat the bars' share; screen readers get it from the bars' own labels
    labels = base.transform_filter(f"datum.order == {len(COMPONENTS) - 1}").mark_text(
        dy=-6, fontSize=SMALL_PX, aria=False).encode(
        x="year:O", y=alt.Y("arr:Q"), text=alt.Text("installed_share:Q", format=".0%"),
        tooltip=_stack_tooltip(currency))
    return alt.layer(bars, labels)


def revenue_base_chart(table: pd.DataFrame, currency: str = "USD") -> alt.LayerChart:
    """Each projected year's ARR as today's customers kept, their expansion, the new
    customers of earlier years and the year's new business, labelled with the share of
    the customers the year started with (from :func:`~csmodels.revenue.project_revenue`)."""
    frame = table[table["year"] >= 1]
    long = frame.melt(id_vars=["year", "arr", "installed_share"], value_vars=list(COMPONENTS),
                      var_name="key", value_name="amount")
    long["component"] = long["key"].map(COMPONENTS)
    long["order"] = long["key"].map({k: i for i, k in enumerate(COMPONENTS)})
    chart = _stacked_bars(alt.Chart(long.drop(columns="key")), currency)
    return chart.properties(width=WIDTH, height=280, description="Revenue-base projection",
                            title="Where each year's ARR comes from")


def revenue_layers_chart(layers: pd.DataFrame, currency: str = "USD") -> alt.Chart:
    """ARR by year, stacked by when its customers were won (from
    :func:`~csmodels.revenue.revenue_layers`): the bottom layer is today's customers."""
    frame = layers.copy()
    frame["won"] = np.where(frame["layer"] == 0, "Today's customers",
                            "Booked in year " + frame["layer"].astype(str))
    frame["share"] = frame["arr"] / frame.groupby("year")["arr"].transform("sum")
    later = [f"Booked in year {k}" for k in range(1, int(frame["layer"].max()) + 1)]
    domain = ["Today's customers", *later]
    return alt.Chart(frame, description="ARR by when customers were won").mark_bar().encode(
        x=alt.X("year:O", title="Years from today", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("arr:Q", stack="zero", title=f"ARR ({currency})", axis=alt.Axis(format="~s")),
        color=alt.Color("won:N", sort=domain, scale=alt.Scale(domain=domain, scheme="blues",
                                                               reverse=True),
                        legend=alt.Legend(orient="right", title=None)),
        order=alt.Order("layer:Q"),
        tooltip=[alt.Tooltip("year:O", title="Year"), alt.Tooltip("won:N", title="Customers"),
                 alt.Tooltip("arr:Q", title=f"ARR ({currency})", format=",.0f"),
                 alt.Tooltip("share:Q", title="Share of the year's ARR", format=".1%")],
    ).properties(width=WIDTH - 130, height=260,
                 title="Each year's ARR by when its customers were won")


def _slider(name: str, value: float, low: float, high: float, step: float,
            label: str) -> alt.Parameter:
    return alt.param(name=name, value=value, bind=alt.binding_range(
        min=low, max=high, step=step, name=label))


def _bookings_unit(top: float) -> tuple[float, str]:
    """The unit the bookings slider counts in, so it shows 3.89 (millions), never 3890000."""
    for unit, name in ((1e9, "billions"), (1e6, "millions"), (1e3, "thousands")):
        if top >= unit:
            return unit, name
    return 1.0, ""


# What the last year shown does, as three lines of text under the explorer. Every figure is
# computed from the sliders, so the words are true for every setting. The currency comes
# from the data (``datum.currency``), never spliced into the expression.
_EXPLAIN = {
    "line1": ("'NRR ' + format(nrr, '.1%') + ' = GRR ' + format(grr, '.1%')"
              " + ' + expansion ' + format(nrr - grr, '.1%') + '.'"),
    "line2": ("'Year ' + datum.year + ': today\\'s customers '"
              " + (datum.base_change > 0.5 ? 'grow by ' + datum.currency + ' '"
              " + format(datum.base_change, ',.0f') : datum.base_change < -0.5 ? 'lose '"
              " + datum.currency + ' ' + format(-datum.base_change, ',.0f') : 'stay level')"
              " + '; new customers of earlier years pay ' + datum.currency + ' '"
              " + format(datum.cohorts_kept, ',.0f') + ';'"),
    "line3": ("'new business adds ' + datum.currency + ' ' + format(datum.new_business, ',.0f')"
              " + ', so ARR ' + (datum.arr - datum.prev > 0.5 ? 'grows' : datum.arr - datum.prev"
              " < -0.5 ? 'falls' : 'stays level') + ' to ' + datum.currency + ' '"
              " + format(datum.arr, ',.0f') + '.'"),
}


def revenue_base_explorer(params: RevenueBase, currency: str = "USD", max_years: int = 15,
                          survival=None) -> alt.VConcatChart:
    """The revenue-base projection with sliders for GRR, the expansion of today's
    customers (NRR is GRR plus expansion, so GRR can never exceed NRR), bookings, their
    growth and the years shown, computed in the browser from ``params`` as the start
    (retention rounded to 0.1 point, bookings to the slider's step), with three lines of
    text that say, with the figures, what today's customers, earlier new customers and
    new business do in the last year shown.

    ``survival`` is S(0), ..., S(``max_years``), the share of a year's new customers
    still paying after each year (the fitted cohort model); None lets new customers
    follow the NRR slider, as :func:`~csmodels.revenue.cohort_survival` does. The
    browser sums ARR_n = ARR_0 NRR^n + sum over k of B_k S(n - k) from one row per
    (year, cohort age). Percentages are sliders in percent and bookings count in
    thousands, millions or billions, so the figures beside the sliders read as numbers.
    """
    if survival is not None and len(survival) < max_years + 1:
        raise ValueError(f"survival needs S(0) to S({max_years}), got {len(survival)} shares.")
    top = max(params.new_bookings * 3, params.starting_arr * 0.3, 1.0)
    unit, unit_name = _bookings_unit(top)
    step = float(10 ** np.floor(np.log10(top / 200)))
    in_units = f"{currency} {unit_name}".strip()
    grr_pct = round(params.grr * 100, 1)
    expansion_pct = max(round(params.nrr * 100 - grr_pct, 1), 0.0)
    sliders = [
        _slider("grr_pct", grr_pct, min(50.0, float(np.floor(grr_pct))), 100.0, 0.1,
                "GRR, % of the base kept a year "),
        _slider("expansion_pct", expansion_pct, 0.0, max(60.0, expansion_pct), 0.1,
                "Expansion, % of the base added a year "),
        _slider("b1_units", float(round(params.new_bookings / step) * step / unit), 0.0,
                float(np.ceil(top / step) * step / unit), step / unit,
                f"New bookings in year 1 ({in_units}) "),
        _slider("growth_pct", round(params.bookings_growth * 100), -50, 50, 1,
                "Bookings growth, % a year "),
        _slider("horizon", min(params.years, max_years), 1, max_years, 1, "Years shown "),
        alt.param(name="grr", expr="grr_pct / 100"),
        alt.param(name="nrr", expr="(grr_pct + expansion_pct) / 100"),
        alt.param(name="b1", expr=f"b1_units * {unit!r}"),
        alt.param(name="growth", expr="growth_pct / 100"),
    ]
    share = (lambda j: None) if survival is None else (lambda j: float(survival[j]))
    pairs = pd.DataFrame([{"year": n, "age": j, "s": share(j), "s_prev": share(max(j - 1, 0)),
                           "currency": currency}
                          for n in range(1, max_years + 1) for j in range(n)])
    a0 = repr(float(params.starting_arr))
    projected = alt.Chart(pairs).transform_filter("datum.year <= horizon").transform_calculate(
        f="datum.s != null ? datum.s : pow(nrr, datum.age)",
        f_prev="datum.s_prev != null ? datum.s_prev : pow(nrr, datum.age - 1)",
        booked="b1 * pow(1 + growth, datum.year - datum.age - 1)",
    ).transform_calculate(
        c_now="datum.age >= 1 ? datum.booked * datum.f : 0",
        c_prev="datum.age >= 1 ? datum.booked * datum.f_prev : 0",
        new="datum.age == 0 ? datum.booked : 0",
    ).transform_aggregate(
        cohorts_kept="sum(c_now)", cohorts_prev="sum(c_prev)", new_business="sum(new)",
        groupby=["year", "currency"],
    ).transform_calculate(base_prev=f"{a0} * pow(nrr, datum.year - 1)").transform_calculate(
        arr="nrr * datum.base_prev + datum.cohorts_kept + datum.new_business",
        prev="datum.base_prev + datum.cohorts_prev",
    )
    base = projected.transform_calculate(
        installed_kept="grr * datum.base_prev", expansion="(nrr - grr) * datum.base_prev",
    ).transform_calculate(
        installed_share="datum.arr > 0 ? (datum.arr - datum.new_business) / datum.arr : null",
    ).transform_fold(list(COMPONENTS), as_=["key", "amount"]).transform_calculate(
        order=" : ".join(f"datum.key == {k!r} ? {i}" for i, k in enumerate(COMPONENTS))
        + f" : {len(COMPONENTS)}",
    ).transform_calculate(
        component=f"[{', '.join(repr(v) for v in COMPONENTS.values())}][datum.order]")
    bars = _stacked_bars(base, currency).properties(
        width=WIDTH, height=280, title="Try it: move the sliders below the chart")
    explained = projected.transform_filter("datum.year == horizon").transform_calculate(
        base_change="(nrr - 1) * datum.base_prev").transform_calculate(**_EXPLAIN)
    lines = alt.layer(*(explained.mark_text(align="left", baseline="top", fontSize=12).encode(
        x=alt.value(0), y=alt.value(18 * i), text=f"{field}:N")
        for i, field in enumerate(_EXPLAIN))).properties(
            width=WIDTH, height=18 * len(_EXPLAIN), view=alt.ViewBackground(stroke=None))
    return alt.vconcat(bars, lines, spacing=8).add_params(*sliders).properties(
        description="Revenue-base explorer with sliders")


def ltv_horizon_chart(frame: pd.DataFrame, cap_years: int, currency: str = "USD") -> alt.LayerChart:
    """Capped lifetime value against the cap, one line per churn measure (from
    :func:`~csmodels.lifetime.ltv_by_horizon`), the uncapped formula as dashed rules
    where it is finite, and the chapter's cap as a vertical rule."""
    domain = list(dict.fromkeys(frame["measure"]))
    colour = alt.Color("measure:N", sort=domain, scale=alt.Scale(
        domain=domain, range=COHORT_COLOURS[:len(domain)]),
        legend=alt.Legend(orient="bottom", title=None))
    shown = frame.assign(formula_text=np.where(np.isfinite(frame["formula"]),
                                               frame["formula"].map("{:,.0f}".format),
                                               "infinite (the series diverges)"))
    lines = alt.Chart(shown).mark_line(point=True).encode(
        x=alt.X("years:Q", title="Years counted (the cap)"),
        y=alt.Y("ltv:Q", title=f"Lifetime value ({currency})", axis=alt.Axis(format="~s")),
        color=colour,
        tooltip=[alt.Tooltip("measure:N", title="Churn measure"),
                 alt.Tooltip("churn:Q", title="Churn a year", format=".1%"),
                 alt.Tooltip("years:Q", title="Years counted"),
                 alt.Tooltip("ltv:Q", title=f"Capped value ({currency})", format=",.0f"),
                 alt.Tooltip("formula_text:N", title=f"Formula value ({currency})")])
    finite = shown[np.isfinite(shown["formula"])].drop_duplicates("measure")
    rules = alt.Chart(finite).mark_rule(strokeDash=[4, 4]).encode(
        y="formula:Q", color=colour,
        tooltip=[alt.Tooltip("measure:N", title="Churn measure"),
                 alt.Tooltip("formula:Q", title=f"Formula value ({currency})", format=",.0f")])
    cap = alt.Chart(pd.DataFrame({"years": [cap_years], "label": [f"cap: {cap_years} years"]})
                    ).mark_rule(color="#555555").encode(
        x="years:Q", tooltip=[alt.Tooltip("label:N", title="Chapter's cap")])
    layers = (lines, rules, cap) if len(finite) else (lines, cap)  # no empty layer
    return alt.layer(*layers).properties(
        width=WIDTH, height=260, description="Lifetime value by horizon",
        title="Lifetime value counted over more and more years")


def retention_fit_chart(shares: pd.DataFrame, model: ShiftedBetaGeometric, horizon: int,
                        period_label: str = "Years", band: pd.DataFrame | None = None,
                        level: float = 0.9) -> alt.VConcatChart:
    """Actual logo survival and retention rate of each cohort (points, from
    :meth:`~csmodels.lifetime.SurvivorCohorts.survival_shares`) against the fitted
    sBG model (line, projected to ``horizon`` periods), with the bootstrap interval of
    the fit as a grey band where ``band`` (``period``, ``share_low``, ``share_high``,
    ``rate_low``, ``rate_high``) is given."""
    periods = np.arange(horizon + 1)
    fitted = pd.DataFrame({"period": periods, "share": model.survival(periods),
                           "rate": np.r_[np.nan, model.retention_rate(periods[1:])],
                           "series": "Fitted sBG model"})
    actual = shares.sort_values(["cohort", "period"]).copy()
    actual["rate"] = actual.groupby("cohort")["share"].transform(lambda s: s / s.shift())
    actual["series"] = "Cohort " + actual["cohort"].astype(str)
    domain = ["Fitted sBG model", *dict.fromkeys(actual["series"])]
    colour = alt.Color("series:N", sort=domain, scale=alt.Scale(
        domain=domain, range=["#000000", *COHORT_COLOURS[:len(domain) - 1]]),
        legend=alt.Legend(orient="bottom", title=None, columns=2))
    x = alt.X("period:Q", title=f"{period_label} since start", scale=alt.Scale(domain=[0, horizon]),
              axis=alt.Axis(tickMinStep=1, format="d"))

    def panel(field: str, title: str, data_actual: pd.DataFrame, data_fit: pd.DataFrame):
        tips = [alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("period:Q", title=f"{period_label} since start"),
                alt.Tooltip(f"{field}:Q", title=title, format=".1%")]
        line = alt.Chart(data_fit).mark_line().encode(x=x, y=alt.Y(
            f"{field}:Q", title=title, axis=alt.Axis(format="%"),
            scale=alt.Scale(zero=field == "share")), color=colour, tooltip=tips)
        points = alt.Chart(data_actual).mark_point(filled=True, size=70).encode(
            x=x, y=f"{field}:Q", color=colour,
            tooltip=[*tips, alt.Tooltip("accounts:Q", title="Accounts")])
        if band is None:
            return alt.layer(line, points).properties(width=WIDTH, height=180)
        shaded = band.dropna(subset=[f"{field}_low"])
        area = alt.Chart(shaded).mark_area(color="#999999", opacity=0.3).encode(
            x=x, y=f"{field}_low:Q", y2=f"{field}_high:Q",
            tooltip=[alt.Tooltip("period:Q", title=f"{period_label} since start"),
                     alt.Tooltip(f"{field}_low:Q", title=f"{level:.0%} interval, low",
                                 format=".1%"),
                     alt.Tooltip(f"{field}_high:Q", title=f"{level:.0%} interval, high",
                                 format=".1%")])
        return alt.layer(area, line, points).properties(width=WIDTH, height=180)

    survival = panel("share", "Still customers", actual, fitted)
    rate = panel("rate", "Renewed that period", actual.dropna(subset=["rate"]),
                 fitted.dropna(subset=["rate"]))
    return alt.vconcat(survival, rate, description="Fitted vs actual retention").properties(
        title="Logo retention: cohorts (points), fitted model (line)"
        + ("" if band is None else f", {level:.0%} interval (band)"))
