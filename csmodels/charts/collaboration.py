"""Charts of the collaboration chapter: handoff timing, pay by ownership model and the
leader's self-assessment. Every chart aggregates before it draws (Okabe-Ito colours)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..style import words, wrapped_labels
from ._render import WIDTH

BLUE, ORANGE, GREEN, GREY = "#0072B2", "#E69F00", "#009E73", "#999999"


def handoff_days_chart(report: pd.DataFrame, within_days: int) -> alt.LayerChart:
    """How many handoffs took how many days after the close, with the SLA's limit."""
    days = report["days_to_handoff"].dropna().clip(lower=0)
    top = int(max(days.max() if len(days) else 0, within_days * 2)) + 1
    edges = np.unique(np.linspace(0, top, min(top, 30) + 1).round())
    counts, edges = np.histogram(days, bins=edges)
    data = pd.DataFrame({"start": edges[:-1], "end": edges[1:], "handoffs": counts})
    data["within"] = np.where(data["end"] <= within_days + 1, "within the SLA", "late")
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("start:Q", title="Days from close to handoff", bin="binned"), x2="end:Q",
        y=alt.Y("handoffs:Q", title="Handoffs"),
        color=alt.Color("within:N", scale=alt.Scale(domain=["within the SLA", "late"],
                                                    range=[BLUE, ORANGE]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=[alt.Tooltip("start:Q", title="From day"), alt.Tooltip("end:Q", title="To day"),
                 alt.Tooltip("handoffs:Q", title="Handoffs")])
    rule = alt.Chart(pd.DataFrame({"limit": [within_days]})).mark_rule(
        color="black", strokeDash=[4, 3]).encode(x="limit:Q")
    return (bars + rule).properties(width=WIDTH - 60, height=220)


def pay_by_model_chart(pay: pd.DataFrame, currency: str = "USD") -> alt.Chart:
    """Variable pay per team under each ownership model (``model``, ``team``, ``pay``), on
    the outcomes :func:`csmodels.collaboration.ownership_outcomes` models under each (the
    data's own only under the current model, or with a pay response of 0)."""
    pay = pay.assign(model=words(pay["model"]), team=words(pay["team"]))
    return alt.Chart(pay).mark_bar().encode(
        y=alt.Y("model:N", title=None, sort=list(dict.fromkeys(pay["model"])),
                axis=alt.Axis(labelExpr=wrapped_labels(pay["model"].unique()))),
        x=alt.X("pay:Q", title=f"Variable pay on each model's modelled outcomes ({currency})",
                stack="zero",
                axis=alt.Axis(format="~s")),
        color=alt.Color("team:N", legend=alt.Legend(orient="bottom", title=None),
                        scale=alt.Scale(range=[BLUE, ORANGE, GREEN, GREY])),
        tooltip=[alt.Tooltip("model:N", title="Model"), alt.Tooltip("team:N", title="Team"),
                 alt.Tooltip("pay:Q", title=f"Pay ({currency})", format=",.0f")],
    ).properties(width=WIDTH - 260, height=alt.Step(48))


def self_assessment_chart(frame: pd.DataFrame) -> alt.Chart:
    """The leader's self-assessment: one bar per practice, 0 to 2."""
    data = frame[["practice_id", "group", "score"]].copy()
    data["practice_id"] = words(data["practice_id"])
    data["group"] = data["group"].str.capitalize()
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("practice_id:N", title=None, sort=list(data["practice_id"]),
                axis=alt.Axis(labelExpr=wrapped_labels(data["practice_id"]))),
        x=alt.X("score:Q", scale=alt.Scale(domain=[0, 2]), axis=alt.Axis(tickCount=3),
                title="0 not in place, 1 partly, 2 in place"),
        color=alt.Color("group:N", scale=alt.Scale(range=[BLUE, GREEN]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=[alt.Tooltip("practice_id:N", title="Practice"),
                 alt.Tooltip("score:Q", title="Score")],
    ).properties(width=WIDTH - 260, height=alt.Step(38))


def first_days_chart(table: pd.DataFrame, first_days: int) -> alt.Chart:
    """The share of handoffs reaching each milestone in their first days, complete against
    incomplete handoffs (``table`` from :func:`csmodels.collaboration.first_days_table`)."""
    from ..collaboration import MILESTONES

    data = (table[["complete", "incomplete"]].rename(index=MILESTONES)
            .rename_axis("milestone").reset_index()
            .melt(id_vars="milestone", var_name="handoff", value_name="share").dropna())
    data["handoff"] = data["handoff"] + " handoffs"
    order = [MILESTONES[m] for m in table.index]
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("milestone:N", title=None, sort=order),
        yOffset=alt.YOffset("handoff:N"),
        x=alt.X("share:Q", title=f"Share of handoffs, by day {first_days} after the handoff",
                scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("handoff:N", scale=alt.Scale(
            domain=["complete handoffs", "incomplete handoffs"], range=[BLUE, ORANGE]),
            legend=alt.Legend(orient="bottom", title=None)),
        tooltip=[alt.Tooltip("milestone:N", title="Milestone"),
                 alt.Tooltip("handoff:N", title="Handoffs"),
                 alt.Tooltip("share:Q", title="Share", format=".1%")],
    ).properties(width=WIDTH - 260, height=alt.Step(16))


def outcomes_chart(outcomes: pd.DataFrame, names: pd.Series) -> alt.Chart:
    """NRR and GRR of the book under each ownership model, once behaviour responds to pay
    (``outcomes`` from :func:`csmodels.collaboration.ownership_outcomes`)."""
    data = outcomes[["nrr", "grr"]].rename(columns={"nrr": "NRR", "grr": "GRR"})
    data = (data.rename(index=names).rename_axis("model").reset_index()
            .melt(id_vars="model", var_name="measure", value_name="value").dropna())
    data["model"] = words(data["model"])
    return alt.Chart(data).mark_point(filled=True, size=90).encode(
        y=alt.Y("model:N", title=None, sort=list(dict.fromkeys(data["model"])),
                axis=alt.Axis(labelExpr=wrapped_labels(data["model"].unique()))),
        x=alt.X("value:Q", title="Retention of the book", axis=alt.Axis(format="%"),
                scale=alt.Scale(zero=False)),
        color=alt.Color("measure:N", scale=alt.Scale(domain=["NRR", "GRR"],
                                                     range=[BLUE, GREEN]),
                        legend=alt.Legend(orient="bottom", title=None)),
        shape=alt.Shape("measure:N", scale=alt.Scale(domain=["NRR", "GRR"],
                                                     range=["square", "circle"]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=[alt.Tooltip("model:N", title="Model"),
                 alt.Tooltip("measure:N", title="Measure"),
                 alt.Tooltip("value:Q", title="Value", format=".1%")],
    ).properties(width=WIDTH - 260, height=alt.Step(48))
