"""The functions chapter in one call: :func:`functions_summary` returns its figures.

The chapter (``chapters/functions.ipynb``) loads a company, calls
:func:`functions_summary` once and glues the :class:`FunctionsSummary` it returns;
the tests read the same summary. A section the data cannot support is ``None``,
for the reason :mod:`csmodels.needs` gives, and its prose leaves the page.

Three models meet here. The revenue base (:mod:`csmodels.revenue`) projects ARR
from today's customers, who keep the company's NRR, and new customers, who stay as
the company's own cohorts do: the shifted-beta-geometric (sBG) model
(:mod:`csmodels.lifetime`) fitted to them, not the seasoned base's NRR. The fit's
uncertainty comes from a seeded parametric bootstrap (:func:`~csmodels.lifetime.
bootstrap_sbg`) and is carried to every figure computed from it. Lifetime value is
given several ways, each for one use.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from . import needs
from ._checks import check_discount_rate, check_grr, check_nrr, check_number
from .book import company_name, fmt
from .exceptions import ParameterError
from .lifetime import (
    SbgBootstrap,
    ShiftedBetaGeometric,
    SurvivorCohorts,
    bootstrap_sbg,
    ltv_by_horizon,
    ltv_table,
    published_sbg_examples,
    refit_spread,
    sbg_lifetime_value,
    sbg_retention,
    sbg_survival,
    simple_ltv,
    survivor_cohorts,
)
from .metrics import ArrPanel, average_contract_value, resolve_as_of, retention
from .revenue import (
    RevenueBase,
    arr_in_year,
    bookings_equivalent,
    nrr_matching_growth,
    project_revenue,
    revenue_base_from_data,
    revenue_layers,
)
from .summary import Summary, figure, section


@dataclass(frozen=True)
class BaseSummary(Summary):
    """Where future revenue comes from: the revenue-base projection."""

    overrides: str = figure("Parameters set by hand", "text")
    arr0: float = figure("ARR today", "money")
    new_bookings: float = figure("New ARR of the last 12 months", "money")
    new_prior: str = figure("New ARR of the 12 months before", "text")
    nrr: float = figure("Net revenue retention", "ratio")
    grr: float = figure("Gross revenue retention", "ratio")
    expansion_rate: float = figure("Expansion of the base a year", "ratio")
    lost_rate: float = figure("Base lost a year", "ratio")
    growth: float = figure("Bookings growth a year", "ratio")
    years: int = figure("Years projected", "count")
    arr_n: float = figure("ARR in the last year", "money")
    kept_n: float = figure("Today's customers' ARR kept, last year", "money")
    expansion_n: float = figure("Today's customers' expansion, last year", "money")
    cohorts_n: float = figure("Earlier new cohorts' ARR, last year", "money")
    new_n: float = figure("New business, last year", "money")
    lost_n: float = figure("ARR lost, last year", "money")
    installed_share_1: float = figure("Installed base's share of ARR, year 1", "ratio")
    installed_share_n: float = figure("Installed base's share of ARR, last year", "ratio")
    starting_arr_n: float = figure("Today's customers' ARR, last year", "money")
    starting_share_n: float = figure("Today's customers' share of ARR, last year", "ratio")
    new_r1: float | None = figure("New customers' first renewal (cohort model)", "ratio")
    new_s_n: float | None = figure("New customers still paying after the years projected",
                                   "ratio")
    arr_n_nrr: float | None = figure("ARR in the last year if new customers kept NRR", "money")
    arr_n_gap: float | None = figure("What NRR on new customers would overstate", "money")
    arr_n_low: float | None = figure("ARR in the last year, low end of the interval", "money")
    arr_n_high: float | None = figure("ARR in the last year, high end of the interval", "money")
    nrr_new_cohorts: float | None = figure(
        "NRR applied to new customers (no cohort model)", "ratio",
        help="Only where no cohort model could be fitted.")
    model: RevenueBase = field(default=None, repr=False, compare=False)  # for the charts
    projection: pd.DataFrame = field(default=None, repr=False, compare=False)  # for the charts
    layers: pd.DataFrame = field(default=None, repr=False, compare=False)  # for the charts
    explorer_survival: tuple = field(default=None, repr=False, compare=False)  # for the charts
    new_cohort_note: str | None = field(default=None, repr=False, compare=False)  # on the page


@dataclass(frozen=True)
class BookingsSummary(Summary):
    """A change in NRR priced in new bookings."""

    nrr_change: float = figure("Change in NRR priced", "points")
    gain_n: float = figure("ARR it adds in the last year", "money")
    equiv: float = figure("Rise in every year's bookings that adds as much", "ratio")
    equiv_money: float = figure("The same in the first year's bookings", "money")


@dataclass(frozen=True)
class LtvSummary(Summary):
    """The simple lifetime-value formula, where it breaks, and its repairs."""

    arpa: float = figure("ARR per paying account (ACV)", "money")
    value_per_year: float = figure("Gross margin per account a year", "money")
    logo_churn: float | None = figure("Logo churn", "ratio")
    gross_churn: float = figure("Gross revenue churn", "ratio")
    net_churn: float = figure("Net revenue churn", "ratio")
    gross: str = figure("Formula with gross churn", "text")
    gross_point_less: str = figure("Formula with a point less gross churn", "text")
    one_point: float = figure("Churn step of the sensitivity (one point)", "points")
    net: str = figure("Formula with net churn", "text")
    net_capped: float = figure("Capped value with net churn", "money")
    net_discounted: str = figure("Discounted value with net churn", "text")
    nrr_limit: float = figure("NRR up to which discounting converges", "share")
    table: pd.DataFrame = field(default=None, repr=False, compare=False)  # for the charts
    churns: dict = field(default=None, repr=False, compare=False)  # for the charts
    horizon: pd.DataFrame = field(default=None, repr=False, compare=False)  # for the charts

    def display_table(self, currency: str, cap_years: int, discount: float) -> pd.DataFrame:
        """The simple formula three ways for each churn, formatted for the page."""
        def shown(v: float) -> str:
            return _money_or_infinite(v, currency)

        t = self.table
        return pd.DataFrame({
            "Churn measure": t["measure"], "Churn a year": t["churn"].map(lambda v: str(fmt(v))),
            "Formula (value / churn)": t["formula"].map(shown),
            f"Capped at {cap_years} years": t["capped"].map(shown),
            f"Discounted at {discount:.0%}": t["discounted"].map(shown)}).set_index(
            "Churn measure")


@dataclass(frozen=True)
class CohortSummary(Summary):
    """The start cohorts the retention model is fitted to."""

    left_out: int = figure("Accounts paying in the first month (in no cohort)", "count")
    n_cohorts: int = figure("Cohorts", "count")
    max_periods: int = figure("Most renewals a cohort has been through", "count")
    n_fit_cohorts: int = figure("Cohorts in the fit", "count")
    n_fit_accounts: int = figure("Accounts in the fit", "count")
    n_renewals: int = figure("Renewal decisions observed", "count")
    cohorts: SurvivorCohorts = field(default=None, repr=False, compare=False)  # for the charts


@dataclass(frozen=True)
class SbgSummary(Summary):
    """The fitted sBG model, its bootstrap intervals and the lifetime values from it."""

    alpha: float = figure("alpha", "number")
    beta: float = figure("beta", "number")
    alpha_text: str = figure("alpha, as the prose shows it", "text")
    beta_text: str = figure("beta, as the prose shows it", "text")
    alpha_range: str = figure("alpha, interval", "text")
    beta_range: str = figure("beta, interval", "text")
    bound_note: str | None = figure("Note on a fit at a bound", "text")
    mean_churn: float = figure("Average churn probability", "ratio")
    r1: float = figure("First renewal rate", "ratio")
    r1_low: float = figure("First renewal rate, low end", "ratio")
    r1_high: float = figure("First renewal rate, high end", "ratio")
    r_h: float = figure("Renewal rate at the last period projected", "ratio")
    r_h_low: float = figure("The same, low end", "ratio")
    r_h_high: float = figure("The same, high end", "ratio")
    s_h: float = figure("Still customers at the last period projected", "ratio")
    s_h_low: float = figure("The same, low end", "ratio")
    s_h_high: float = figure("The same, high end", "ratio")
    clv: float = figure("Lifetime value of a new account (sBG)", "money")
    clv_low: float = figure("The same, low end", "money")
    clv_high: float = figure("The same, high end", "money")
    clv_constant: float = figure("Lifetime value at a constant first-renewal rate", "money")
    derl_oldest: float = figure("Further payments expected from the oldest accounts", "number")
    residual_oldest: float = figure("Their value", "money")
    residual_new: float = figure("The same for an account up for its first renewal", "money")
    draws: int = figure("Bootstrap draws", "count")
    level: float = figure("Interval level", "share")
    seed: int = figure("Bootstrap seed", "count")
    model: ShiftedBetaGeometric = field(default=None, repr=False, compare=False)  # for the charts
    bootstrap: SbgBootstrap = field(default=None, repr=False, compare=False)  # for the charts
    band: pd.DataFrame = field(default=None, repr=False, compare=False)  # for the charts


@dataclass(frozen=True)
class ExercisesSummary(Summary):
    """The figures the exercises' solutions state, each computed from the change asked."""

    growth: float = figure("Bookings growth of exercise 1", "share")
    nrr_needed: float | None = figure("NRR that matches it with flat bookings", "ratio")
    nrr_points: float | None = figure("Above today's NRR by", "points")
    size: int = figure("Cohort size of exercise 3", "count")
    runs: int = figure("Cohorts drawn", "count")
    band: float = figure("Central share shown", "share")
    full: str = figure("Renewal at period 7, seven periods of data", "text")
    short: str = figure("Renewal at period 7, two periods of data", "text")
    true_r7: float = figure("True renewal at period 7", "ratio")
    oldest: str | None = figure("The oldest cohort, fitted alone in exercise 4", "text")
    oldest_r1: float | None = figure("Its first renewal rate", "ratio")
    oldest_r1_low: float | None = figure("The same, low end", "ratio")
    oldest_r1_high: float | None = figure("The same, high end", "ratio")


