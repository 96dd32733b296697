"""The chart of the quota-pressure section: NRR judged on one year and over several."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..pressure import PressureSummary
from ._render import WIDTH

BLUE, ORANGE = "#0072B2", "#E69F00"


def pressure_chart(summary: PressureSummary) -> alt.LayerChart:
    """NRR against quota pressure held from now: in the first year, and per year over
    the summary's horizon, with the peak and today's pressure marked."""
    model, start, horizon = summary.model, summary.start_damage, summary.horizon_years
    curve = model.curve(horizon, start)
    names = {"first_year": "NRR in the first year",
             "yearly": f"NRR per year over {horizon} years"}
    long = curve.melt(id_vars="pressure", value_vars=list(names), var_name="key",
                      value_name="rate")
    long["measure"] = long["key"].map(names)
    colour = alt.Color("measure:N", scale=alt.Scale(domain=list(names.values()),
                                                    range=[ORANGE, BLUE]),
                       legend=alt.Legend(orient="bottom", title=None))
    lines = alt.Chart(long).mark_line(strokeWidth=2.5).encode(
        x=alt.X("pressure:Q", title="Quota pressure on CSMs, held from now "
                                    "(0 none, 1 paid mostly on quota)"),
        y=alt.Y("rate:Q", axis=alt.Axis(format="%"), scale=alt.Scale(zero=False),
                title="Net revenue retention"),
        color=colour,
        tooltip=[alt.Tooltip("pressure:Q", title="Pressure", format=".2f"),
                 alt.Tooltip("measure:N", title="Measure"),
                 alt.Tooltip("rate:Q", title="NRR", format=".1%")],
    )
    peak, today = summary.peak_pressure, summary.current_pressure
    marks = pd.DataFrame({
        "pressure": [peak, today],
        "rate": [summary.nrr_peak_yearly, model.yearly_nrr(today, horizon, start)],
        "what": [f"Peak over {horizon} years: {peak:.2f}", f"Today: {today:.2f}"]})
    points = alt.Chart(marks).mark_point(size=90, filled=True, color="black").encode(
        x="pressure:Q", y="rate:Q", tooltip=[alt.Tooltip("what:N", title="Point"),
                                             alt.Tooltip("rate:Q", title="NRR", format=".1%")])
    labels = points.mark_text(align="left", dx=8, dy=-8).encode(text="what:N")
    return (lines + points + labels).properties(width=WIDTH - 60, height=260)
