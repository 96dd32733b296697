"""Charts of the maturity chapter: the recommendation as a map over funding stage
and contract size.

:func:`recommendation_map_chart` draws every variant (standard, technical buyer,
product-led) into the page and shows one at a time through a Vega-Lite parameter
bound to radio buttons, so switching works in a static page with no kernel.
Colours are the Okabe-Ito palette, one per company type of source 003.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..profile import STAGES
from ..style import SMALL_PX, words
from ._render import WIDTH

SEGMENTS = ("startup-high-touch", "startup-low-touch", "scaling-high-touch",
            "scaling-low-touch", "technical-buyer", "product-led")
SHORT = {"cco": "CCO"}  # a cell of the map holds a short name; the tooltip gives it in full
COLOURS = ["#0072B2", "#56B4E9", "#D55E00", "#E69F00", "#009E73", "#CC79A7"]


def recommendation_map_chart(grid: pd.DataFrame, company: dict | None = None) -> alt.LayerChart:
    """A heatmap of source 003's company type by funding stage (rows) and ACV (columns),
    with a radio button choosing the variant; ``company`` (``funding_stage``, ``acv``,
    ``variant``) marks the reader's company."""
    frame = grid.assign(
        acv_label=grid["acv"].map(lambda v: f"${v / 1000:,.0f}K"),
        leader=words(grid["cs_leader"]), short=grid["cs_leader"].map(SHORT).fillna(
            words(grid["cs_leader"])), to=words(grid["reports_to"]),
        renewals=words(grid["renewal_owner"]), expansion=words(grid["expansion_owner"]),
        segment=words(grid["segment"]), funding_stage=words(grid["funding_stage"]))
    order = list(dict.fromkeys(frame.sort_values("acv")["acv_label"]))
    stages = words(list(STAGES))
    variant = alt.param(name="variant", value="standard", bind=alt.binding_radio(
        options=["standard", "technical buyer", "product-led"], name="Company: "))
    x = alt.X("acv_label:O", sort=order, title="Average contract value (ACV)",
              axis=alt.Axis(labelAngle=0))
    y = alt.Y("funding_stage:O", sort=stages, title="Funding stage")
    tooltip = [alt.Tooltip("funding_stage:N", title="Funding stage"),
               alt.Tooltip("acv_label:N", title="ACV"),
               alt.Tooltip("segment:N", title="Company type (source 003)"),
               alt.Tooltip("leader:N", title="CS led by"),
               alt.Tooltip("to:N", title="Reporting to"),
               alt.Tooltip("renewals:N", title="Renewals owned by"),
               alt.Tooltip("expansion:N", title="Expansion owned by"),
               alt.Tooltip("conflicts:Q", title="Points where sources disagree")]
    base = alt.Chart(frame).transform_filter(alt.datum.variant == variant)
    cells = base.mark_rect(stroke="white").encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("segment:N", scale=alt.Scale(domain=words(list(SEGMENTS)), range=COLOURS),
                        legend=alt.Legend(orient="bottom", title=None)))
    text = base.mark_text(fontSize=SMALL_PX, color="black").encode(
        x=x, y=y, text="short:N", tooltip=tooltip)
    flags = base.transform_filter("datum.conflicts > 0").mark_text(
        dx=22, dy=-10, fontSize=12, fontWeight="bold", color="black").encode(
        x=x, y=y, text=alt.value("!"), tooltip=tooltip)
    layers = [cells, text, flags]
    if company is not None:
        marker = pd.DataFrame([company])
        marker["funding_stage"] = words(marker["funding_stage"])
        layers.append(alt.Chart(marker).transform_filter(
            alt.datum.variant == variant).mark_point(
            shape="diamond", size=260, filled=False, strokeWidth=3, color="black").encode(
            x=alt.X("acv_label:O", sort=order), y=alt.Y("funding_stage:O", sort=stages),
            tooltip=[alt.Tooltip("label:N", title="Your company")]))
    return alt.layer(*layers).add_params(variant).properties(
        width=WIDTH - 100, height=230, usermeta={"fixed_width": True},
        description="Recommendation map with a variant selector",
        title="Who leads CS, by funding stage and contract size (! = sources disagree)")