@dataclass(frozen=True)
class FunctionsSummary(Summary):
    """Every figure of the functions chapter."""

    company_name: str = figure("Company", "text")
    as_of: str = figure("Month", "text")
    data_first: str = figure("First month of data", "text")
    data_last: str = figure("Last month of data", "text")
    data_months: int = figure("Months of data", "count")
    period_months: int = figure("Months per renewal period", "count")
    unit: str = figure("Renewal period", "text")
    projection_periods: int = figure("Periods the retention model projects", "count")
    discount: float = figure("Discount rate a year", "share")
    gross_margin: float = figure("Gross margin", "share")
    cap_years: int = figure("Years the capped value counts", "count")
    paper_regular_fit: str = figure("Fit to the 'regular' cohort", "text")
    paper_regular_published: str = figure("Published estimates, 'regular'", "text")
    paper_high_end_fit: str = figure("Fit to the 'high end' cohort", "text")
    paper_high_end_published: str = figure("Published estimates, 'high end'", "text")
    paper_years: int = figure("Years the published cohorts were followed", "count")
    base: BaseSummary | None = section("The revenue-base projection")
    bookings: BookingsSummary | None = section("A point of NRR priced in bookings")
    ltv: LtvSummary | None = section("The simple lifetime-value formula")
    cohorts: CohortSummary | None = section("The cohorts of the retention model")
    sbg: SbgSummary | None = section("The fitted retention model")
    ex: ExercisesSummary | None = section("The exercises' figures")
    base_need: str = field(default=None, repr=False, compare=False)  # what a page shows
    bookings_need: str = field(default=None, repr=False, compare=False)  # what a page shows
    cohort_need: str = field(default=None, repr=False, compare=False)  # what a page shows
    sbg_note: str | None = field(default=None, repr=False, compare=False)  # what a page shows
    currency: str = field(default="USD", compare=False)  # the profile's, for amounts shown


