"""The book's charts (Altair), one module per chapter, and the offline renderer.

Every chart aggregates before it draws, so a page's weight does not grow with
the reader's data. Its look (font sizes, labels never shortened, a width that follows the
text column) comes from :mod:`csmodels.style`, which :func:`chart_html` applies; the
labels it shows are words (:func:`csmodels.style.words`), not the package's codes.
"""

from ._render import EMBED_OPTIONS, WIDTH, chart_html, enable_renderer
from .collaboration import handoff_days_chart, pay_by_model_chart, self_assessment_chart
from .functions import (
    ltv_horizon_chart,
    retention_fit_chart,
    revenue_base_chart,
    revenue_base_explorer,
    revenue_layers_chart,
)
from .maturity import recommendation_map_chart
from .metrics import (
    arr_bridge_chart,
    cohort_heatmap,
    health_outcome_chart,
    nps_distribution_chart,
    retention_trend_chart,
)
from .pressure import pressure_chart
from .reporting import monte_carlo_chart, weights_explorer

__all__ = [
    "EMBED_OPTIONS",
    "WIDTH",
    "arr_bridge_chart",
    "chart_html",
    "cohort_heatmap",
    "enable_renderer",
    "handoff_days_chart",
    "health_outcome_chart",
    "ltv_horizon_chart",
    "monte_carlo_chart",
    "nps_distribution_chart",
    "pay_by_model_chart",
    "pressure_chart",
    "recommendation_map_chart",
    "retention_fit_chart",
    "retention_trend_chart",
    "revenue_base_chart",
    "revenue_base_explorer",
    "revenue_layers_chart",
    "self_assessment_chart",
    "weights_explorer",
]
