"""Invariants of the metrics, on random companies (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import csmodels as cs

N_MONTHS = 14


@st.composite
def panels(draw) -> pd.DataFrame:
    """An arr_monthly frame over 14 months; zero months are left out except the first and last."""
    n = draw(st.integers(1, 8))
    values = draw(arrays(np.float64, (n, N_MONTHS), elements=st.one_of(
        st.just(0.0), st.floats(1, 1e6, allow_nan=False, allow_infinity=False))))
    values[0, N_MONTHS - 13] = max(values[0, N_MONTHS - 13], 1.0)  # someone pays in the base
    months = pd.period_range("2023-01", periods=N_MONTHS, freq="M")
    rows = [(f"acc{i}", months[t], values[i, t]) for i in range(n) for t in range(N_MONTHS)
            if values[i, t] > 0 or t in (0, N_MONTHS - 1)]
    return pd.DataFrame(rows, columns=["account_id", "month", "arr"])


@settings(max_examples=80, deadline=None)
@given(panels())
def test_retention_bounds(frame):
    r = cs.retention(cs.ArrPanel.from_frame(frame), lookback=12)
    assert 0 <= r.grr <= 1 + 1e-12
    assert r.grr <= r.nrr + 1e-12
    assert 0 <= r.logo_churn <= 1
    assert abs(r.gross_revenue_churn - (1 - r.grr)) < 1e-12


@settings(max_examples=60, deadline=None)
@given(panels(), st.floats(1e-3, 1e3), st.randoms(use_true_random=False))
def test_retention_unchanged_by_row_order_and_scale(frame, scale, rnd):
    base = cs.retention(cs.ArrPanel.from_frame(frame))
    order = list(range(len(frame)))
    rnd.shuffle(order)
    shuffled = frame.iloc[order].reset_index(drop=True)
    scaled = shuffled.assign(arr=shuffled["arr"] * scale)
    other = cs.retention(cs.ArrPanel.from_frame(scaled))
    np.testing.assert_allclose([other.nrr, other.grr, other.logo_churn],
                               [base.nrr, base.grr, base.logo_churn], rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(panels())
def test_bridge_identity(frame):
    b = cs.arr_bridge(cs.ArrPanel.from_frame(frame))
    rebuilt = b.opening + b.new + b.reactivation + b.expansion - b.contraction - b.churn
    np.testing.assert_allclose(rebuilt, b.closing, rtol=1e-9, atol=1e-6)
    assert (b[["new", "reactivation", "expansion", "contraction", "churn"]] >= 0).all().all()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=200))
def test_nps_bounds(scores):
    frame = pd.DataFrame({"date": pd.Timestamp("2024-03-01"), "score": scores})
    result = cs.nps(frame, "2024-03")
    assert -100 <= result.score <= 100
    assert abs(result.promoters + result.passives + result.detractors - 1) < 1e-12