def functions_summary(company, profile, data_dir=None, *, as_of=None, years: int = 5,
                      starting_arr=None, new_bookings=None, bookings_growth: float = 0.0,
                      nrr=None, grr=None, nrr_change: float = 0.05, gross_margin: float = 0.75,
                      ltv_cap_years: int = 5, discount_rate: float = 0.10,
                      period_months: int = 12, projection_periods: int = 10,
                      bootstrap_draws: int = 500, interval_level: float = 0.90,
                      seed: int = 0) -> FunctionsSummary:
    """The functions chapter's figures for ``company`` (its parameters as keywords).

    >>> from csmodels import load_company, load_profile
    >>> s = functions_summary(load_company("data/sample"), load_profile(None),
    ...                       bootstrap_draws=50)
    >>> s.text("sbg_r1"), s.sbg.draws
    ('84.9%', 50)
    """
    currency = profile.currency
    panel = ArrPanel.from_frame(company.arr_monthly)
    month = resolve_as_of(panel, as_of)
    for name, value, low, high in (("gross_margin", gross_margin, 0, 1),
                                   ("interval_level", interval_level, 0.5, 0.999)):
        check_number(name, value, low=low, high=high, rule=f"a number from {low} to {high}")
    bootstrap_draws = check_number("bootstrap_draws", bootstrap_draws, low=10, high=100_000,
                                   whole=True, rule="a whole number from 10 to 100000")
    seed = check_number("seed", seed, low=0, high=2 ** 32 - 1, whole=True,
                        rule=f"a whole number from 0 to {2 ** 32 - 1}")
    ltv_cap_years = check_number("ltv_cap_years", ltv_cap_years, low=1, whole=True)
    # before any model runs: no warning or overflow precedes a refusal
    nrr, grr = check_nrr(nrr, none_ok=True), check_grr(grr, none_ok=True)
    discount_rate = check_discount_rate(discount_rate, "discount_rate")
    projection_periods = check_number("projection_periods", projection_periods, low=1,
                                      whole=True)
    period_months = check_number("period_months", period_months, low=1, high=24, whole=True)
    unit = "year" if period_months == 12 else f"{period_months}-month period"
    cohorts = survivor_cohorts(panel, period_months, month)
    cohort_need = needs.survivor_cohorts(cohorts)
    sbg, sbg_note = None, None
    if cohort_need == needs.OK and cohorts.can_fit:
        sbg = _sbg_section(cohorts, panel, month, gross_margin, discount_rate, period_months,
                           projection_periods, bootstrap_draws, interval_level, seed)
    elif cohort_need == needs.OK:
        why = cohorts.why_not or ""
        sbg_note = ("The retention model is not fitted for this company: " + why[:1].lower()
                    + why[1:])
    base_need = needs.revenue_base(panel, month, nrr, grr)
    base = None
    if base_need == needs.OK:
        base = _base_section(company, panel, month, sbg, period_months, currency,
                             dict(years=years, nrr=nrr, grr=grr, starting_arr=starting_arr,
                                  new_bookings=new_bookings, bookings_growth=bookings_growth),
                             interval_level)
    bookings_need = needs.bookings(base.model.new_bookings) if base else base_need
    examples = published_sbg_examples()
    paper = {}
    for row in examples.itertuples():
        fit = ShiftedBetaGeometric().fit(row.survivors)
        paper[f"paper_{row.dataset}_fit"] = f"α = {fit.alpha_:.3f}, β = {fit.beta_:.3f}"
        paper[f"paper_{row.dataset}_published"] = f"α = {row.alpha:.3f}, β = {row.beta:.3f}"
    return FunctionsSummary(
        company_name=str(company_name(profile, data_dir)), as_of=str(month),
        data_first=str(panel.months[0]), data_last=str(panel.months[-1]),
        data_months=len(panel.months), period_months=int(period_months), unit=unit,
        projection_periods=int(projection_periods), discount=discount_rate,
        gross_margin=gross_margin, cap_years=int(ltv_cap_years), **paper,
        paper_years=len(examples.survivors[0]) - 1, base=base,
        bookings=_bookings_section(base.model, base.projection, nrr_change)
        if bookings_need == needs.OK else None,
        ltv=_ltv_section(panel, month, base.model, gross_margin, ltv_cap_years, discount_rate,
                         currency) if base else None,
        cohorts=_cohort_section(cohorts) if cohort_need == needs.OK else None,
        sbg=sbg, ex=_exercises_section(base.model if base else None,
                                       cohorts if sbg is not None else None,
                                       bootstrap_draws, interval_level, seed),
        base_need=base_need, bookings_need=bookings_need, cohort_need=cohort_need,
        sbg_note=sbg_note, currency=currency)


