"""Seeded generator of a synthetic B2B SaaS company's data exports.

The book ships a fictional sample company so that every chapter runs without a
reader's own data. This module makes that company: the eight canonical input
tables of the data dictionary (``accounts``, ``arr_monthly``, ``nps_responses``,
``usage_monthly``, ``onboarding``, ``qbrs``, ``opportunities``, ``handoffs``),
generated from a small causal model rather than drawn independently, so that
the metrics the chapters compute behave like a real company's.

The model, in one paragraph: accounts sign annual contracts in three segments;
each account carries a latent *health* that follows an AR(1) process around an
account-level mean, lowered by an incomplete sales-to-CS handoff and by a slow
time to value. Health drives seat utilisation, NPS scores, QBR attendance,
mid-term upsells, and the outcome at each renewal (churn, contraction, flat or
expansion). Churned accounts sometimes come back (reactivation). Every
parameter is a field of :class:`CompanyShape`; every random draw goes through
one ``numpy.random.Generator`` seeded by the caller, so the same seed gives
byte-identical files.

All of it is an assumption of this generator, not a finding of the book's
sources; the defaults are tuned so the default seed lands on SaaS Capital's
published medians (NRR about 1.02-1.08, GRR about 0.90-0.93).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ._checks import check_number
from .inputs import neutralise_formulas

__all__ = [
    "DEFAULT_SEGMENTS",
    "TABLES",
    "CompanyShape",
    "SegmentShape",
    "company_profile",
    "generate_company",
    "write_company",
]

#: The canonical tables, in the data dictionary's order.
TABLES: tuple[str, ...] = (
    "accounts",
    "arr_monthly",
    "nps_responses",
    "usage_monthly",
    "onboarding",
    "qbrs",
    "opportunities",
    "handoffs",
)

# Tables the simulation cannot do without: every other table hangs off them.
_CORE_TABLES = ("accounts", "arr_monthly")


@dataclass(frozen=True)
class SegmentShape:
    """Parameters of one customer segment.

    Parameters
    ----------
    name : str
        Segment label written to ``accounts.segment``.
    share : float
        Share of new accounts that fall in this segment (shares are normalised).
    acv_median : float
        Median first-year ARR of an account, in currency units.
    acv_sigma : float
        Standard deviation of log ACV (the spread of the lognormal).
    seat_price : float
        Typical ARR per licensed seat; seats = ARR / price (each account gets
        its own price around this value).
    renewal_churn : float
        Probability that an account of average health (health 0) does not
        renew at its anniversary.
    qbrs_per_year : float
        QBRs a year for an account of average health.
    nps_contacts : int
        Contacts surveyed in each NPS wave.
    go_live_days : float
        Median days from kickoff to go-live, with a complete handoff.
    csms : tuple of str
        Fictional CSMs who cover the segment; accounts are spread among them.
    """

    name: str
    share: float
    acv_median: float
    acv_sigma: float
    seat_price: float
    renewal_churn: float
    qbrs_per_year: float
    nps_contacts: int
    go_live_days: float
    csms: tuple[str, ...]


#: Default segments: a Series-B company selling to three customer sizes.
DEFAULT_SEGMENTS: tuple[SegmentShape, ...] = (
    SegmentShape(
        name="Enterprise",
        share=0.12,
        acv_median=110_000,
        acv_sigma=0.45,
        seat_price=600,
        renewal_churn=0.02,
        qbrs_per_year=4.0,
        nps_contacts=10,
        go_live_days=40,
        csms=("Maren Okafor", "Tobias Lindqvist"),
    ),
    SegmentShape(
        name="Mid-Market",
        share=0.33,
        acv_median=32_000,
        acv_sigma=0.45,
        seat_price=480,
        renewal_churn=0.045,
        qbrs_per_year=2.0,
        nps_contacts=5,
        go_live_days=25,
        csms=("Priya Castellanos", "Jonah Whitfield", "Aiko Brennan"),
    ),
    SegmentShape(
        name="SMB",
        share=0.55,
        acv_median=9_500,
        acv_sigma=0.5,
        seat_price=380,
        renewal_churn=0.085,
        qbrs_per_year=0.4,
        nps_contacts=2,
        go_live_days=12,
        csms=("Selin Marchetti", "Dario Nakamura", "Hannah Oyelaran", "Felix Tremblay"),
    ),
)


@dataclass(frozen=True)
class CompanyShape:
    """Every parameter of the synthetic company, with realistic defaults.

    Probabilities are per event (per renewal, per account-month); "health
    effects" are slopes on the latent health, which has mean 0 and standard
    deviation about 1 across accounts and months.

    Parameters
    ----------
    company : str
        Fictional company name (profile ``company``).
    currency : str
        ISO 4217 code of every amount.
    funding_stage, touch, buyer : str
        Profile values (see ``data/README.md``); ``touch`` None leaves the touch
        model to each segment (:func:`company_profile` with ``segments``).
    product_led : bool
        Profile value: is the motion product-led?
    start_month : str
        First data month, ``YYYY-MM``.
    months : int
        Number of data months.
    n_initial_accounts : int
        Paying accounts at the first month (signed before the window).
    new_accounts_per_month : float
        Mean of the Poisson number of new accounts signed each month.
    max_initial_tenure_months : int
        Initial accounts signed uniformly 1..this many months before the window.
    segments : tuple of SegmentShape
        The segments and their parameters.
    health_persistence : float
        AR(1) coefficient of monthly health (how slowly health moves).
    health_noise_sd : float
        Stationary standard deviation of the month-to-month part of health.
    account_health_sd : float
        Standard deviation of the account-level mean health.
    handoff_health_effect : float
        Health shift per unit of handoff completeness (share of the four
        documented items) away from the average.
    ttv_health_effect : float
        Health drop per unit of log(time to value / typical), at signing; it
        fades at the health persistence rate.
    stalled_health_penalty : float
        Permanent health drop of an account whose onboarding stalled.
    churn_health_effect : float
        Logit slope of the renewal churn probability on health.
    midterm_churn_prob : float
        Monthly probability of cancelling mid-term (business failure etc.).
    contraction_prob : float
        Probability of a contraction at renewal (health 0).
    contraction_size : tuple of float
        Uniform range of the share of ARR lost in a contraction.
    contraction_health_effect : float
        Log slope of the contraction probability on health (negative effect).
    renewal_expansion_prob : float
        Probability of an uplift at renewal (health 0).
    renewal_expansion_size : tuple of float
        Median and log standard deviation of the uplift as a share of ARR.
    midterm_expansion_prob : float
        Monthly probability of a mid-term upsell (health 0).
    midterm_expansion_size : tuple of float
        Median and log standard deviation of an upsell as a share of ARR.
    expansion_health_effect : float
        Log slope of the expansion probabilities on health.
    reactivation_prob : float
        Monthly probability that a churned account buys again.
    reactivation_min_gap_months : int
        Months at zero ARR before a reactivation can happen.
    reactivation_arr_share : tuple of float
        Uniform range of the returning ARR as a share of the ARR at churn.
    utilisation_intercept, utilisation_health_effect : float
        Logit of the share of licensed seats active, at health 0, and its slope.
    onboarding_utilisation : float
        Multiplier on utilisation before first value (adoption ramp).
    nps_surveys_per_year : int
        Relationship NPS waves per account per year.
    nps_response_rate : float
        Share of surveyed contacts who answer.
    nps_mean, nps_health_effect, nps_sd : float
        Latent score at health 0, its slope on health, and respondent noise.
    qbr_health_effect : float
        Logit slope of QBR attendance on health.
    handoff_doc_probs : tuple of float
        Probability that goals, stakeholders, success criteria and
        commitments are documented at handoff.
    late_handoff_prob : float
        Probability that a handoff of average completeness happens 15-120 days
        after close (incomplete handoffs are late more often).
    stalled_onboarding_prob : float
        Probability that onboarding stalls and value is never reached.
    ttv_handoff_effect : float
        Onboarding durations are multiplied by 1 + this x (1 - completeness).
    value_after_go_live_days : float
        Median days from go-live to first value.
    lost_new_prob : float
        Share of new accounts with an earlier, lost "new" opportunity.
    lost_expansion_prob : float
        Monthly probability of an expansion opportunity that is lost.
    renewal_cs_owner_share : float
        Share of renewal opportunities owned by CS (the rest by Sales).
    expansion_cs_owner_share : float
        Share of expansion opportunities owned by CS.
    expansion_cs_sourced_by_sales : float
        Share of Sales-owned expansions that a CSM sourced.
    expansion_cs_influence_by_sales : float
        Share of the remaining Sales-owned expansions a CSM influenced.
    tables : tuple of str
        Which of :data:`TABLES` to produce (``accounts`` and ``arr_monthly``
        are always produced).
    """

    company: str = "Northwind Analytics"
    currency: str = "USD"
    funding_stage: str = "series-b"
    touch: str | None = "high"
    buyer: str = "business"
    product_led: bool = False
    start_month: str = "2023-01"
    months: int = 36
    n_initial_accounts: int = 350
    new_accounts_per_month: float = 13.0
    max_initial_tenure_months: int = 48
    segments: tuple[SegmentShape, ...] = DEFAULT_SEGMENTS
    health_persistence: float = 0.9
    health_noise_sd: float = 0.65
    account_health_sd: float = 0.75
    handoff_health_effect: float = 1.2
    ttv_health_effect: float = 0.6
    stalled_health_penalty: float = 1.0
    churn_health_effect: float = 1.4
    midterm_churn_prob: float = 0.001
    contraction_prob: float = 0.075
    contraction_size: tuple[float, float] = (0.10, 0.40)
    contraction_health_effect: float = 0.6
    renewal_expansion_prob: float = 0.40
    renewal_expansion_size: tuple[float, float] = (0.12, 0.5)
    midterm_expansion_prob: float = 0.03
    midterm_expansion_size: tuple[float, float] = (0.20, 0.6)
    expansion_health_effect: float = 0.6
    reactivation_prob: float = 0.006
    reactivation_min_gap_months: int = 3
    reactivation_arr_share: tuple[float, float] = (0.5, 1.0)
    utilisation_intercept: float = 0.7
    utilisation_health_effect: float = 1.0
    onboarding_utilisation: float = 0.4
    nps_surveys_per_year: int = 2
    nps_response_rate: float = 0.3
    nps_mean: float = 8.2
    nps_health_effect: float = 1.2
    nps_sd: float = 1.3
    qbr_health_effect: float = 1.0
    handoff_doc_probs: tuple[float, float, float, float] = (0.85, 0.75, 0.6, 0.7)
    late_handoff_prob: float = 0.12
    stalled_onboarding_prob: float = 0.03
    ttv_handoff_effect: float = 1.0
    value_after_go_live_days: float = 10.0
    lost_new_prob: float = 0.2
    lost_expansion_prob: float = 0.006
    renewal_cs_owner_share: float = 0.85
    expansion_cs_owner_share: float = 0.30
    expansion_cs_sourced_by_sales: float = 0.10
    expansion_cs_influence_by_sales: float = 0.05
    tables: tuple[str, ...] = TABLES


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.log(p / (1.0 - p))


def _lognormal_scale(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    """Lognormal draws parameterised by their median, which reads better than mu."""
    return median * np.exp(sigma * rng.standard_normal(n))


def _mean_one(slope: float, h: np.ndarray) -> np.ndarray:
    """exp(slope x h) scaled so its mean is 1 when h is standard normal.

    Keeps a base probability meaning "the average account's rate" whatever the
    health slope.
    """
    return np.exp(slope * h - slope**2 / 2.0)


class _Calendar:
    """Month indices (0 = first data month) to dates and labels."""

    def __init__(self, start_month: str, months: int) -> None:
        self.first = np.datetime64(start_month, "M")
        self.months = months
        self.labels = np.array([str(self.first + i) for i in range(months)], dtype=object)
        self.end = (self.first + months).astype("datetime64[D]") - np.timedelta64(1, "D")

    def start(self, idx: np.ndarray | int) -> np.ndarray:
        """First day of month ``idx`` (any integer, also before or after the window)."""
        return (self.first + np.asarray(idx)).astype("datetime64[D]")


# Word lists for fictional company names ("Bluepeak Logistics").
_NAME_HEADS = tuple(
    (
        "Blue North Silver Iron Cedar Bright Stone Clear Red Oak Summit River Golden "
        "Swift Harbor Maple Falcon Green Copper Pine Star Lake Frost Sun Amber Willow "
        "High West East Coral Birch Crystal Ember Granite Hazel Indigo Juniper Lumen "
        "Misty Nova "
    ).split()
)
_NAME_TAILS = tuple(
    (
        "peak field stone bridge wave point gate ridge brook works line path crest haven "
        "light mark vale wood port spring forge view shore side dale moor wind fall hill "
        "run way bay leaf rock glen cliff mill star well ford "
    ).split()
)
_NAME_KINDS = tuple(
    (
        "Logistics Health Foods Robotics Energy Analytics Retail Insurance Labs "
        "Manufacturing Media Partners Systems Travel Finance Biotech Construction "
        "Education Hospitality Software Telecom Mobility Security Capital Apparel Farms "
        "Pharma Studios Freight Holdings "
    ).split()
)


def _company_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct fictional names; a numeric suffix only beyond 48,000 accounts."""
    n_heads, n_tails, n_kinds = len(_NAME_HEADS), len(_NAME_TAILS), len(_NAME_KINDS)
    total = n_heads * n_tails * n_kinds
    picks = np.concatenate([rng.permutation(total) for _ in range(max(1, -(-n // total)))])[:n]
    kind, rest = np.divmod(picks, n_heads * n_tails)
    head, tail = np.divmod(rest, n_tails)
    names = [
        f"{_NAME_HEADS[h]}{_NAME_TAILS[t]} {_NAME_KINDS[k]}"
        for h, t, k in zip(head, tail, kind, strict=True)
    ]
    for i in range(total, n):  # only reached for enormous shapes
        names[i] = f"{names[i]} {i // total + 1}"
    return np.array(names, dtype=object)


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    width = max(width, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


# --------------------------------------------------------------------------
# Accounts and onboarding
# --------------------------------------------------------------------------


def _draw_accounts(shape: CompanyShape, cal: _Calendar, rng: np.random.Generator) -> dict:
    """Static account attributes, ordered by contract start so ids read chronologically."""
    n_new = rng.poisson(shape.new_accounts_per_month, shape.months)
    start_idx = np.concatenate(
        [
            -rng.integers(1, shape.max_initial_tenure_months + 1, shape.n_initial_accounts),
            np.repeat(np.arange(shape.months), n_new),
        ]
    )
    n = start_idx.size
    # Day of the month the contract starts on; capped at 28 so every
    # anniversary exists in every month.
    dom = rng.integers(0, 28, n)
    order = np.lexsort((dom, start_idx))
    start_idx, dom = start_idx[order], dom[order]

    segs = shape.segments
    shares = np.array([s.share for s in segs], dtype=float)
    seg = rng.choice(len(segs), size=n, p=shares / shares.sum())
    median = np.array([s.acv_median for s in segs])[seg]
    sigma = np.array([s.acv_sigma for s in segs])[seg]
    # Contracts are priced in round hundreds.
    acv = np.maximum(100, np.round(median * np.exp(sigma * rng.standard_normal(n)), -2))
    seat_price = np.array([s.seat_price for s in segs])[seg] * np.exp(0.25 * rng.standard_normal(n))
    seats0 = np.maximum(1, np.round(acv / seat_price)).astype(np.int64)
    csm_pick = rng.random(n)
    csm = np.empty(n, dtype=object)
    for k, s in enumerate(segs):
        mask = seg == k
        csm[mask] = np.array(s.csms, dtype=object)[(csm_pick[mask] * len(s.csms)).astype(int)]
    return {
        "n": n,
        "id": _ids("A", n, 5),
        "name": _company_names(rng, n),
        "seg": seg,
        "csm": csm,
        "start_idx": start_idx,
        "dom": dom,
        "contract_start": cal.start(start_idx) + dom.astype("timedelta64[D]"),
        "acv": acv.astype(np.int64),
        # Each account keeps its own price per seat, so seats follow ARR.
        "seat_price": acv / seats0,
        "new": start_idx >= 0,
    }


def _draw_onboarding(
    shape: CompanyShape, cal: _Calendar, acc: dict, rng: np.random.Generator
) -> dict:
    """Handoff and onboarding dates for every account (used for the new ones).

    The handoff's completeness drives both the lateness of the handoff and the
    length of onboarding: the mechanism behind "a complete handoff shortens
    time to value" that the collaboration chapter measures.
    """
    n = acc["n"]
    probs = np.array(shape.handoff_doc_probs)
    # A shared "discipline" factor makes the four items correlate, as they do
    # when one rep documents well and another does not.
    discipline = rng.standard_normal(n)[:, None]
    docs = rng.random((n, probs.size)) < _sigmoid(_logit(probs)[None, :] + 1.2 * discipline)
    quality = docs.mean(axis=1)
    typical = probs.mean()

    closed_won = acc["contract_start"] - rng.integers(0, 15, n).astype("timedelta64[D]")
    p_late = _sigmoid(_logit(shape.late_handoff_prob) + 3.0 * (typical - quality))
    late = rng.random(n) < p_late
    on_time_lag = np.minimum(14, 1 + np.floor(rng.exponential(3.5, n)))
    lag = np.where(late, rng.integers(15, 121, n), on_time_lag).astype("timedelta64[D]")
    handoff = closed_won + lag
    kickoff = handoff + rng.integers(2, 15, n).astype("timedelta64[D]")

    slow = 1.0 + shape.ttv_handoff_effect * (1.0 - quality)
    go_live_median = np.array([s.go_live_days for s in shape.segments])[acc["seg"]]
    go_live_days = np.round(go_live_median * np.exp(0.5 * rng.standard_normal(n)) * slow)
    value_days = np.round(_lognormal_scale(rng, shape.value_after_go_live_days, 0.6, n) * slow)
    go_live = kickoff + go_live_days.astype("timedelta64[D]")
    first_value = go_live + value_days.astype("timedelta64[D]")
    # Poor handoffs stall more often (twice the rate with nothing documented).
    stalled = rng.random(n) < shape.stalled_onboarding_prob * (0.5 + 1.5 * (1.0 - quality))
    # Kickoff can precede the contract start date; value cannot.
    first_value = np.maximum(first_value, acc["contract_start"] + np.timedelta64(3, "D"))
    ttv = (first_value - acc["contract_start"]).astype(float)

    new = acc["new"]
    # Health effects apply to accounts we watched sign; the others are
    # long-standing customers whose onboarding is history.
    mu_shift = np.where(
        new,
        shape.handoff_health_effect * (quality - typical) - shape.stalled_health_penalty * stalled,
        0.0,
    )
    typical_ttv = np.median(ttv[new]) if new.any() else 1.0
    log_ttv = np.log(np.maximum(ttv, 1.0) / typical_ttv)
    x0_shift = np.where(new & ~stalled, -shape.ttv_health_effect * np.clip(log_ttv, -1.5, 1.5), 0)
    x0_shift = np.where(new & stalled, -shape.ttv_health_effect * 1.5, x0_shift)
    first_value = np.where(stalled, np.datetime64("NaT"), first_value)
    fv_month = (first_value.astype("datetime64[M]") - cal.first).astype(float)
    fv_month[stalled] = np.inf
    return {
        "docs": docs,
        "quality": quality,
        "closed_won": closed_won,
        "handoff": handoff,
        "kickoff": kickoff,
        "go_live": go_live,
        "first_value": first_value,
        "fv_month": fv_month,
        "stalled": stalled,
        "mu_shift": mu_shift,
        "x0_shift": x0_shift,
    }


# --------------------------------------------------------------------------
# The monthly simulation
# --------------------------------------------------------------------------

# Event kinds recorded by the simulation (they become opportunities).
_RENEWED, _CHURNED, _RENEWAL_UPLIFT, _UPSELL, _REACTIVATED = range(5)


class _Events:
    """Append-only columns of ARR events; concatenated once at the end."""

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {
            k: [] for k in ("kind", "acct", "month", "day", "before", "amount")
        }

    def add(
        self,
        kind: int,
        acct: np.ndarray,
        month: int,
        day: np.ndarray,
        before: np.ndarray,
        amount: np.ndarray,
    ) -> None:
        self.parts["kind"].append(np.full(acct.size, kind))
        self.parts["acct"].append(acct)
        self.parts["month"].append(np.full(acct.size, month))
        self.parts["day"].append(day)
        self.parts["before"].append(before)
        self.parts["amount"].append(amount)

    def frame(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) if v else np.zeros(0, int) for k, v in self.parts.items()}


def _renewal_outcomes(
    shape: CompanyShape, base_churn: np.ndarray, h: np.ndarray, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split one uniform draw into churn / contraction / flat / uplift at renewal.

    One draw per account keeps the outcomes mutually exclusive.
    """
    p_churn = _sigmoid(_logit(base_churn) - shape.churn_health_effect * h)
    p_contract = shape.contraction_prob * _mean_one(-shape.contraction_health_effect, h)
    p_uplift = shape.renewal_expansion_prob * _mean_one(shape.expansion_health_effect, h)
    # Never let the three exceed certainty for extreme health values.
    total = p_churn + p_contract + p_uplift
    scale = np.where(total > 0.98, 0.98 / total, 1.0)
    p_churn, p_contract, p_uplift = p_churn * scale, p_contract * scale, p_uplift * scale
    churn = u < p_churn
    contract = (u >= p_churn) & (u < p_churn + p_contract)
    uplift = u >= 1.0 - p_uplift
    return churn, contract, uplift


def _simulate(
    shape: CompanyShape, cal: _Calendar, acc: dict, onb: dict, rng: np.random.Generator
) -> dict:
    """Run the company month by month, vectorised over accounts.

    Returns the ARR and health matrices (accounts x months), the current day
    of month of each contract, the anchor month of each contract and the ARR
    events.
    """
    n, t_max = acc["n"], shape.months
    seg, start_idx = acc["seg"], acc["start_idx"]
    base_churn = np.array([s.renewal_churn for s in shape.segments])[seg]
    rho, sd_x = shape.health_persistence, shape.health_noise_sd
    innovation_sd = np.sqrt(1.0 - rho**2) * sd_x

    mu = shape.account_health_sd * rng.standard_normal(n) + onb["mu_shift"]
    x0 = sd_x * rng.standard_normal(n) + onb["x0_shift"]
    x = x0.copy()
    arr = np.zeros(n, dtype=np.int64)
    anchor = start_idx.copy()  # month the current annual contract started
    dom = acc["dom"].copy()
    churn_month = np.full(n, -(10**6))
    last_arr = np.zeros(n, dtype=np.int64)
    arr_m = np.zeros((n, t_max), dtype=np.int64)
    health_m = np.zeros((n, t_max))
    events = _Events()

    for m in range(t_max):
        x = rho * x + innovation_sd * rng.standard_normal(n)
        starting = start_idx == m
        x[starting] = x0[starting]  # health starts at signing, not before
        h = mu + x
        if m == 0:
            arr[start_idx < 0] = acc["acv"][start_idx < 0]
        arr[starting] = acc["acv"][starting]
        paying = arr > 0

        # Renewals at the contract anniversary. Month 0's renewals count as
        # done before the data starts: a churn there would leave an account
        # with no ARR row at all.
        due = paying & (m > anchor) & ((m - anchor) % 12 == 0) & (m > 0)
        u = rng.random(n)
        churn, contract, uplift = _renewal_outcomes(shape, base_churn, h, u)
        lo, hi = shape.contraction_size
        cut = rng.uniform(lo, hi, n)
        up_median, up_sigma = shape.renewal_expansion_size
        up = _lognormal_scale(rng, up_median, up_sigma, n)
        # Mid-term movements, outside the renewal month and the first month.
        midterm = paying & ~due & (anchor != m)
        u_mid = rng.random(n)
        p_upsell = shape.midterm_expansion_prob * _mean_one(shape.expansion_health_effect, h)
        p_cancel = shape.midterm_churn_prob * _mean_one(-shape.churn_health_effect, h)
        upsell = midterm & (u_mid < p_upsell)
        cancel = midterm & (u_mid > 1.0 - p_cancel) & (m > 0)  # same reason as above
        up_m_median, up_m_sigma = shape.midterm_expansion_size
        upsell_size = _lognormal_scale(rng, up_m_median, up_m_sigma, n)
        upsell_day = rng.integers(0, 28, n)
        # Reactivation of accounts that have been at zero long enough.
        gap = m - churn_month
        lapsed = ~paying & (start_idx < m) & (gap >= shape.reactivation_min_gap_months)
        react = lapsed & (rng.random(n) < shape.reactivation_prob)
        share_lo, share_hi = shape.reactivation_arr_share
        react_arr = np.maximum(100, np.round(last_arr * rng.uniform(share_lo, share_hi, n), -2))
        react_dom = rng.integers(0, 28, n)

        before = arr.copy()
        renewed = due & ~churn
        new_arr = arr.copy()
        # Changes are priced in round hundreds, like the contracts themselves.
        step_down = np.maximum(100, np.round(arr * cut, -2)).astype(np.int64)
        step_up = np.maximum(100, np.round(arr * up, -2)).astype(np.int64)
        step_upsell = np.maximum(100, np.round(arr * upsell_size, -2)).astype(np.int64)
        shrink = due & contract & (arr > step_down)
        new_arr[shrink] = (arr - step_down)[shrink]
        new_arr[due & uplift] = (arr + step_up)[due & uplift]
        new_arr[upsell] = (arr + step_upsell)[upsell]
        lost = (due & churn) | cancel
        new_arr[lost] = 0
        new_arr[react] = react_arr[react].astype(np.int64)

        idx = np.flatnonzero
        events.add(
            _CHURNED,
            idx(due & churn),
            m,
            dom[due & churn],
            before[due & churn],
            before[due & churn],
        )
        renewed_base = np.minimum(new_arr, before)
        events.add(_RENEWED, idx(renewed), m, dom[renewed], before[renewed], renewed_base[renewed])
        grew = renewed & uplift
        events.add(_RENEWAL_UPLIFT, idx(grew), m, dom[grew], before[grew], (new_arr - before)[grew])
        events.add(
            _UPSELL, idx(upsell), m, upsell_day[upsell], before[upsell], (new_arr - before)[upsell]
        )
        events.add(_REACTIVATED, idx(react), m, react_dom[react], before[react], new_arr[react])

        last_arr = np.where(lost, before, last_arr)
        churn_month = np.where(lost, m, churn_month)
        anchor = np.where(react, m, anchor)
        dom = np.where(react, react_dom, dom)
        x = np.where(react, sd_x * rng.standard_normal(n), x)  # a fresh start
        arr = new_arr
        arr_m[:, m] = arr
        health_m[:, m] = h
    return {"arr": arr_m, "health": health_m, "anchor": anchor, "dom": dom, "events": events}


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------


def _paying_cells(arr_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(account, month) indices of paying account-months, ordered by account then month."""
    return np.nonzero(arr_m > 0)


def _seats(acc: dict, arr_m: np.ndarray) -> np.ndarray:
    return np.maximum(1, np.round(arr_m / acc["seat_price"][:, None])).astype(np.int64)


def _accounts_table(shape: CompanyShape, acc: dict, sim: dict) -> pd.DataFrame:
    arr_m = sim["arr"]
    seats_m = _seats(acc, arr_m)
    paid = arr_m > 0
    # Seats under the latest contract: the last paying month (the first
    # contract for accounts that never paid in the window, which cannot happen
    # but keeps the function total).
    last = np.where(paid.any(axis=1), paid.shape[1] - 1 - np.argmax(paid[:, ::-1], axis=1), 0)
    seats = np.where(
        paid.any(axis=1),
        seats_m[np.arange(acc["n"]), last],
        np.maximum(1, np.round(acc["acv"] / acc["seat_price"])),
    )
    names = np.array([s.name for s in shape.segments], dtype=object)
    return pd.DataFrame(
        {
            "account_id": acc["id"],
            "name": acc["name"],
            "segment": names[acc["seg"]],
            "csm": acc["csm"],
            "contract_start": pd.to_datetime(acc["contract_start"]),
            "licensed_seats": seats.astype(np.int64),
        }
    )


def _arr_table(cal: _Calendar, acc: dict, sim: dict) -> pd.DataFrame:
    a, m = _paying_cells(sim["arr"])
    return pd.DataFrame(
        {"account_id": acc["id"][a], "month": cal.labels[m], "arr": sim["arr"][a, m]}
    )


def _usage_table(
    shape: CompanyShape, cal: _Calendar, acc: dict, onb: dict, sim: dict, rng: np.random.Generator
) -> pd.DataFrame:
    """Active users per paying month: health-driven utilisation, lower before first value."""
    a, m = _paying_cells(sim["arr"])
    seats = _seats(acc, sim["arr"])[a, m]
    h = sim["health"][a, m]
    logit_util = (
        shape.utilisation_intercept
        + shape.utilisation_health_effect * h
        + 0.35 * rng.standard_normal(a.size)
    )
    util = _sigmoid(logit_util)
    ramping = acc["new"][a] & (m < onb["fv_month"][a])
    util = np.where(ramping, util * shape.onboarding_utilisation, util)
    active = rng.binomial(seats, util)
    return pd.DataFrame(
        {
            "account_id": acc["id"][a],
            "month": cal.labels[m],
            "active_users": active.astype(np.int64),
            "licensed_seats": seats,
        }
    )


def _nps_table(
    shape: CompanyShape, cal: _Calendar, acc: dict, sim: dict, rng: np.random.Generator
) -> pd.DataFrame:
    """Relationship NPS waves: the same contacts of each account, every few months."""
    n = acc["n"]
    period = max(1, 12 // max(1, shape.nps_surveys_per_year))
    phase = rng.integers(0, period, n)
    survey_day = rng.integers(0, 14, n)
    contacts = np.array([s.nps_contacts for s in shape.segments])[acc["seg"]]
    first_contact = np.concatenate([[0], np.cumsum(contacts)[:-1]])
    a, m = _paying_cells(sim["arr"])
    # New customers are first surveyed after a quarter, once they know the product.
    surveyed = ((m - phase[a]) % period == 0) & (m - acc["start_idx"][a] >= 3)
    a, m = a[surveyed], m[surveyed]
    width = int(contacts.max()) if contacts.size else 0
    slot = np.arange(width)[None, :]
    answered = (slot < contacts[a][:, None]) & (
        rng.random((a.size, width)) < shape.nps_response_rate
    )
    row, j = np.nonzero(answered)
    a, m = a[row], m[row]
    latent = (
        shape.nps_mean
        + shape.nps_health_effect * sim["health"][a, m]
        + shape.nps_sd * rng.standard_normal(a.size)
    )
    score = np.clip(np.round(latent), 0, 10).astype(np.int64)
    lag = rng.integers(0, 14, a.size)
    date = cal.start(m) + (survey_day[a] + lag).astype("timedelta64[D]")
    respondent = first_contact[a] + j + 1
    width_r = max(6, len(str(int(contacts.sum()))))
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(date),
            "score": score,
            "account_id": acc["id"][a],
            "respondent_id": [f"R{r:0{width_r}d}" for r in respondent],
        }
    )
    return frame.sort_values(["date", "respondent_id"], kind="stable").reset_index(drop=True)


def _qbr_table(
    shape: CompanyShape, cal: _Calendar, acc: dict, sim: dict, rng: np.random.Generator
) -> pd.DataFrame:
    """QBRs: a segment cadence, skipped more often by unhealthy accounts."""
    a, m = _paying_cells(sim["arr"])
    per_year = np.array([s.qbrs_per_year for s in shape.segments])[acc["seg"]][a]
    h = sim["health"][a, m]
    p = np.minimum(0.95, per_year / 12.0 * 2.0 * _sigmoid(shape.qbr_health_effect * h))
    held = rng.random(a.size) < p
    day = rng.integers(0, 28, a.size)
    a, m, day = a[held], m[held], day[held]
    return pd.DataFrame(
        {
            "account_id": acc["id"][a],
            "date": pd.to_datetime(cal.start(m) + day.astype("timedelta64[D]")),
        }
    )


def _nat_after(dates: np.ndarray, end: np.datetime64) -> pd.Series:
    """Dates as a pandas column, blank (NaT) when not reached by the end of the data."""
    dates = np.where(dates > end, np.datetime64("NaT"), dates)
    return pd.Series(pd.to_datetime(dates))


def _onboarding_table(cal: _Calendar, acc: dict, onb: dict) -> pd.DataFrame:
    new = acc["new"]
    return pd.DataFrame(
        {
            "account_id": acc["id"][new],
            "contract_date": pd.to_datetime(acc["contract_start"][new]),
            "first_value_date": _nat_after(onb["first_value"][new], cal.end),
            "kickoff_date": _nat_after(onb["kickoff"][new], cal.end),
            "go_live_date": _nat_after(onb["go_live"][new], cal.end),
        }
    )


def _handoffs_table(cal: _Calendar, acc: dict, onb: dict) -> pd.DataFrame:
    # A handoff that has not happened by the end of the data is not in the export.
    keep = acc["new"] & (onb["handoff"] <= cal.end)
    docs = onb["docs"][keep]
    return pd.DataFrame(
        {
            "account_id": acc["id"][keep],
            "closed_won_date": pd.to_datetime(onb["closed_won"][keep]),
            "handoff_date": pd.to_datetime(onb["handoff"][keep]),
            "goals_documented": docs[:, 0],
            "stakeholders_documented": docs[:, 1],
            "success_criteria_documented": docs[:, 2],
            "commitments_documented": docs[:, 3],
            "kickoff_date": _nat_after(onb["kickoff"][keep], cal.end),
        }
    )


def _opp_block(
    acct: np.ndarray,
    kind: str,
    amount: np.ndarray,
    created: np.ndarray,
    close: np.ndarray,
    won: np.ndarray,
) -> dict[str, np.ndarray]:
    return {
        "acct": acct,
        "type": np.full(acct.size, kind, dtype=object),
        "amount": np.asarray(amount, dtype=np.int64),
        "created": created.astype("datetime64[D]"),
        "close": close.astype("datetime64[D]"),
        "won": won,
    }


def _opportunities_table(
    shape: CompanyShape, cal: _Calendar, acc: dict, onb: dict, sim: dict, rng: np.random.Generator
) -> pd.DataFrame:
    """CRM opportunities mirroring the ARR events, plus lost and open pipeline."""
    ev = sim["events"].frame()
    blocks = [
        _new_opps(shape, acc, onb, ev, cal, rng),
        _renewal_opps(ev, sim, cal),
        _expansion_opps(shape, ev, sim, cal, rng),
    ]
    opp = _concat_blocks(*blocks)
    # Pipeline still open at the end of the data: status open, close expected later.
    is_open = opp["close"] > cal.end
    status = np.where(is_open, "open", np.where(opp["won"], "won", "lost")).astype(object)
    owner, sourced, influenced = _ownership(shape, opp["type"], rng)
    order = np.lexsort((opp["type"], opp["acct"], opp["close"], opp["created"]))
    frame = pd.DataFrame(
        {
            "account_id": acc["id"][opp["acct"]],
            "type": opp["type"],
            "amount": opp["amount"],
            "created_date": pd.to_datetime(opp["created"]),
            "close_date": pd.to_datetime(opp["close"]),
            "status": status,
            "owner_team": owner,
            "cs_sourced": sourced,
            "cs_influenced": influenced,
        }
    ).iloc[order]
    frame.insert(0, "opportunity_id", _ids("OPP", len(frame), 6))
    return frame.reset_index(drop=True)


def _concat_blocks(*blocks: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}


def _days(x: np.ndarray) -> np.ndarray:
    return np.asarray(np.round(x), dtype=np.int64).astype("timedelta64[D]")


def _new_opps(
    shape: CompanyShape, acc: dict, onb: dict, ev: dict, cal: _Calendar, rng: np.random.Generator
) -> dict:
    """One won opportunity per signed account, some earlier lost attempts, and win-backs."""
    n = acc["n"]
    new = np.flatnonzero(acc["new"])
    # Longer sales cycles for bigger deals: about 30 days for 10k, 120 for
    # 120k, never under a week nor over nine months.
    cycle = 30.0 * (acc["acv"] / 10_000) ** 0.55 * np.exp(0.4 * rng.standard_normal(n))
    cycle = np.clip(cycle, 7, 270)
    won_close = onb["closed_won"]
    won_created = won_close - _days(cycle)
    # An earlier attempt that was lost, months before the account finally bought.
    tried = rng.random(n) < shape.lost_new_prob
    lost_close = won_created - _days(rng.integers(60, 300, n))
    lost_created = lost_close - _days(np.maximum(7, cycle * 0.8))
    lost_amount = np.round(acc["acv"] * rng.uniform(0.8, 1.2, n), -2)
    lost = new[tried[new] & (lost_created[new] >= cal.start(0))]

    react = ev["kind"] == _REACTIVATED
    r_acct, r_close = ev["acct"][react], cal.start(ev["month"][react]) + _days(ev["day"][react])
    r_created = r_close - _days(rng.integers(20, 90, r_acct.size))
    return _concat_blocks(
        _opp_block(
            new, "new", acc["acv"][new], won_created[new], won_close[new], np.ones(new.size, bool)
        ),
        _opp_block(
            lost,
            "new",
            lost_amount[lost],
            lost_created[lost],
            lost_close[lost],
            np.zeros(lost.size, bool),
        ),
        _opp_block(
            r_acct, "new", ev["amount"][react], r_created, r_close, np.ones(r_acct.size, bool)
        ),
    )


def _renewal_opps(ev: dict, sim: dict, cal: _Calendar) -> dict:
    """A renewal opportunity at every anniversary, opened 90 days ahead.

    Won when the account renewed (amount: the renewed ARR before any uplift),
    lost when it churned (amount: the ARR up for renewal). Renewals due in the
    three months after the data end appear as open.
    """
    due = np.isin(ev["kind"], (_RENEWED, _CHURNED))
    acct = ev["acct"][due]
    close = cal.start(ev["month"][due]) + _days(ev["day"][due])
    won = ev["kind"][due] == _RENEWED
    arr_end = sim["arr"][:, -1]
    live = np.flatnonzero(arr_end > 0)
    t = cal.months
    months_to_renewal = (sim["anchor"][live] - t) % 12  # 0 = first month after the data
    upcoming = months_to_renewal < 3
    up_acct = live[upcoming]
    up_close = cal.start(t + months_to_renewal[upcoming]) + _days(sim["dom"][up_acct])
    acct = np.concatenate([acct, up_acct])
    close = np.concatenate([close, up_close])
    amount = np.concatenate([ev["amount"][due], arr_end[up_acct]])
    won = np.concatenate([won, np.zeros(up_acct.size, bool)])
    return _opp_block(acct, "renewal", amount, close - _days(np.full(close.size, 90)), close, won)


def _expansion_opps(
    shape: CompanyShape, ev: dict, sim: dict, cal: _Calendar, rng: np.random.Generator
) -> dict:
    """Won expansions for every upsell and renewal uplift; lost and open ones besides."""
    grew = np.isin(ev["kind"], (_UPSELL, _RENEWAL_UPLIFT))
    acct = ev["acct"][grew]
    close = cal.start(ev["month"][grew]) + _days(ev["day"][grew])
    created = close - _days(np.maximum(7, _lognormal_scale(rng, 45, 0.5, acct.size)))
    # Lost (or still open) expansion attempts, more often at healthy accounts
    # because that is where someone tries.
    a, m = _paying_cells(sim["arr"])
    h = sim["health"][a, m]
    tried = rng.random(a.size) < shape.lost_expansion_prob * _mean_one(0.4, h)
    size = _lognormal_scale(rng, shape.midterm_expansion_size[0], 0.6, a.size)
    day = rng.integers(0, 28, a.size)
    duration = np.maximum(14, _lognormal_scale(rng, 60, 0.5, a.size))
    a, m, size, day, duration = a[tried], m[tried], size[tried], day[tried], duration[tried]
    l_created = cal.start(m) + _days(day)
    l_close = l_created + _days(duration)
    l_amount = np.maximum(100, np.round(sim["arr"][a, m] * size, -2))
    return _concat_blocks(
        _opp_block(acct, "expansion", ev["amount"][grew], created, close, np.ones(acct.size, bool)),
        _opp_block(a, "expansion", l_amount, l_created, l_close, np.zeros(a.size, bool)),
    )


def _ownership(
    shape: CompanyShape, kind: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Owner team and CS credit flags by opportunity type.

    New business is Sales's (a few CS-sourced referrals from happy customers);
    renewals mostly CS's; expansions split, with CSMs sourcing or influencing
    some of the Sales-owned ones.
    """
    n = kind.size
    u_owner, u_src, u_inf = rng.random(n), rng.random(n), rng.random(n)
    is_new, is_ren, is_exp = kind == "new", kind == "renewal", kind == "expansion"
    cs_owner = (is_ren & (u_owner < shape.renewal_cs_owner_share)) | (
        is_exp & (u_owner < shape.expansion_cs_owner_share)
    )
    sourced = (
        (is_new & (u_src < 0.03))
        | (is_exp & cs_owner & (u_src < 0.8))
        | (is_exp & ~cs_owner & (u_src < shape.expansion_cs_sourced_by_sales))
    )
    influenced = (
        cs_owner
        | sourced
        | (is_new & (u_inf < 0.05))
        | (is_ren & (u_inf < 0.5))
        | (is_exp & (u_inf < shape.expansion_cs_influence_by_sales))
    )
    owner = np.where(cs_owner, "cs", "sales").astype(object)
    return owner, sourced, influenced


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def _check_shape(shape: CompanyShape) -> None:
    unknown = sorted(set(shape.tables) - set(TABLES))
    if unknown:
        raise ValueError(f"CompanyShape.tables: unknown table(s) {unknown}; known: {TABLES}")
    check_number("CompanyShape.months", shape.months, low=1, whole=True)
    check_number("CompanyShape.n_initial_accounts", shape.n_initial_accounts, low=0, whole=True)
    check_number("CompanyShape.new_accounts_per_month", shape.new_accounts_per_month, low=0)
    if not shape.segments:
        raise ValueError("CompanyShape.segments must name at least one segment")


def generate_company(
    shape: CompanyShape = CompanyShape(), seed: int = 2024
) -> dict[str, pd.DataFrame]:
    """Generate the data exports of a synthetic B2B SaaS company.

    Parameters
    ----------
    shape : CompanyShape, optional
        Parameters of the company; the defaults make the bundled sample.
    seed : int, optional
        Seed of the one random generator used; the same seed and shape give
        identical tables.

    Returns
    -------
    dict of str to pandas.DataFrame
        The requested tables (``shape.tables``, always with ``accounts`` and
        ``arr_monthly``), keyed by table name, in :data:`TABLES` order. Dates are
        ``datetime64`` columns (``NaT`` when missing), months are ``YYYY-MM``
        strings, flags are ``bool``, amounts and counts are integers.

    Examples
    --------
    >>> from csmodels.synth import CompanyShape, generate_company
    >>> small = CompanyShape(n_initial_accounts=30, new_accounts_per_month=2, months=14)
    >>> tables = generate_company(small, seed=7)
    >>> list(tables)[:3]
    ['accounts', 'arr_monthly', 'nps_responses']
    >>> bool(tables["arr_monthly"]["account_id"].isin(tables["accounts"]["account_id"]).all())
    True
    """
    _check_shape(shape)
    rng = np.random.default_rng(seed)
    # Independent child streams for the observation tables, so asking for
    # fewer tables never changes the ARR history.
    usage_rng, nps_rng, qbr_rng, opp_rng = rng.spawn(4)
    cal = _Calendar(shape.start_month, shape.months)
    acc = _draw_accounts(shape, cal, rng)
    onb = _draw_onboarding(shape, cal, acc, rng)
    sim = _simulate(shape, cal, acc, onb, rng)

    wanted = set(shape.tables) | set(_CORE_TABLES)
    makers = {
        "accounts": lambda: _accounts_table(shape, acc, sim),
        "arr_monthly": lambda: _arr_table(cal, acc, sim),
        "nps_responses": lambda: _nps_table(shape, cal, acc, sim, nps_rng),
        "usage_monthly": lambda: _usage_table(shape, cal, acc, onb, sim, usage_rng),
        "onboarding": lambda: _onboarding_table(cal, acc, onb),
        "qbrs": lambda: _qbr_table(shape, cal, acc, sim, qbr_rng),
        "opportunities": lambda: _opportunities_table(shape, cal, acc, onb, sim, opp_rng),
        "handoffs": lambda: _handoffs_table(cal, acc, onb),
    }
    return {name: makers[name]() for name in TABLES if name in wanted}


def company_profile(
    tables: dict[str, pd.DataFrame],
    shape: CompanyShape = CompanyShape(),
    *,
    segments: bool = False,
) -> dict[str, Any]:
    """The ``profile.yml`` content of a generated company.

    ``arr`` and ``acv`` are computed from ``arr_monthly`` at its last month;
    the other keys come from ``shape`` (``touch`` left out when the shape's is None).
    With ``segments``, the profile also lists each segment of ``accounts.segment``
    with its ACV and accounts in that month (:func:`csmodels.maturity.segments_from_data`)
    and its touch model by source 003's line, so what the profile says agrees with
    the data.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        Output of :func:`generate_company` (only ``arr_monthly`` is read).
    shape : CompanyShape, optional
        The shape the tables were generated with.

    segments : bool, optional
        Write the ``segments`` list (keyword only).

    Returns
    -------
    dict
        Keys ``company``, ``currency``, ``funding_stage``, ``arr``, ``acv``,
        ``touch`` (unless None), ``buyer``, ``product_led`` and, with
        ``segments``, ``segments``.
    """
    from .maturity import ACV_LINE, facts_from_data, segments_from_data

    facts = facts_from_data(tables["arr_monthly"])
    total = int(facts.get("arr", 0))
    acv = round(facts.get("acv", 0))
    profile = {
        "company": shape.company,
        "currency": shape.currency,
        "funding_stage": shape.funding_stage,
        "arr": total,
        "acv": acv,
        "touch": shape.touch,
        "buyer": shape.buyer,
        "product_led": bool(shape.product_led),
    }
    if shape.touch is None:
        del profile["touch"]
    if segments:
        found = segments_from_data(tables.get("accounts"), tables["arr_monthly"])
        profile["segments"] = [
            {"name": seg.name, "acv": round(seg.acv), "accounts": seg.accounts,
             "touch": "high" if round(seg.acv) >= ACV_LINE else "low"}
            for seg in found
        ]
    return profile


#: Comments written next to the known profile keys.
PROFILE_COMMENTS: dict[str, str] = {
    "company": "display name",
    "currency": "ISO 4217 code of every amount in the data",
    "funding_stage": "seed | series-a | series-b | growth | public",
    "arr": "total ARR in the last month of arr_monthly",
    "acv": "average ARR per paying account in that month",
    "touch": "high | low (the $75K ACV line of source 003 is a default, not a rule)",
    "buyer": "business | technical",
    "product_led": "true if the product itself drives acquisition and expansion",
    "reporting_weights": "weight of each reporting-options criterion (0 or more)",
    "self_assessment": "collaboration practices in place: 0 no, 1 partly, 2 yes",
    "segments": ("each segment in the last month of arr_monthly: its ACV (average ARR per "
                 "paying account), paying accounts and touch model (source 003's $75K line)"),
}


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Format columns the way the data dictionary writes them."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.PeriodDtype):
            out[col] = s.dt.strftime("%Y-%m")
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(s):
            out[col] = s.map({True: "true", False: "false"})
    return out


def _profile_yaml(profile: dict[str, Any], header: str | None) -> str:
    lines = [f"# {line}" if line else "#" for line in (header or "").splitlines()]
    entries = [
        yaml.safe_dump({k: v}, sort_keys=False, allow_unicode=True, width=10_000).rstrip("\n")
        for k, v in profile.items()
    ]
    pad = max((len(e) for e in entries if "\n" not in e), default=0) + 2
    for (key, _), entry in zip(profile.items(), entries, strict=True):
        comment = PROFILE_COMMENTS.get(key)
        if comment and "\n" not in entry:
            entry = f"{entry.ljust(pad)}# {comment}"
        elif comment:
            entry = f"# {comment}\n{entry}"
        lines.append(entry)
    return "\n".join(lines) + "\n"


def write_company(
    tables: dict[str, pd.DataFrame],
    folder: Path,
    profile: dict | None = None,
    *,
    profile_header: str | None = "Company profile of a fictional company (csmodels.synth).",
) -> None:
    """Write tables as CSV files (and a profile) in the data dictionary's format.

    Each table goes to ``<folder>/<name>.csv``: UTF-8, no index, ``\\n`` line
    ends, dates ``YYYY-MM-DD``, months ``YYYY-MM``, booleans ``true``/``false``,
    blank for missing. The same tables always give byte-identical files.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        Tables keyed by name, e.g. from :func:`generate_company`.
    folder : pathlib.Path
        Output folder; created if missing. Existing files of the same names
        are overwritten.
    profile : dict, optional
        If given, written to ``<folder>/profile.yml``, known keys commented.
    profile_header : str, optional
        Comment lines at the top of ``profile.yml``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        # text cells pass the formula guard: the files are meant to be opened in spreadsheets
        neutralise_formulas(_csv_ready(frame)).to_csv(
            folder / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n"
        )
    if profile is not None:
        (folder / "profile.yml").write_text(
            _profile_yaml(profile, profile_header), encoding="utf-8", newline="\n"
        )
