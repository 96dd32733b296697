"""Charts of the reporting-options chapter.

:func:`weights_explorer` recomputes the weighted scores in Vega-Lite transforms,
so its sliders re-rank the placements in a static page with no kernel. Colours
are the Okabe-Ito palette; the leader is drawn in blue, the others in grey.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..reporting import PLACEMENT_LABELS, criteria
from ._render import WIDTH

BLUE, GREY, ORANGE, GREEN = "#0072B2", "#999999", "#E69F00", "#009E73"
# the placements as the charts' axes name them: short enough for a phone; "(CEO)" marks
# the two forms of the executive line to the CEO (tooltips give the full names)
SHORT = {**PLACEMENT_LABELS, "ceo": "Head of CS (CEO)", "cco": "CCO (CEO)"}


def weights_explorer(matrix: pd.DataFrame, weights: pd.Series) -> alt.LayerChart:
    """The placements ranked by weighted mean score, one slider per criterion's weight.

    ``matrix`` is placement x criterion (:func:`csmodels.reporting.score_matrix`),
    ``weights`` a Series over the same criteria (the sliders' starting values).
    """
    labels = criteria()["label"]
    names = {c: f"w_{i}" for i, c in enumerate(matrix.columns)}
    top = max(5.0, float(weights.max()))
    sliders = [alt.param(name=names[c], value=float(weights[c]), bind=alt.binding_range(
        min=0, max=top, step=0.5, name=f"{labels[c]} ")) for c in matrix.columns]
    data = matrix.rename(columns={c: f"s_{i}" for i, c in enumerate(matrix.columns)})
    data = data.rename_axis("placement").reset_index()
    data["label"] = data["placement"].map(PLACEMENT_LABELS)
    data["short"] = data["placement"].map(SHORT)
    total = " + ".join(names[c] for c in matrix.columns)
    weighted = " + ".join(f"datum.s_{i} * {names[c]}" for i, c in enumerate(matrix.columns))
    base = alt.Chart(data).transform_calculate(
        value=f"({total}) > 0 ? ({weighted}) / ({total}) : 0",
    ).transform_window(
        rank="rank()", sort=[alt.SortField("value", order="descending")],
    ).transform_calculate(
        place="datum.rank == 1 ? 'ranked first' : 'the others'",
        # the score and rank go in the row's label: text after the bar could run off a phone
        shown="datum.short + ': ' + format(datum.value, '.2f') + ' (#' + datum.rank + ')'",
    )
    by_value = alt.EncodingSortField("value", op="max", order="descending")
    y = alt.Y("shown:N", sort=by_value, title=None)
    bars = base.mark_bar().encode(
        y=y, x=alt.X("value:Q", scale=alt.Scale(domain=[0, 5]),
                     title="Weighted mean score (1 weak, 5 strong)"),
        color=alt.Color("place:N", scale=alt.Scale(domain=["ranked first", "the others"],
                                                   range=[BLUE, GREY]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=[alt.Tooltip("label:N", title="Placement"),
                 alt.Tooltip("value:Q", title="Weighted score", format=".2f"),
                 alt.Tooltip("rank:O", title="Rank")],
    )
    return bars.add_params(*sliders).properties(
        width=WIDTH - 200, height=200, description="Reporting options explorer with sliders",
        title="Try it: move the weights below the chart")


def monte_carlo_chart(shares: pd.Series, both: pd.Series | None = None) -> alt.Chart:
    """How often each placement ranks first under random weights (one bar each), and,
    with ``both``, beside it how often when the scores are drawn from their ranges too."""
    frames = [shares.rename("share").rename_axis("placement").reset_index().assign(
        draw="Weights varied")]
    if both is not None:
        frames.append(both.rename("share").rename_axis("placement").reset_index().assign(
            draw="Weights and scores varied"))
    data = pd.concat(frames, ignore_index=True)
    data["label"] = data["placement"].map(PLACEMENT_LABELS)
    data["short"] = data["placement"].map(SHORT)
    draws = list(data["draw"].unique())
    colour = alt.Color("draw:N", scale=alt.Scale(domain=draws, range=[BLUE, ORANGE][:len(draws)]),
                       legend=alt.Legend(orient="bottom", title=None))
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("short:N", sort=alt.EncodingSortField("share", op="max", order="descending"),
                title=None),
        yOffset=alt.YOffset("draw:N", sort=draws),
        x=alt.X("share:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]),
                title="Share of random draws that rank it first"),
        color=colour,
        tooltip=[alt.Tooltip("label:N", title="Placement"),
                 alt.Tooltip("draw:N", title="Draw"),
                 alt.Tooltip("share:Q", title="Ranked first", format=".1%")],
    ).properties(width=WIDTH - 200, height=60 * len(shares) if both is not None else 160)