def summarise(data_dir, profile_path=None, **parameters) -> FunctionsSummary:
    """Load the company in ``data_dir`` and its profile once, and compute every figure of
    the functions chapter: the one call the chapter and ``csmodels functions`` make.

    ``profile_path`` ``None`` reads the folder's ``profile.yml`` if there is one;
    ``parameters`` are the chapter's, as :func:`functions_summary` takes them.

    >>> s = summarise("data/sample", bootstrap_draws=50)
    >>> s.text("sbg_r1"), s.currency
    ('84.9%', 'USD')
    """
    from .inputs import load_company
    from .profile import default_profile_path, load_profile

    company = load_company(data_dir)
    profile = load_profile(default_profile_path(data_dir, profile_path))
    return functions_summary(company, profile, data_dir, **parameters)


# ------------------------------------------------------------------------ sections


EXPLORER_YEARS = 15  # the years the chapter's "Try it" chart can show


def _per_year(period_months: int, years: int) -> np.ndarray:
    """Renewal periods in 0, 1, ..., ``years`` years (fractional where a period does
    not divide a year: the beta function interpolates between renewals)."""
    return np.arange(years + 1) * 12 / period_months


def _base_section(company, panel, month, sbg: SbgSummary | None, period_months: int,
                  currency: str, given: dict, level: float) -> BaseSummary:
    model = revenue_base_from_data(company, month, **given)
    as_nrr = model  # new customers kept at NRR: the model this chapter replaced
    if sbg is not None:
        t = _per_year(period_months, model.years)
        model = replace(model, new_survival=tuple(float(v) for v in sbg.model.survival(t)))
    projection, layers = project_revenue(model), revenue_layers(model)
    last, first = projection.iloc[-1], projection.iloc[1]
    today = float(layers[(layers.year == model.years) & (layers.layer == 0)].arr.sum())
    bridge_new = _new_arr(panel, month)
    overridden = [k for k in ("starting_arr", "new_bookings", "nrr", "grr")
                  if given[k] is not None]
    figures = {}
    if sbg is not None:
        boot = sbg.bootstrap
        t = _per_year(period_months, model.years)
        arr = [arr_in_year(replace(model, new_survival=tuple(
            float(v) for v in sbg_survival(a, b, t))), model.years)
            for a, b in zip(boot.alpha, boot.beta, strict=True)]
        low, high = boot.interval(arr, level)
        nrr_way = arr_in_year(as_nrr, model.years)
        figures = dict(new_r1=float(model.new_survival[1]),
                       new_s_n=float(model.new_survival[model.years]), arr_n_nrr=nrr_way,
                       arr_n_gap=nrr_way - float(last["arr"]), arr_n_low=low, arr_n_high=high)
    else:
        figures = dict(nrr_new_cohorts=model.nrr, new_cohort_note=(
            f"No retention model could be fitted to this company's cohorts (the section on "
            f"it below says why), so new customers are given the base's NRR of "
            f"{model.nrr:.1%}. That flatters them: a new cohort still holds the customers "
            "most likely to leave. Read the projection as an upper bound until the cohorts "
            "have been through two renewals."))
    return BaseSummary(
        overrides=", ".join(overridden) or "none", arr0=model.starting_arr,
        new_bookings=model.new_bookings,
        new_prior=str(fmt(bridge_new, "money", currency)) if bridge_new is not None
        else "not in the data",
        nrr=model.nrr, grr=model.grr, expansion_rate=model.nrr - model.grr,
        lost_rate=1 - model.grr, growth=model.bookings_growth, years=model.years,
        arr_n=float(last["arr"]), kept_n=float(last["installed_kept"]),
        expansion_n=float(last["expansion"]), cohorts_n=float(last["cohorts_kept"]),
        new_n=float(last["new_business"]), lost_n=float(last["lost"]),
        installed_share_1=float(first["installed_share"]),
        installed_share_n=float(last["installed_share"]), starting_arr_n=today,
        starting_share_n=today / float(last["arr"]) if last["arr"] > 0 else None,
        **figures, model=model, projection=projection, layers=layers,
        explorer_survival=None if sbg is None else tuple(
            float(v) for v in sbg.model.survival(_per_year(period_months, EXPLORER_YEARS))))


