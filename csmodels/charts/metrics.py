"""Charts of the metrics chapter. Each aggregates before it draws."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

from ..metrics import MOVEMENTS, nps_distribution
from ..style import words
from ._render import WIDTH

PALETTE = {"new": "#2b8cbe", "reactivation": "#7bccc4", "expansion": "#41ab5d",
           "contraction": "#fd8d3c", "churn": "#d7301f"}


# ------------------------------------------------------------------------------ charts


def _months(frame: pd.DataFrame, column: str = "month") -> pd.DataFrame:
    frame = frame.copy()
    frame[column] = frame[column].astype(str)
    return frame


def arr_bridge_chart(bridge: pd.DataFrame, currency: str = "USD") -> alt.Chart:
    """Monthly ARR gained (up) and lost (down) by movement, from :func:`arr_bridge`."""
    long = bridge[list(MOVEMENTS)].copy()
    long[["contraction", "churn"]] *= -1
    long = _months(long.rename_axis("month").reset_index().melt(
        id_vars="month", var_name="movement", value_name="change"))
    long["movement"] = words(long["movement"])
    movements = words(list(MOVEMENTS))
    return alt.Chart(long, description="ARR bridge").mark_bar().encode(
        x=alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-90, labelOverlap=True)),
        y=alt.Y("sum(change):Q", title=f"ARR change ({currency})", axis=alt.Axis(format="~s")),
        color=alt.Color("movement:N", sort=movements,
                        scale=alt.Scale(domain=words(list(PALETTE)),
                                        range=list(PALETTE.values())),
                        legend=alt.Legend(orient="bottom", title=None)),
        order=alt.Order("movement_order:Q"),
        tooltip=[alt.Tooltip("month:O", title="Month"), alt.Tooltip("movement:N", title="Movement"),
                 alt.Tooltip("sum(change):Q", title=f"Change ({currency})", format=",.0f")],
    ).transform_calculate(
        movement_order=f"indexof({json.dumps(movements)}, datum.movement)"
    ).properties(width=WIDTH, height=260, title="Where ARR came from and went, month by month")


def retention_trend_chart(series: pd.DataFrame,
                          benchmarks: dict[str, tuple[float, float]] | None = None) -> alt.Chart:
    """Trailing NRR and GRR by month (from :func:`retention_series`), with optional
    benchmark bands ``{"NRR": (low, high), "GRR": (low, high)}``."""
    long = series[["as_of", "nrr", "grr"]].rename(columns={"nrr": "NRR", "grr": "GRR"}).melt(
        id_vars="as_of", var_name="metric", value_name="value")
    color = alt.Color("metric:N", scale=alt.Scale(domain=["NRR", "GRR"],
                                                  range=["#2b8cbe", "#d7301f"]),
                      legend=alt.Legend(orient="bottom", title=None))
    lines = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("as_of:O", title=None, axis=alt.Axis(labelAngle=-90)),
        y=alt.Y("value:Q", title="Retention", axis=alt.Axis(format="%"),
                scale=alt.Scale(zero=False)),
        color=color,
        tooltip=[alt.Tooltip("as_of:O", title="As of"), alt.Tooltip("metric:N", title="Metric"),
                 alt.Tooltip("value:Q", title="Value", format=".1%")])
    layers = [lines]
    if benchmarks:
        bands = pd.DataFrame([{"metric": k, "low": lo, "high": hi,
                               "label": f"{k} benchmark {lo:.0%}-{hi:.0%}"}
                              for k, (lo, hi) in benchmarks.items()])
        layers.insert(0, alt.Chart(bands).mark_rect(opacity=0.35, color="#bdbdbd").encode(
            y="low:Q", y2="high:Q", tooltip=[alt.Tooltip("label:N", title="Benchmark")]))
    months = int(series["lookback_months"].iloc[0]) if len(series) else 12
    return alt.layer(*layers, description="NRR and GRR over time").properties(
        width=WIDTH, height=260,
        title=f"Net and gross revenue retention, trailing {months} months")


def cohort_heatmap(table: pd.DataFrame, measure: str = "revenue") -> alt.Chart:
    """Cohort retention (from :func:`cohort_retention`) as a heatmap."""
    long = table.rename_axis(index="cohort", columns="age").stack().rename("retention")
    long = long.reset_index()
    return alt.Chart(long, description="Cohort retention").mark_rect().encode(
        x=alt.X("age:O", title="Months since the cohort started",
                axis=alt.Axis(labelAngle=0, values=list(range(0, 48, 6)))),
        y=alt.Y("cohort:O", title="Start cohort"),
        color=alt.Color("retention:Q", title="Retained",
                        scale=alt.Scale(scheme="blues"), legend=alt.Legend(format="%")),
        tooltip=[alt.Tooltip("cohort:O", title="Cohort"),
                 alt.Tooltip("age:O", title="Months since start"),
                 alt.Tooltip("retention:Q", title="Retained", format=".1%")],
    ).properties(width=WIDTH, height=240, title=f"{measure.capitalize()} retention by cohort")


def nps_distribution_chart(responses: pd.DataFrame, as_of: str | pd.Period,
                           window_months: int = 12) -> alt.Chart:
    """Responses per score (0-10) in the NPS window (:func:`csmodels.metrics.nps_distribution`),
    coloured by promoter category."""
    counts = nps_distribution(responses, as_of, window_months).reset_index()
    counts["group"] = pd.cut(counts["score"], [-1, 6, 8, 10],
                             labels=["detractor (0-6)", "passive (7-8)", "promoter (9-10)"]
                             ).astype(str)
    counts["share"] = counts["responses"] / max(counts["responses"].sum(), 1)
    return alt.Chart(counts, description="NPS distribution").mark_bar().encode(
        x=alt.X("score:O", title="Score", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("responses:Q", title="Responses"),
        color=alt.Color("group:N", scale=alt.Scale(
            domain=["detractor (0-6)", "passive (7-8)", "promoter (9-10)"],
            range=["#d7301f", "#bdbdbd", "#41ab5d"]), legend=alt.Legend(orient="bottom",
                                                                        title=None)),
        tooltip=[alt.Tooltip("score:O", title="Score"), alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("responses:Q", title="Responses", format=","),
                 alt.Tooltip("share:Q", title="Share", format=".1%")],
    ).properties(width=WIDTH, height=220,
                 title=f"NPS answers in the {window_months} months to {as_of}")


def health_outcome_chart(test) -> alt.Chart:
    """Churn at renewal per health-score band, the score taken ``test.lead_months``
    before each renewal (``test``: a :class:`csmodels.health.RenewalTest`)."""
    frame = test.by_band.reset_index()
    frame["range"] = frame["low"].round(0).astype(int).astype(str) + "-" + frame["high"].round(
        0).astype(int).astype(str)
    return alt.Chart(frame, description="Health score vs churn at renewal").mark_bar(
        color="#d7301f").encode(
        x=alt.X("band:O", title=f"Health score band, {test.lead_months} months before renewal "
                "(lowest first)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("churn_rate:Q", title="Churned at renewal", axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("band:O", title="Band"), alt.Tooltip("range:N", title="Scores"),
                 alt.Tooltip("renewals:Q", title="Renewals"),
                 alt.Tooltip("churn_rate:Q", title="Churned", format=".1%")],
    ).properties(width=WIDTH, height=220,
                 title=f"Churn at renewals due {test.first} to {test.last}, by health band")