def _new_arr(panel: ArrPanel, month: pd.Period) -> float | None:
    """New ARR of the 12 months before the last 12, if the data go back that far."""
    from .metrics import arr_bridge

    if month - 23 < panel.months[1]:
        return None
    return float(arr_bridge(panel).loc[month - 23:month - 12, "new"].sum())


def _bookings_section(model: RevenueBase, projection: pd.DataFrame,
                      nrr_change: float) -> BookingsSummary:
    equivalent = bookings_equivalent(model, nrr_change)
    better = arr_in_year(replace(model, nrr=model.nrr + nrr_change), model.years)
    return BookingsSummary(nrr_change=nrr_change,
                           gain_n=better - float(projection.iloc[-1]["arr"]),
                           equiv=equivalent,
                           equiv_money=equivalent * model.new_bookings)


def _money_or_infinite(value: float, currency: str) -> str:
    return "infinite" if not np.isfinite(value) else str(fmt(value, "money", currency))


def _ltv_section(panel, month, model: RevenueBase, gross_margin: float, cap_years: int,
                 discount: float, currency: str) -> LtvSummary:
    arpa = average_contract_value(panel, month) or 0.0
    value = arpa * gross_margin
    ret = retention(panel, month) if needs.retention(panel, month) == needs.OK else None
    churns = {"Logo churn": ret.logo_churn} if ret else {}
    churns.update({"Gross revenue churn": 1 - model.grr, "Net revenue churn": 1 - model.nrr})
    table = ltv_table(value, churns, cap_years, discount)
    by = table.set_index("measure")
    one_point = 0.01
    return LtvSummary(
        arpa=arpa, value_per_year=value, logo_churn=ret.logo_churn if ret else None,
        gross_churn=1 - model.grr, net_churn=1 - model.nrr,
        gross=_money_or_infinite(by.loc["Gross revenue churn", "formula"], currency),
        gross_point_less=_money_or_infinite(
            simple_ltv(value, 1 - model.grr - one_point), currency),
        one_point=one_point,
        net=_money_or_infinite(by.loc["Net revenue churn", "formula"], currency),
        net_capped=float(by.loc["Net revenue churn", "capped"]),
        net_discounted=_money_or_infinite(by.loc["Net revenue churn", "discounted"], currency),
        nrr_limit=1 + discount, table=table, churns=churns,
        horizon=ltv_by_horizon(value, churns, max_years=20))


def _cohort_section(cohorts: SurvivorCohorts) -> CohortSummary:
    fitted = cohorts.windows[cohorts.windows["periods"] >= 1]
    at_risk = 0  # renewal decisions seen: every account up for renewal at an observed date
    for _, row in cohorts.fittable().iterrows():
        counts = row.dropna().to_numpy(dtype=int)
        at_risk += int(counts[:-1].sum())
    return CohortSummary(left_out=cohorts.left_out, n_cohorts=len(cohorts.windows),
                         max_periods=int(cohorts.windows["periods"].max()),
                         n_fit_cohorts=len(fitted), n_fit_accounts=int(fitted["accounts"].sum()),
                         n_renewals=at_risk, cohorts=cohorts)


def _number(v: float) -> str:
    """Three significant figures or so, as a reader writes them: 0.245, 5.81, 2,067."""
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}" if v >= 1 else (
        f"{v:.3f}")


def _range(values: tuple[float, float], bounds: tuple[float, float]) -> str:
    """'0.245 to 2,067', with the search's bounds named where a refit reached them."""
    def end(v: float) -> str:
        if v >= bounds[1] / 1.01:
            return "no upper limit the data can set"
        return _number(v) + (" (the search's floor)" if v <= bounds[0] * 1.01 else "")
    return f"{end(values[0])} to {end(values[1])}"


def _bound_note(model: ShiftedBetaGeometric) -> str | None:
    """What a fit at the search's bounds means, or None if it is inside them."""
    if not model.at_bound_:
        return None
    if model.alpha_ <= model.bounds[0] * 1.01 or model.beta_ <= model.bounds[0] * 1.01:
        return ("An estimate sits at the floor of the search: the cohorts look like two kinds "
                "of customer, those who leave early and those who almost never leave, and "
                "cannot say how rare leaving is among the second; the lifetime values then "
                "rest on the discount rate more than on the data. More renewals would tell.")
    return ("The estimates sit at the bounds of the search: the cohorts cannot tell how much "
            "customers differ, so the model reduces to one churn rate for everyone and its "
            "renewal rates do not rise with tenure. More renewals would tell.")


def _sbg_section(cohorts: SurvivorCohorts, panel, month, gross_margin: float, discount: float,
                 period_months: int, horizon: int, draws: int, level: float,
                 seed: int) -> SbgSummary:
    model = ShiftedBetaGeometric().fit(cohorts.fittable())
    boot = bootstrap_sbg(model, draws, seed)
    value = (average_contract_value(panel, month) or 0.0) * gross_margin * period_months / 12
    d = (1 + discount) ** (period_months / 12) - 1
    oldest = int(cohorts.windows["periods"].max())

    def interval(values) -> tuple[float, float]:
        return boot.interval(values, level)

    r1, r_h = interval(sbg_retention(boot.alpha, boot.beta, 1)), interval(
        sbg_retention(boot.alpha, boot.beta, horizon))
    s_h = interval(sbg_survival(boot.alpha, boot.beta, horizon))
    clv = interval(sbg_lifetime_value(boot.alpha, boot.beta, value, d))
    return SbgSummary(
        alpha=model.alpha_, beta=model.beta_,
        alpha_text=_range((model.alpha_,) * 2, model.bounds).split(" to ")[0],
        beta_text=_range((model.beta_,) * 2, model.bounds).split(" to ")[0],
        alpha_range=_range(interval(boot.alpha), model.bounds),
        beta_range=_range(interval(boot.beta), model.bounds), bound_note=_bound_note(model),
        mean_churn=model.alpha_ / (model.alpha_ + model.beta_),
        r1=float(model.retention_rate(1)), r1_low=r1[0], r1_high=r1[1],
        r_h=float(model.retention_rate(horizon)), r_h_low=r_h[0], r_h_high=r_h[1],
        s_h=float(model.survival(horizon)), s_h_low=s_h[0], s_h_high=s_h[1],
        clv=model.lifetime_value(value, d), clv_low=clv[0], clv_high=clv[1],
        clv_constant=simple_ltv(value, 1 - float(model.retention_rate(1)), d),
        derl_oldest=model.derl(d, oldest), residual_oldest=value * model.derl(d, oldest),
        residual_new=value * model.derl(d, 0),
        draws=boot.draws, level=level, seed=int(seed), model=model, bootstrap=boot,
        band=_band(boot, horizon, level))


def _band(boot: SbgBootstrap, horizon: int, level: float) -> pd.DataFrame:
    """Per period: the bootstrap interval of survival and of the renewal rate."""
    rows = []
    for t in range(horizon + 1):
        share = boot.interval(sbg_survival(boot.alpha, boot.beta, t), level)
        rate = (boot.interval(sbg_retention(boot.alpha, boot.beta, t), level) if t >= 1
                else (np.nan, np.nan))
        rows.append({"period": t, "share_low": share[0], "share_high": share[1],
                     "rate_low": rate[0], "rate_high": rate[1]})
    return pd.DataFrame(rows)


# The third exercise's settings: the "regular" cohort of Fader and Hardie (2007).
EX_ALPHA, EX_BETA, EX_PERIODS, EX_OBSERVED = 0.704, 1.182, 7, 3


def oldest_cohort_fit(cohorts: SurvivorCohorts, draws: int, seed: int
                      ) -> tuple[str, ShiftedBetaGeometric, SbgBootstrap] | None:
    """The fourth exercise's change: the model fitted to the oldest cohort alone, and its
    bootstrap; None unless two cohorts are fitted and the oldest alone can be."""
    fittable = cohorts.fittable()
    if len(fittable) < 2:
        return None
    oldest = fittable.iloc[:1]
    try:
        model = ShiftedBetaGeometric().fit(oldest)
    except ParameterError:
        return None
    return str(oldest.index[0]), model, bootstrap_sbg(model, draws, seed)


def _exercises_section(model: RevenueBase | None, cohorts: SurvivorCohorts | None,
                       draws: int, level: float, seed: int, ex_growth: float = 0.2,
                       ex_size: int = 150, ex_runs: int = 100,
                       ex_band: float = 0.90) -> ExercisesSummary:
    needed = None
    if model is not None and model.new_bookings > 0 and model.starting_arr > 0:
        needed = nrr_matching_growth(model, ex_growth)  # else nothing to grow or act on
    rates = refit_spread(EX_ALPHA, EX_BETA, ex_size, EX_PERIODS, observed=EX_OBSERVED,
                         runs=ex_runs, at=EX_PERIODS)
    shown = {}
    for key, found in rates.items():
        low, high = np.percentile(found, [50 * (1 - ex_band), 50 * (1 + ex_band)])
        shown[key] = f"{fmt(low)} to {fmt(high)}"
    alone = oldest_cohort_fit(cohorts, draws, seed) if cohorts is not None else None
    if alone is not None:
        label, fit, boot = alone
        r1 = boot.interval(sbg_retention(boot.alpha, boot.beta, 1), level)
        shown.update(oldest=label, oldest_r1=float(fit.retention_rate(1)), oldest_r1_low=r1[0],
                     oldest_r1_high=r1[1])
    return ExercisesSummary(
        growth=ex_growth, nrr_needed=needed,
        nrr_points=needed - model.nrr if needed is not None else None,
        size=ex_size, runs=ex_runs, band=ex_band, **shown,
        true_r7=float(sbg_retention(EX_ALPHA, EX_BETA, EX_PERIODS)))


__all__ = ["BaseSummary", "BookingsSummary", "CohortSummary", "ExercisesSummary",
           "FunctionsSummary", "LtvSummary", "SbgSummary", "functions_summary"]
