"""Sales and Customer Success collaboration: handoffs, ownership, pay and roles.

The chapter calls :func:`summarise` once and glues the :class:`CollaborationSummary`
it returns; the tools below are what it is made of, each from the chapter's sources:

* **Handoff analytics** (source 000: a documented handoff and an SLA that says who owns
  the customer in the first 90 days). :func:`handoff_report` scores each handoff's
  documentation and timing against :class:`SlaTerms`; :func:`handoff_summary` adds the
  association between handoff quality and outcomes (time to value, first-year
  retention); :func:`first_days_report` and :func:`first_days_table` show what each
  account's first 90 days after its handoff held (kickoff, go-live, first value, a QBR,
  adoption, still paying). On a company's own data the quality gap is an association,
  not a cause; on the bundled sample the generator (:mod:`csmodels.synth`) built it in,
  and the summary says so only there (:func:`csmodels.book.is_sample`).
* **Ownership and compensation models** (source 004's hybrid models, plus two
  comparison points of the book's), read from
  ``csmodels/data/collaboration_ownership_models.csv``. :func:`credit` credits each won
  opportunity to the teams a model pays under a :class:`CompPlan` whose rule of
  engagement pays one dollar to two teams only for real collaboration (source 004:
  "avoid double comping unless there's real collaboration"; which collaboration is
  real is the book's rule, a parameter); :func:`credit_summary` totals it per team,
  :func:`double_credit` lists the dollars paid twice, :func:`pod_pay` pays a revenue pod
  on its book's NRR and GRR goals, and :func:`ownership_outcomes` lets behaviour
  (churn, expansion, CS-sourced expansion) respond to pay (source 004: "compensation
  drives behavior"; how much is the book's own model, with a parameter).
* **A responsibility (RACI) matrix** per model, :func:`raci`, from
  ``csmodels/data/collaboration_raci.csv``.
* **A leader's self-assessment** of source 000's five collaboration practices and
  source 002's five strategies, :func:`self_assessment` and :func:`assessment_score`.

Every number the sources do not give (the SLA days, the commission rates, the pod's
goals, the pay response) is labelled as the book's assumption where it is defined.
Tables name sources as ``csmodels/data/sources.csv`` does (``src004``; ``book`` for the
book's own), shown in words by :func:`source_name`.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ._checks import Checked, check_number, is_number, number, shown
from ._tables import package_table
from .exceptions import ParameterError
from .inputs import Company
from .summary import Summary, drawn, figure, section

DOCUMENTED_FIELDS = ("goals", "stakeholders", "success_criteria", "commitments")
TEAMS = ("sales", "cs", "pod", "expansion-rep")
ACTIVITIES = ("handoff", "first-90-days", "adoption", "qbrs", "renewals", "expansion")
ROLES = ("ae", "expansion-ae", "csm", "se", "cs-leader", "sales-leader")
RACI_LETTERS = ("R", "A", "C", "I")
SCORES = {0: "not in place", 1: "partly in place", 2: "in place"}
ASSOCIATION_NOTE = (
    "Association, not cause: complete handoffs and good outcomes may share a cause (a "
    "better-qualified deal, a more engaged customer), so the gap is not the effect of "
    "documenting a handoff.")


def _table(name: str) -> pd.DataFrame:
    return package_table(f"collaboration_{name}", text=True)


def _deadline(default: int) -> int:
    return number(default, low=1, whole=True, rule="a whole number of days >= 1")


def _share(default: float) -> float:
    return number(default, low=0, high=1, rule="a fraction from 0 to 1 (0.10 = 10%)")


def _goal(default: float) -> float:
    return number(default, above=0, high=3, rule="a fraction above 0 and at most 3 "
                  "(1.05 = 105%)")


# ---------------------------------------------------------------------------------------
# Handoff analytics
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SlaTerms(Checked):
    """The handoff service-level agreement between Sales and Customer Success.

    Attributes
    ----------
    handoff_within_days : int
        Days from close (``closed_won_date``) to handoff. The book's assumption: 14.
    kickoff_within_days : int
        Days from close to the kickoff meeting. The book's assumption: 30.
    first_days : int
        The window after the contract in which the SLA says who owns the customer.
        Source 000 gives 90 days; the report uses it to ask whether first value came
        inside the window.
    required : tuple of str
        The items a handoff must document, among ``goals``, ``stakeholders``,
        ``success_criteria`` and ``commitments`` (source 000: goals, expectations and
        promises made in the sale; the four-way split is the book's).

    A deadline of N days is met on day N and missed on day N + 1.

    Examples
    --------
    >>> SlaTerms().handoff_within_days, SlaTerms().first_days
    (14, 90)
    >>> SlaTerms(handoff_within_days=0)
    Traceback (most recent call last):
    ...
    csmodels.exceptions.ParameterError: handoff_within_days must be a whole number of days >= 1, not 0.
    """  # noqa: E501

    handoff_within_days: int = _deadline(14)
    kickoff_within_days: int = _deadline(30)
    first_days: int = _deadline(90)
    required: tuple[str, ...] = DOCUMENTED_FIELDS

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.required, str) or not isinstance(self.required, tuple | list):
            raise ParameterError("required must be a tuple of documented items, e.g. "
                                 f"{DOCUMENTED_FIELDS!r}, not {self.required!r}.")
        object.__setattr__(self, "required", tuple(self.required))
        unknown = [f for f in self.required if f not in DOCUMENTED_FIELDS]
        if unknown:
            raise ParameterError(f"Unknown documented item {unknown[0]!r} in required. "
                                 f"Use any of: {', '.join(DOCUMENTED_FIELDS)}.")
        if not self.required:
            raise ParameterError("required must name at least one documented item.")
        if len(set(self.required)) != len(self.required):
            raise ParameterError(f"required names an item twice: {self.required!r}.")


def _days(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later - earlier).dt.days.astype("Int64")


def _first_year_retention(arr_monthly: pd.DataFrame | None,
                          accounts: pd.Series) -> pd.Series:
    """Whether each account still pays 12 months after its first month with ARR > 0.

    A month missing from ``arr_monthly`` counts as no ARR. NA when the account never had
    ARR or the data end before the 12th month.
    """
    out = pd.Series(pd.NA, index=accounts.index, dtype="boolean")
    if arr_monthly is None or arr_monthly.empty:
        return out
    paying = arr_monthly[arr_monthly["arr"] > 0]
    first = paying.groupby("account_id")["month"].min()
    last_month = arr_monthly["month"].max()
    paid = set(zip(paying["account_id"], paying["month"], strict=True))
    for idx, account in accounts.items():
        start = first.get(account)
        if start is None or pd.isna(start):
            continue
        target = start + 12
        if target > last_month:
            continue
        out.loc[idx] = (account, target) in paid
    return out


def handoff_report(company: Company, terms: SlaTerms | None = None) -> pd.DataFrame:
    """One row per handoff: how complete, how fast, and what followed.

    Parameters
    ----------
    company : Company
        Needs ``handoffs``; ``onboarding`` and ``arr_monthly`` add the outcomes.
    terms : SlaTerms, optional
        The SLA; the defaults are the book's assumptions (14 and 30 days, source 000's
        90-day window).

    Returns
    -------
    pandas.DataFrame
        ``account_id``; ``completeness``, the share of the required documented items
        that are true (items whose column the file lacked do not count; a blank cell in
        a present column counts as not documented); ``complete`` (all counted items
        documented); ``days_to_handoff`` and ``days_to_kickoff`` from close (NA when no
        kickoff date); ``meets_handoff_sla``, ``meets_kickoff_sla`` and ``meets_sla``
        (both; a missing kickoff date does not meet the kickoff SLA);
        ``days_to_value`` (onboarding's ``first_value_date`` - ``contract_date``, NA
        without onboarding or first value); ``value_in_first_days`` (first value within
        ``terms.first_days`` of the contract; false when still missing after the
        window, NA when the window has not closed); ``retained_first_year`` (ARR > 0 in
        the 12th month after the first month with ARR > 0; NA when the data do not reach
        that month). ``report.attrs`` holds ``counted_fields``, ``absent_fields`` and the
        ``terms``.

    Examples
    --------
    >>> from csmodels import load_company
    >>> report = handoff_report(load_company("data/sample"))
    >>> report.attrs["absent_fields"]
    ()
    >>> bool(report["completeness"].between(0, 1).all())
    True
    """
    terms = SlaTerms() if terms is None else terms
    if not isinstance(terms, SlaTerms):
        raise ParameterError(f"terms must be SlaTerms, not {type(terms).__name__}.")
    if company.handoffs is None:
        raise ParameterError("The handoff report needs handoffs.csv in the data folder "
                             "(account_id, closed_won_date, handoff_date).")
    h = company.handoffs.reset_index(drop=True)
    counted = tuple(f for f in terms.required if company.has("handoffs", f"{f}_documented"))
    absent = tuple(f for f in terms.required if f not in counted)
    out = pd.DataFrame({"account_id": h["account_id"]})
    if counted:
        documented = pd.concat([h[f"{f}_documented"].astype("boolean").fillna(False)
                                for f in counted], axis=1)
        out["completeness"] = documented.sum(axis=1).astype(float) / len(counted)
        out["complete"] = documented.all(axis=1).astype("boolean")
    else:
        out["completeness"] = np.nan
        out["complete"] = pd.Series(pd.NA, index=h.index, dtype="boolean")
    out["days_to_handoff"] = _days(h["handoff_date"], h["closed_won_date"])
    kickoff = (h["kickoff_date"] if company.has("handoffs", "kickoff_date")
               else pd.Series(pd.NaT, index=h.index, dtype="datetime64[ns]"))
    out["days_to_kickoff"] = _days(kickoff, h["closed_won_date"])
    out["meets_handoff_sla"] = (out["days_to_handoff"] <= terms.handoff_within_days).astype(
        "boolean")
    out["meets_kickoff_sla"] = (out["days_to_kickoff"] <= terms.kickoff_within_days).fillna(
        False).astype("boolean")
    out["meets_sla"] = out["meets_handoff_sla"] & out["meets_kickoff_sla"]
    out["days_to_value"] = pd.Series(pd.NA, index=h.index, dtype="Int64")
    out["value_in_first_days"] = pd.Series(pd.NA, index=h.index, dtype="boolean")
    if company.onboarding is not None:
        ob = company.onboarding.drop_duplicates("account_id").set_index("account_id")
        contract = h["account_id"].map(ob["contract_date"])
        first_value = h["account_id"].map(ob["first_value_date"])
        contract = pd.to_datetime(contract)
        first_value = pd.to_datetime(first_value)
        out["days_to_value"] = _days(first_value, contract)
        as_of = ob.select_dtypes("datetime").max().max()
        in_window = (out["days_to_value"] <= terms.first_days).astype("boolean")
        closed = contract + pd.Timedelta(days=terms.first_days) <= as_of
        missing = out["days_to_value"].isna() & contract.notna()
        in_window = in_window.mask(missing & closed, False)
        out["value_in_first_days"] = in_window.astype("boolean")
    out["retained_first_year"] = _first_year_retention(company.arr_monthly, h["account_id"])
    out.attrs.update(counted_fields=counted, absent_fields=absent, terms=terms)
    return out


def _share_true(values: pd.Series) -> float | None:
    known = values.dropna()
    return None if known.empty else float(known.astype(bool).mean())


def _median(values: pd.Series) -> float | None:
    known = values.dropna()
    return None if known.empty else float(known.astype(float).median())


def handoff_summary(report: pd.DataFrame) -> dict:
    """The handoff report in a few numbers, with quality set against outcomes.

    Parameters
    ----------
    report : pandas.DataFrame
        The result of :func:`handoff_report`.

    Returns
    -------
    dict
        ``handoffs``; ``share_complete``; ``mean_completeness``;
        ``median_days_to_handoff`` and ``median_days_to_kickoff``;
        ``share_meeting_handoff_sla``, ``share_meeting_kickoff_sla`` and
        ``sla_compliance`` (both); ``missing_kickoff``; ``by_quality``, for the
        ``complete`` and ``incomplete`` handoffs, the ``count``, the
        ``median_days_to_value``, the ``first_year_retention`` (share retained among the
        accounts whose 12th month the data reach) and ``retention_known`` (how many
        those are); ``terms`` (the SLA as a dict); ``counted_fields`` and
        ``absent_fields``; and ``note``, which says
        that the comparison is an association, not a cause. Shares are fractions; a
        number that cannot be computed is ``None``.

    Examples
    --------
    >>> from csmodels import load_company
    >>> summary = handoff_summary(handoff_report(load_company("data/sample")))
    >>> 0 <= summary["sla_compliance"] <= 1
    True
    """
    out: dict = {
        "handoffs": len(report),
        "share_complete": _share_true(report["complete"]),
        "mean_completeness": (None if report["completeness"].isna().all()
                              else float(report["completeness"].mean())),
        "median_days_to_handoff": _median(report["days_to_handoff"]),
        "median_days_to_kickoff": _median(report["days_to_kickoff"]),
        "share_meeting_handoff_sla": _share_true(report["meets_handoff_sla"]),
        "share_meeting_kickoff_sla": _share_true(report["meets_kickoff_sla"]),
        "sla_compliance": _share_true(report["meets_sla"]),
        "missing_kickoff": int(report["days_to_kickoff"].isna().sum()),
    }
    by_quality = {}
    for label, flag in (("complete", True), ("incomplete", False)):
        group = report[report["complete"].eq(flag).fillna(False).astype(bool)]
        by_quality[label] = {
            "count": len(group),
            "median_days_to_value": _median(group["days_to_value"]),
            "first_year_retention": _share_true(group["retained_first_year"]),
            "retention_known": int(group["retained_first_year"].notna().sum()),
        }
    out["by_quality"] = by_quality
    terms = report.attrs.get("terms")
    out["terms"] = asdict(terms) if isinstance(terms, SlaTerms) else None
    out["counted_fields"] = tuple(report.attrs.get("counted_fields", ()))
    out["absent_fields"] = tuple(report.attrs.get("absent_fields", ()))
    out["note"] = ASSOCIATION_NOTE
    return out


FIRST_DAYS_COLUMNS = ("account_id", "complete", "window_closed", "kickoff", "go_live",
                      "first_value", "qbr", "adoption", "paying")
MILESTONES = {"kickoff": "Kickoff held", "go_live": "Live on the product",
              "first_value": "First value reached", "qbr": "A QBR held",
              "paying": "Still paying"}


def _by_day(dates: pd.Series, end: pd.Series, closed: pd.Series) -> pd.Series:
    """Whether a date came by ``end``: false when missing or later, NA when the window
    has not closed."""
    done = (dates.notna() & (dates <= end)).astype("boolean")
    return done.mask(~closed, pd.NA)


def first_days_report(company: Company, terms: SlaTerms | None = None) -> pd.DataFrame:
    """What happened in each account's first ``terms.first_days`` days after its handoff.

    Source 000 asks for an SLA that says who owns the customer in the first 90 days; this
    shows, on the data, what those days held for each account.

    Parameters
    ----------
    company : Company
        Needs ``handoffs``; ``onboarding``, ``qbrs``, ``usage_monthly`` and
        ``arr_monthly`` add the milestones (a milestone whose table is missing is NA).
    terms : SlaTerms, optional
        ``first_days`` sets the window (source 000's 90 days by default).

    Returns
    -------
    pandas.DataFrame
        One row per handoff: ``account_id``; ``complete`` (as in :func:`handoff_report`);
        ``window_closed`` (the data reach the window's last day: the end of the last
        month of ``arr_monthly``); by the window's last day, ``kickoff`` (the handoff's
        kickoff date, else onboarding's), ``go_live`` and ``first_value`` (onboarding),
        ``qbr`` (a QBR dated inside the window); ``adoption`` (active users over
        licensed seats in the window's last month) and ``paying`` (ARR > 0 in that
        month). The milestones are NA where the window has not closed.

    Examples
    --------
    >>> from csmodels import load_company
    >>> days = first_days_report(load_company("data/sample"))
    >>> bool(days.loc[days["window_closed"], "first_value"].notna().all())
    True
    """
    terms = SlaTerms() if terms is None else terms
    report = handoff_report(company, terms)
    h = company.handoffs.reset_index(drop=True)
    start = h["handoff_date"]
    end = start + pd.Timedelta(days=terms.first_days)
    last = company.arr_monthly["month"].max()
    closed = pd.Series(end <= last.end_time.normalize(), index=h.index) if pd.notna(last) \
        else pd.Series(False, index=h.index)
    out = pd.DataFrame({"account_id": h["account_id"], "complete": report["complete"],
                        "window_closed": closed.astype(bool)})
    na = pd.Series(pd.NA, index=h.index, dtype="boolean")
    ob = (company.onboarding.drop_duplicates("account_id").set_index("account_id")
          if company.onboarding is not None else None)
    kickoff = (h["kickoff_date"] if company.has("handoffs", "kickoff_date")
               else pd.Series(pd.NaT, index=h.index, dtype="datetime64[ns]"))
    if ob is not None and "kickoff_date" in ob.columns:
        kickoff = kickoff.fillna(pd.to_datetime(h["account_id"].map(ob["kickoff_date"])))
    out["kickoff"] = _by_day(kickoff, end, closed)
    for column, source in (("go_live", "go_live_date"), ("first_value", "first_value_date")):
        if ob is not None and source in ob.columns:
            out[column] = _by_day(pd.to_datetime(h["account_id"].map(ob[source])), end,
                                  closed)
        else:
            out[column] = na.copy()
    out["qbr"] = na.copy()
    if company.qbrs is not None:
        q = company.qbrs[["account_id", "date"]].merge(
            pd.DataFrame({"account_id": h["account_id"], "start": start, "end": end,
                          "row": h.index}), on="account_id")
        held = set(q.loc[(q["date"] >= q["start"]) & (q["date"] <= q["end"]), "row"])
        out["qbr"] = pd.Series([i in held for i in h.index], index=h.index,
                               dtype="boolean").mask(~closed, pd.NA)
    month = end.dt.to_period("M")
    out["adoption"] = np.nan
    if company.usage_monthly is not None:
        u = company.usage_monthly
        u = u[u["licensed_seats"] > 0]
        ratio = (u["active_users"] / u["licensed_seats"]).groupby(
            [u["account_id"], u["month"]]).mean()
        keys = list(zip(h["account_id"], month, strict=True))
        out["adoption"] = [float(ratio.get(k, np.nan)) for k in keys]
        out.loc[~closed, "adoption"] = np.nan
    a = company.arr_monthly
    paying = set(zip(a.loc[a["arr"] > 0, "account_id"], a.loc[a["arr"] > 0, "month"],
                     strict=True))
    out["paying"] = pd.Series([(acc, m) in paying for acc, m in zip(h["account_id"], month,
                                                                      strict=True)],
                              index=h.index, dtype="boolean").mask(~closed, pd.NA)
    out.attrs["first_days"] = terms.first_days
    return out[list(FIRST_DAYS_COLUMNS)]


def first_days_table(days: pd.DataFrame) -> pd.DataFrame:
    """The share of closed windows reaching each milestone, for all handoffs and for the
    complete and incomplete ones (NaN where the data lack the milestone's table).

    >>> frame = pd.DataFrame({"complete": [True, False], "window_closed": [True, True],
    ...     "kickoff": [True, False], "go_live": [True, True], "first_value": [True, False],
    ...     "qbr": [pd.NA, pd.NA], "adoption": [0.5, 0.3], "paying": [True, True]})
    >>> first_days_table(frame.astype({"qbr": "boolean"}))["all"].tolist()
    [0.5, 1.0, 0.5, nan, 1.0]
    """
    closed = days[days["window_closed"]]
    groups = {"all": closed,
              "complete": closed[closed["complete"].eq(True).fillna(False).astype(bool)],
              "incomplete": closed[closed["complete"].eq(False).fillna(False).astype(bool)]}
    table = pd.DataFrame({name: [_share_true(group[m]) for m in MILESTONES]
                          for name, group in groups.items()}, index=list(MILESTONES),
                         dtype=float)
    table.index.name = "milestone"
    return table


# ---------------------------------------------------------------------------------------
# Ownership and compensation
# ---------------------------------------------------------------------------------------

def ownership_models() -> pd.DataFrame:
    """The ownership and compensation models, one row each, indexed by ``model_id``.

    Three are source 004's hybrid models; ``all-sales`` and ``all-cs`` are the book's
    comparison points (``source`` is ``src004`` or ``book``). ``cs_influence_credit``
    says whether the model also credits CS on an expansion it worked on but does not
    own (how much is the plan's rule of engagement, :class:`CompPlan`);
    ``csm_incentive`` says what the model pays a CSM to do.

    >>> ownership_models().loc["revenue-pod", ["new_owner", "expansion_owner"]].tolist()
    ['sales', 'pod']
    """
    return _table("ownership_models").set_index("model_id").copy()


def source_name(source: str) -> str:
    """A table's ``source`` cell in words: ``src004`` -> ``Source 004`` (by
    :func:`csmodels.claims.source_name`, from ``csmodels/data/sources.csv``), ``book`` ->
    ``The book``.

    >>> source_name("src004"), source_name("book")
    ('Source 004', 'The book')
    """
    from . import claims

    if source == "book":
        return "The book"
    try:
        return claims.source_name(source)
    except ValueError:
        known = ", ".join(claims.sources()["bibkey"])
        raise ParameterError(f"Unknown source {source!r}: use one of {known} (as "
                             "csmodels/data/sources.csv lists them) or book.") from None


def _model(model_id: str) -> pd.Series:
    models = ownership_models()
    if model_id not in models.index:
        raise ParameterError(f"Unknown ownership model {model_id!r}. "
                             f"Use one of: {', '.join(models.index)}.")
    return models.loc[model_id]


REAL_COLLABORATION = ("sourced", "involved", "none")


@dataclass(frozen=True)
class CompPlan(Checked):
    """Variable pay: rates per dollar credited (0.10 = 10%) and the rule of engagement.

    All rates and goals are the book's illustrative assumptions; the sources give none.
    Source 004 gives the principles: CS needs variable pay if it owns revenue, a revenue
    pod's pay is tied to NRR and GRR goals, and no double comping "unless there's real
    collaboration", with clear rules of who is paid for what.

    Attributes
    ----------
    sales_new_rate, sales_renewal_rate, sales_expansion_rate : float
        An account executive's rate on new, renewal and expansion ARR.
    cs_renewal_rate, cs_expansion_rate : float
        A CSM's rate on renewal and expansion ARR.
    expansion_rep_rate : float
        A dedicated expansion rep's rate on expansion ARR.
    pod_bonus_rate : float
        A revenue pod's bonus at goal, as a share of its book (the renewal ARR due). The
        pod is paid on its book's NRR and GRR, half on each, in proportion to how far
        each reaches its goal (:func:`pod_pay`); it is not paid on new logos.
    nrr_goal, grr_goal : float
        The pod's NRR and GRR goals (fractions: 1.05 is 105%).
    real_collaboration : str
        The rule of engagement: which expansions count as real collaboration, so that
        CS is paid on them in full besides their owner (a double credit source 004
        allows). ``sourced`` (the book's default): CS found the expansion and passed it
        to the owner (``cs_sourced``). ``involved``: CS sourced or only influenced it
        (``cs_influenced``), so every touch is paid twice. ``none``: never.
    split : float
        CS's share of an expansion it worked on that the rule does not count as real
        collaboration; the owner keeps the rest, so that dollar is paid once. The
        book's assumption: 0.5.

    Examples
    --------
    >>> round(CompPlan().rate("pod", "renewal"), 4), round(CompPlan().rate("pod", "expansion"), 4)
    (0.0413, 0.019)
    >>> CompPlan(split=1.5)
    Traceback (most recent call last):
    ...
    csmodels.exceptions.ParameterError: split must be a fraction from 0 to 1 (0.10 = 10%), not 1.5.
    """

    sales_new_rate: float = _share(0.10)
    sales_renewal_rate: float = _share(0.02)
    sales_expansion_rate: float = _share(0.08)
    cs_renewal_rate: float = _share(0.02)
    cs_expansion_rate: float = _share(0.05)
    expansion_rep_rate: float = _share(0.08)
    pod_bonus_rate: float = _share(0.04)
    nrr_goal: float = _goal(1.05)
    grr_goal: float = _goal(0.90)
    real_collaboration: str = "sourced"
    split: float = _share(0.5)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.real_collaboration not in REAL_COLLABORATION:
            raise ParameterError("real_collaboration must be one of "
                                 f"{', '.join(REAL_COLLABORATION)}, not "
                                 f"{self.real_collaboration!r}.")

    def rate(self, team: str, kind: str) -> float:
        """The rate ``team`` earns on a dollar of ``kind`` ARR (a pod's is what a dollar
        adds to its NRR and GRR bonus).

        >>> CompPlan().rate("cs", "renewal")
        0.02
        """
        if team == "pod" and kind == "renewal":
            return self.pod_bonus_rate * (0.5 / self.nrr_goal + 0.5 / self.grr_goal)
        if team == "pod" and kind == "expansion":
            return self.pod_bonus_rate * 0.5 / self.nrr_goal
        if team == "expansion-rep" and kind == "expansion":
            return self.expansion_rep_rate
        if team == "sales":
            return getattr(self, f"sales_{kind}_rate")
        if team == "cs" and kind in ("renewal", "expansion"):
            return getattr(self, f"cs_{kind}_rate")
        raise ParameterError(f"The plan has no rate for team {team!r} on {kind} ARR.")

    def is_real(self, collaboration: str) -> bool:
        """Whether the rule counts an expansion CS ``sourced`` or ``influenced`` as real
        collaboration (paid to both teams).

        >>> CompPlan().is_real("sourced"), CompPlan().is_real("influenced")
        (True, False)
        """
        if collaboration == "sourced":
            return self.real_collaboration in ("sourced", "involved")
        return collaboration == "influenced" and self.real_collaboration == "involved"


PAY_PLAN_KEYS = ("sales_new_rate", "sales_renewal_rate", "sales_expansion_rate",
                 "cs_renewal_rate", "cs_expansion_rate", "expansion_rep_rate",
                 "pod_bonus_rate", "nrr_goal", "grr_goal")  # the chapter's pay_plan


def comp_plan(pay_plan: Mapping[str, float] | None = None, *,
              real_collaboration: str = "sourced", split: float = 0.5) -> CompPlan:
    """The :class:`CompPlan` of the collaboration chapter's parameters: ``pay_plan`` (a
    mapping of any of :data:`PAY_PLAN_KEYS` to a value; ``None`` or a key left out: the
    book's), the rule of engagement and the split.

    >>> comp_plan({"cs_expansion_rate": 0.1}).cs_expansion_rate
    0.1
    >>> comp_plan({"cs_expansion": 0.1})
    Traceback (most recent call last):
    ...
    csmodels.exceptions.ParameterError: pay_plan has no rate or goal 'cs_expansion'. ...
    """
    pay_plan = {} if pay_plan is None else pay_plan
    if not isinstance(pay_plan, Mapping):
        raise ParameterError(f"pay_plan must be a mapping of rates and goals, not "
                             f"{shown(pay_plan)}.",
                             'Give for example {"cs_expansion_rate": 0.06}, or leave it out.')
    unknown = [str(k) for k in pay_plan if k not in PAY_PLAN_KEYS]
    if unknown:
        raise ParameterError(f"pay_plan has no rate or goal {shown(unknown[0])}.",
                             f"Use any of {', '.join(PAY_PLAN_KEYS)}.")
    return CompPlan(**dict(pay_plan), real_collaboration=real_collaboration, split=split)


def pod_pay(book: float, retained: float, expansion: float,
            plan: CompPlan | None = None) -> dict:
    """A revenue pod's bonus on its book's NRR and GRR (source 004: the pod's variable
    pay is tied to NRR and GRR goals).

    The book's assumption of how: at goal the pod earns ``pod_bonus_rate`` of its book,
    half for NRR and half for GRR, each in proportion to how far it reaches its goal
    (no floor, no cap). Since NRR and GRR are sums of dollars over the book, this is
    also a rate per retained and per expanded dollar (:meth:`CompPlan.rate`).

    Parameters
    ----------
    book : float
        The renewal ARR due (the pod's book).
    retained, expansion : float
        Renewal ARR kept and expansion ARR won.

    Returns
    -------
    dict
        ``nrr``, ``grr``, ``attainment`` (1.0 at goal) and ``pay``; ``None`` throughout
        for an empty book.

    Examples
    --------
    >>> p = pod_pay(1_000_000, 900_000, 150_000)
    >>> round(p["nrr"], 2), round(p["grr"], 2), p["attainment"], round(p["pay"])
    (1.05, 0.9, 1.0, 40000)
    """
    plan = CompPlan() if plan is None else plan
    if not book > 0:
        return {"nrr": None, "grr": None, "attainment": None, "pay": None}
    nrr, grr = (retained + expansion) / book, retained / book
    attainment = 0.5 * nrr / plan.nrr_goal + 0.5 * grr / plan.grr_goal
    return {"nrr": nrr, "grr": grr, "attainment": round(attainment, 12),
            "pay": plan.pod_bonus_rate * book * attainment}


CREDIT_COLUMNS = ("opportunity_id", "account_id", "type", "collaboration", "amount", "team",
                  "role", "credited_amount", "rate", "pay")


def _won(opportunities: pd.DataFrame | Company) -> pd.DataFrame:
    return _deals(opportunities, ("won",))


def _deals(opportunities: pd.DataFrame | Company, statuses: tuple[str, ...]) -> pd.DataFrame:
    if isinstance(opportunities, Company):
        if opportunities.opportunities is None:
            raise ParameterError("The ownership models need opportunities.csv in the data "
                                 "folder.")
        opportunities = opportunities.opportunities
    needed = ("opportunity_id", "type", "amount", "status")
    missing = [c for c in needed if c not in opportunities.columns]
    if missing:
        raise ParameterError(f"The opportunities lack the column {missing[0]!r}; they need "
                             f"{', '.join(needed)}.")
    won = opportunities[opportunities["status"].astype(str).isin(statuses)].copy()
    won["type"] = won["type"].astype(str)
    bad = sorted(set(won["type"]) - {"new", "renewal", "expansion"})
    if bad:
        raise ParameterError(f"Unknown opportunity type {bad[0]!r}; use new, renewal or "
                             "expansion.")
    if "account_id" not in won.columns:
        won["account_id"] = pd.NA
    flags = {}
    for column in ("cs_sourced", "cs_influenced"):
        flags[column] = (won[column].astype("boolean").fillna(False).astype(bool)
                         if column in won.columns else pd.Series(False, index=won.index))
    won["collaboration"] = np.where(flags["cs_sourced"], "sourced",
                                    np.where(flags["cs_influenced"], "influenced", "none"))
    won["amount"] = won["amount"].astype(float)
    return won


def _credit_parts(model: pd.Series, plan: CompPlan, kind: str,
                  collaboration: str) -> list[tuple[str, str, float]]:
    """(team, role, share of the dollar) for one won dollar of ``kind``."""
    owner = model[f"{kind}_owner"]
    if not (model["cs_influence_credit"] == "yes" and kind == "expansion"
            and owner != "cs" and collaboration != "none"):
        return [(owner, "owner", 1.0)]
    if plan.is_real(collaboration):
        return [(owner, "owner", 1.0), ("cs", "collaboration", 1.0)]
    return [(owner, "owner", 1.0 - plan.split), ("cs", "influence", plan.split)]


def credit(opportunities: pd.DataFrame | Company, model_id: str,
           plan: CompPlan | None = None) -> pd.DataFrame:
    """Credit each won opportunity to the teams ``model_id`` pays, and price the pay.

    The model, not the data's ``owner_team``, decides who owns each type of opportunity
    (the point is to compare models on the same deals). Under a model with
    ``cs_influence_credit``, a won expansion CS worked on (``cs_sourced``, else
    ``cs_influenced``; a column the data lack counts as false) is also credited to CS:
    in full where the plan's rule of engagement counts it as real collaboration (role
    ``collaboration``: one dollar paid to two teams, as source 004 allows), else split
    (role ``influence``: CS gets ``plan.split`` of the dollar, the owner the rest).

    Parameters
    ----------
    opportunities : pandas.DataFrame or Company
        Opportunities with ``opportunity_id``, ``type``, ``amount`` and ``status``.
    model_id : str
        One of :func:`ownership_models`' ``model_id``.
    plan : CompPlan, optional
        The rates and the rule; the defaults are the book's illustrative assumptions.

    Returns
    -------
    pandas.DataFrame
        One row per won opportunity per credited team: ``opportunity_id``,
        ``account_id``, ``type``, ``collaboration`` (``sourced``, ``influenced`` or
        ``none``), ``amount``, ``team``, ``role`` (``owner``, ``collaboration`` or
        ``influence``), ``credited_amount``, ``rate`` and ``pay``.

    Examples
    --------
    >>> deals = pd.DataFrame({"opportunity_id": ["o1", "o2"], "type": ["expansion"] * 2,
    ...                       "amount": [1000.0, 1000.0], "status": ["won", "won"],
    ...                       "cs_sourced": [True, False], "cs_influenced": [True, True]})
    >>> credit(deals, "cs-renewals-sales-expansion")[["team", "role", "pay"]]
        team           role   pay
    0  sales          owner  80.0
    1     cs  collaboration  50.0
    2  sales          owner  40.0
    3     cs      influence  25.0
    """
    plan = CompPlan() if plan is None else plan
    if not isinstance(plan, CompPlan):
        raise ParameterError(f"plan must be a CompPlan, not {type(plan).__name__}.")
    model = _model(model_id)
    rows = []
    for deal in _won(opportunities).itertuples(index=False):
        for team, role, part in _credit_parts(model, plan, deal.type, deal.collaboration):
            amount = deal.amount * part
            rate = plan.rate(team, deal.type)
            rows.append((deal.opportunity_id, deal.account_id, deal.type, deal.collaboration,
                         deal.amount, team, role, amount, rate, amount * rate))
    out = pd.DataFrame(rows, columns=list(CREDIT_COLUMNS))
    for column in ("amount", "credited_amount", "rate", "pay"):
        out[column] = out[column].astype(float)
    return out


def credit_summary(opportunities: pd.DataFrame | Company, model_id: str,
                   plan: CompPlan | None = None) -> pd.DataFrame:
    """Per team: opportunities credited, ARR credited and variable pay, under a model.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``team`` (in the order sales, cs, pod, expansion-rep, teams the model
        does not credit left out), with ``opportunities``, ``credited_amount`` and
        ``pay``.

    Examples
    --------
    >>> deals = pd.DataFrame({"opportunity_id": ["o1", "o2"], "type": ["new", "renewal"],
    ...                       "amount": [1000.0, 500.0], "status": ["won", "won"]})
    >>> float(credit_summary(deals, "all-sales").loc["sales", "pay"])
    110.0
    """
    credited = credit(opportunities, model_id, plan)
    out = credited.groupby("team").agg(opportunities=("opportunity_id", "nunique"),
                                       credited_amount=("credited_amount", "sum"),
                                       pay=("pay", "sum"))
    order = [t for t in TEAMS if t in out.index]
    return out.loc[order]


def double_credit(opportunities: pd.DataFrame | Company, model_id: str,
                  plan: CompPlan | None = None) -> pd.DataFrame:
    """Won opportunities credited in full to two teams, and what that costs.

    Under :func:`credit` a dollar is paid to two teams only where the plan's rule of
    engagement counts the expansion as real collaboration; this lists those deals, so a
    reader can see what the rule pays for collaboration (``plan.real_collaboration``
    ``involved`` shows what paying every touch would cost).

    Parameters
    ----------
    opportunities, model_id, plan
        As for :func:`credit`.

    Returns
    -------
    pandas.DataFrame
        One row per double-credited opportunity: ``opportunity_id``, ``account_id``,
        ``type``, ``collaboration``, ``amount``, ``teams`` (e.g. ``sales+cs``),
        ``credited_amount`` (the total credited, more than ``amount``),
        ``extra_credit`` (the amount credited beyond the owner's) and ``extra_pay``
        (the pay to the team beyond the owner). Empty under a model that credits one
        team per dollar or a rule that counts nothing as real collaboration.

    Examples
    --------
    >>> deals = pd.DataFrame({"opportunity_id": ["o1"], "type": ["expansion"],
    ...                       "amount": [1000.0], "status": ["won"], "cs_sourced": [True]})
    >>> double_credit(deals, "expansion-reps")["extra_pay"].tolist()
    [50.0]
    >>> len(double_credit(deals, "expansion-reps", CompPlan(real_collaboration="none")))
    0
    """
    credited = credit(opportunities, model_id, plan)
    columns = ["opportunity_id", "account_id", "type", "collaboration", "amount", "teams",
               "credited_amount", "extra_credit", "extra_pay"]
    doubled = credited[credited["opportunity_id"].isin(
        credited.loc[credited["role"] == "collaboration", "opportunity_id"])]
    if doubled.empty:
        return pd.DataFrame({c: pd.Series(dtype=float if c in columns[6:] or c == "amount"
                                          else object) for c in columns})
    extra = doubled[doubled["role"] == "collaboration"]
    grouped = doubled.groupby("opportunity_id", sort=False)
    out = grouped.agg(account_id=("account_id", "first"), type=("type", "first"),
                      collaboration=("collaboration", "first"), amount=("amount", "first"),
                      teams=("team", "+".join), credited_amount=("credited_amount", "sum"))
    out["extra_credit"] = extra.groupby("opportunity_id")["credited_amount"].sum()
    out["extra_pay"] = extra.groupby("opportunity_id")["pay"].sum()
    return out.reset_index()[columns]


# ---------------------------------------------------------------------------------------
# How behaviour responds to pay (the book's model)
# ---------------------------------------------------------------------------------------

OUTCOME_COLUMNS = ("retention_incentive", "expansion_incentive", "collaboration_incentive",
                   "book", "churned", "retained", "expansion", "sourced_expansion",
                   "sourced_share", "new", "nrr", "grr", "pay_sales", "pay_cs", "pay_pod",
                   "pay_expansion_rep", "pay_total", "double_pay")


def incentives(model_id: str, plan: CompPlan | None = None) -> dict[str, float]:
    """What a model pays, per dollar, for the three behaviours the outcome model moves.

    * ``retention``: the CSM's pay per renewal dollar kept (the CSM holds the
      relationship; under ``all-sales`` the CSM is on a flat salary, so 0);
    * ``expansion``: the expansion owner's pay per expansion dollar;
    * ``collaboration``: the CSM's pay per expansion dollar the CSM finds and passes on
      (in full under the rule of engagement, else ``split`` of the owner's; the pod's
      expansion rate in a pod, where the CSM shares the book's NRR).

    >>> incentives("all-sales")
    {'retention': 0.0, 'expansion': 0.08, 'collaboration': 0.0}
    """
    plan = CompPlan() if plan is None else plan
    model = _model(model_id)
    renewal_owner, expansion_owner = model["renewal_owner"], model["expansion_owner"]
    retention = plan.rate(renewal_owner, "renewal") if renewal_owner != "sales" else 0.0
    if expansion_owner in ("cs", "pod"):
        collaboration = plan.rate(expansion_owner, "expansion")
    elif model["cs_influence_credit"] == "yes":
        share = 1.0 if plan.is_real("sourced") else plan.split
        collaboration = share * plan.cs_expansion_rate
    else:
        collaboration = 0.0
    return {"retention": retention, "expansion": plan.rate(expansion_owner, "expansion"),
            "collaboration": collaboration}


def ownership_outcomes(opportunities: pd.DataFrame | Company, plan: CompPlan | None = None,
                       current_model: str = "cs-renewals-sales-expansion",
                       pay_response: float = 0.05) -> pd.DataFrame:
    """Outcomes and pay of every ownership model, with behaviour that responds to pay.

    Source 004: "compensation drives behavior". How much is the book's own model, not a
    source's: the data are what the company's ``current_model`` produced; under another
    model each behaviour moves by ``exp(pay_response x the change in its pay per dollar,
    in percentage points)``, where :func:`incentives` says what each model pays for it.
    Churn (lost renewal ARR) falls as the CSM's pay per retained dollar rises; the
    expansions CS sources rise with the CSM's pay for sourcing them; the other
    expansions rise with the owner's pay per expansion dollar. New logos do not move.
    With ``pay_response=0`` every model has the data's outcomes and differs only in pay.

    Parameters
    ----------
    opportunities : pandas.DataFrame or Company
        The opportunities. The book is the renewal ARR due (renewals won or lost),
        churn the renewals lost, expansion the expansions won.
    plan : CompPlan, optional
        The rates and the rule of engagement.
    current_model : str
        The model the company runs today, which produced the data.
    pay_response : float
        The book's assumption: the change in the log of an outcome per percentage point
        of pay per dollar (0.05: one point more pay, about 5% more of the behaviour).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``model_id``: the three ``*_incentive`` rates; ``book``, ``churned``,
        ``retained``, ``expansion``, ``sourced_expansion``, ``sourced_share`` (of the
        expansion ARR, the share CS sourced), ``new``; ``nrr`` and ``grr`` of the book
        (NaN for an empty book); the pay of each team, ``pay_total`` and
        ``double_pay`` (pay for dollars credited to two teams). Pay is :func:`credit`'s
        rules applied to the outcomes (a pod's is :func:`pod_pay`).

    Examples
    --------
    >>> deals = pd.DataFrame({"opportunity_id": ["r1", "r2", "e1"],
    ...     "type": ["renewal", "renewal", "expansion"], "amount": [900.0, 100.0, 50.0],
    ...     "status": ["won", "lost", "won"]})
    >>> flat = ownership_outcomes(deals, pay_response=0.0)
    >>> flat["nrr"].round(2).unique().tolist(), float(flat.loc["all-sales", "pay_total"])
    ([0.95], 22.0)
    >>> moved = ownership_outcomes(deals, pay_response=0.05)
    >>> bool(moved.loc["all-sales", "churned"] > moved.loc["revenue-pod", "churned"])
    True
    """
    plan = CompPlan() if plan is None else plan
    if not isinstance(plan, CompPlan):
        raise ParameterError(f"plan must be a CompPlan, not {type(plan).__name__}.")
    pay_response = check_number(
        "pay_response", pay_response, low=0, high=1, rule="a number from 0 to 1 (0.05: one "
        "point more pay per dollar, about 5% more of the behaviour)")
    _model(current_model)
    deals = _deals(opportunities, ("won", "lost"))
    won = deals[deals["status"].astype(str) == "won"]
    renewals = deals[deals["type"] == "renewal"]
    book = float(renewals["amount"].sum())
    churn0 = float(renewals.loc[renewals["status"].astype(str) == "lost", "amount"].sum())
    expansions = won[won["type"] == "expansion"]
    by_kind = expansions.groupby("collaboration")["amount"].sum()
    sourced0 = float(by_kind.get("sourced", 0.0))
    influenced0, plain0 = float(by_kind.get("influenced", 0.0)), float(by_kind.get("none", 0.0))
    new = float(won.loc[won["type"] == "new", "amount"].sum())
    now = incentives(current_model, plan)
    models, rows = ownership_models(), {}
    for model_id, model in models.iterrows():
        pays = incentives(model_id, plan)

        def moved(name: str, _pays=pays) -> float:
            return math.exp(pay_response * 100 * (_pays[name] - now[name]))

        churned = min(book, churn0 / moved("retention"))
        retained = book - churned
        other = moved("expansion")
        dollars = {("renewal", "none"): retained, ("new", "none"): new,
                   ("expansion", "sourced"): sourced0 * moved("collaboration"),
                   ("expansion", "influenced"): influenced0 * other,
                   ("expansion", "none"): plain0 * other}
        pay = dict.fromkeys(TEAMS, 0.0)
        double = 0.0
        for (kind, collaboration), amount in dollars.items():
            for team, role, part in _credit_parts(model, plan, kind, collaboration):
                paid = amount * part * plan.rate(team, kind)
                pay[team] += paid
                double += paid if role == "collaboration" else 0.0
        expansion = sum(v for (k, _), v in dollars.items() if k == "expansion")
        sourced = dollars[("expansion", "sourced")]
        rows[model_id] = {
            "retention_incentive": pays["retention"], "expansion_incentive": pays["expansion"],
            "collaboration_incentive": pays["collaboration"], "book": book,
            "churned": churned, "retained": retained, "expansion": expansion,
            "sourced_expansion": sourced,
            "sourced_share": sourced / expansion if expansion > 0 else np.nan, "new": new,
            "nrr": (retained + expansion) / book if book > 0 else np.nan,
            "grr": retained / book if book > 0 else np.nan,
            **{f"pay_{team.replace('-', '_')}": value for team, value in pay.items()},
            "pay_total": sum(pay.values()), "double_pay": double}
    out = pd.DataFrame.from_dict(rows, orient="index")[list(OUTCOME_COLUMNS)]
    out.index.name = "model_id"
    return out.astype(float)


# ---------------------------------------------------------------------------------------
# Responsibility matrix
# ---------------------------------------------------------------------------------------

def raci(model_id: str) -> pd.DataFrame:
    """Who is Responsible, Accountable, Consulted and Informed, under a model.

    The letters are the book's reading of each model (the sources name the owners of
    renewals and expansion, source 000 the handoff and the first-90-days SLA; the rest
    is the book's assumption), kept in ``csmodels/data/collaboration_raci.csv``.

    Returns
    -------
    pandas.DataFrame
        Rows are the activities (handoff, first-90-days, adoption, qbrs, renewals,
        expansion), columns the roles the model has (ae, expansion-ae, csm, se,
        cs-leader, sales-leader), values R, A, C or I. Each activity has exactly one A
        and at least one R.

    Examples
    --------
    >>> raci("cs-renewals-sales-expansion").loc["renewals", "csm"]
    'R'
    >>> "expansion-ae" in raci("expansion-reps").columns
    True
    """
    _model(model_id)
    rules = _table("raci")
    rules = rules[rules["model_id"] == model_id]
    matrix = rules.pivot(index="activity", columns="role", values="letter")
    matrix = matrix.reindex(index=list(ACTIVITIES),
                            columns=[r for r in ROLES if r in matrix.columns])
    matrix.index.name, matrix.columns.name = "activity", "role"
    return matrix


# ---------------------------------------------------------------------------------------
# Leader's self-assessment
# ---------------------------------------------------------------------------------------

def practices() -> pd.DataFrame:
    """Source 000's five collaboration practices and source 002's five leader strategies.

    >>> practices()["group"].value_counts().to_dict()
    {'collaboration practice': 5, 'leader strategy': 5}
    """
    return _table("practices").copy()


def self_assessment(answers: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Score each practice 0 (not in place), 1 (partly) or 2 (in place).

    Parameters
    ----------
    answers : dict, optional
        ``practice_id`` to score. A practice left out scores 0 and is flagged
        ``answered=False``.

    Returns
    -------
    pandas.DataFrame
        :func:`practices` with ``score``, ``status`` (the score in words) and
        ``answered``.

    Raises
    ------
    ParameterError
        For an unknown ``practice_id`` or a score other than 0, 1 or 2, naming the key.

    Examples
    --------
    >>> frame = self_assessment({"documented-handoff": 2, "shared-metrics": 1})
    >>> int(frame["score"].sum()), int(frame["answered"].sum())
    (3, 2)
    >>> self_assessment({"handoff": 2})
    Traceback (most recent call last):
    ...
    csmodels.exceptions.ParameterError: Unknown practice 'handoff'. Use one of: documented-handoff, first-90-days-sla, shared-metrics, joint-training, success-sales-line, dual-accountability, team-design, program-management, cross-functional-alliances, value-framework.
    """  # noqa: E501
    frame = practices()
    answers = {} if answers is None else answers
    if not isinstance(answers, Mapping):
        raise ParameterError("answers must map practice ids to scores 0, 1 or 2, not "
                             f"{type(answers).__name__}.")
    known = frame["practice_id"].tolist()
    for key, value in answers.items():
        if key not in known:
            raise ParameterError(f"Unknown practice {key!r}. Use one of: {', '.join(known)}.")
        if not is_number(value, low=min(SCORES), high=max(SCORES), whole=True):
            raise ParameterError(f"The score of {key!r} must be 0 (not in place), 1 (partly) "
                                 f"or 2 (in place), not {shown(value)}.")
    frame["score"] = [int(answers.get(p, 0)) for p in known]
    frame["status"] = frame["score"].map(SCORES)
    frame["answered"] = [p in answers for p in known]
    return frame


def assessment_score(frame: pd.DataFrame) -> float | None:
    """The self-assessment's score as a share of the maximum (2 per practice) over the
    practices answered; ``None`` when none is answered (an unanswered practice is not
    known to be absent).

    >>> assessment_score(self_assessment({"documented-handoff": 2, "shared-metrics": 1}))
    0.75
    >>> assessment_score(self_assessment()) is None
    True
    """
    if frame.empty:
        raise ParameterError("The self-assessment has no practices to score.")
    answered = frame.loc[frame["answered"]]
    if answered.empty:
        return None
    return float(answered["score"].sum()) / (max(SCORES) * len(answered))


# ---------------------------------------------------------------------------------------
# The chapter's summary
# ---------------------------------------------------------------------------------------

STRICT_HANDOFF_DAYS = 7  # exercise 1's tighter SLA
EXERCISE_RESPONSE_FACTOR = 2  # exercise 3 doubles the pay response (0.1 from zero)


def exercise_response(pay_response: float) -> float:
    """The pay response exercise 3 asks for: double the chapter's, at most 1; 0.1 where the
    chapter's is 0.

    >>> exercise_response(0.05), exercise_response(0.0), exercise_response(0.8)
    (0.1, 0.1, 1.0)
    """
    if pay_response <= 0:
        return 0.1
    return min(1.0, pay_response * EXERCISE_RESPONSE_FACTOR)


def _num(value) -> float | None:
    """A float, or None where undefined (NaN, NA, None)."""
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class HandoffFigures(Summary):
    """Handoff completeness and timing against the SLA, and quality against outcomes."""

    handoffs: int = figure("Handoffs", "count")
    share_complete: float | None = figure("Complete handoffs", "ratio")
    mean_completeness: float | None = figure("Average completeness", "ratio")
    median_handoff: float | None = figure("Median days from close to handoff", "days")
    median_kickoff: float | None = figure("Median days from close to kickoff", "days")
    sla_compliance: float | None = figure("Handoffs meeting both terms of the SLA", "ratio")
    missing_kickoff: int = figure("Handoffs with no kickoff date", "count")
    n_complete: int = figure("Complete handoffs (count)", "count")
    n_incomplete: int = figure("Incomplete handoffs (count)", "count")
    ttv_complete: float | None = figure("Median days to value, complete handoffs", "days")
    ttv_incomplete: float | None = figure("Median days to value, incomplete handoffs", "days")
    ret_complete: float | None = figure("First-year retention, complete handoffs", "ratio")
    ret_incomplete: float | None = figure("First-year retention, incomplete handoffs",
                                          "ratio")
    value_from_contract: float | None = figure(
        "First value within the first days of the contract", "ratio",
        help="handoff_report's value_in_first_days, among the windows that have closed.")
    absent_note: str = figure("Documented items the file lacks", "text")
    strict_compliance: float | None = figure(
        f"Handoffs meeting the SLA with a {STRICT_HANDOFF_DAYS}-day handoff", "ratio",
        help="Exercise 1: the same data under the tighter SLA.")


@dataclass(frozen=True)
class FirstDaysFigures(Summary):
    """The first days after each handoff (source 000's 90-day window), on the data."""

    windows: int = figure("Handoffs whose window has closed", "count")
    open_windows: int = figure("Handoffs whose window is still open", "count")
    kickoff: float | None = figure("Kickoff held in the window", "ratio")
    go_live: float | None = figure("Live on the product in the window", "ratio")
    first_value: float | None = figure("First value in the window", "ratio")
    qbr: float | None = figure("A QBR in the window", "ratio")
    paying: float | None = figure("Still paying at the window's end", "ratio")
    adoption: float | None = figure("Median adoption at the window's end", "ratio")
    value_complete: float | None = figure("First value in the window, complete handoffs",
                                          "ratio")
    value_incomplete: float | None = figure(
        "First value in the window, incomplete handoffs", "ratio")


@dataclass(frozen=True)
class GeneratorFigures(Summary):
    """What the sample's generator (:mod:`csmodels.synth`) built in about handoffs."""

    ttv_effect: float = figure("Onboarding lengthened per unit of missing completeness",
                               "number")
    health_effect: float = figure("Health shift per unit of completeness", "number")
    late_prob: float = figure("Chance an average handoff is late", "ratio")


@dataclass(frozen=True)
class OwnershipFigures(Summary):
    """Credit, pay and outcomes of the ownership models on the company's opportunities."""

    rule: str = figure("Real collaboration (rule of engagement)", "text")
    n_double: int = figure("Deals paid in full to two teams", "count")
    double_credit: float = figure("Bookings credited twice", "money")
    double_pay: float = figure("Pay for real collaboration", "money")
    n_split: int = figure("Deals CS worked on, credited once and split", "count")
    involved_double_pay: float = figure("Pay for collaboration if every touch counted",
                                        "money", help="Exercise 2: real_collaboration "
                                        "'involved'.")
    involved_n_double: int = figure("Deals paid twice if every touch counted", "count")
    pay_response: float = figure("Pay response (the book's)", "number")
    current_nrr: float | None = figure("NRR of the book under the current model", "ratio")
    current_grr: float | None = figure("GRR of the book under the current model", "ratio")
    best_model: str | None = figure("Model(s) with the highest NRR (every model of a tie)",
                                    "text")
    best_nrr: float | None = figure("Highest NRR", "ratio")
    worst_model: str | None = figure("Model(s) with the lowest NRR (every model of a tie)",
                                     "text")
    worst_nrr: float | None = figure("Lowest NRR", "ratio")
    current_churn: float | None = figure("Share of the book churned, current model", "ratio")
    flat_churn: float | None = figure(
        "Share of the book churned with a flat-salary CSM (all-sales)", "ratio")
    flat_sourced_share: float | None = figure(
        "Share of expansion CS sources with a flat-salary CSM", "ratio")
    current_sourced_share: float | None = figure(
        "Share of expansion CS sources under the current model", "ratio")
    pod_bonus_rate: float = figure("Pod's bonus at goal, share of its book", "ratio")
    pod_attainment: float | None = figure(
        "Revenue pod's attainment of its goals, on the outcomes modelled under the pod", "ratio")
    pod_pay: float | None = figure("Revenue pod's bonus, on the outcomes modelled under the pod",
                                   "money")
    pod_attainment_data: float | None = figure(
        "Revenue pod's attainment of its goals on the data's outcomes (behaviour unchanged)",
        "ratio")
    nrr_goal: float = figure("Pod's NRR goal", "ratio")
    grr_goal: float = figure("Pod's GRR goal", "ratio")
    ex_response: float = figure("Exercise 3's pay response", "number")
    ex_best_model: str | None = figure("Model(s) with the highest NRR at exercise 3's "
                                       "response", "text")
    ex_best_nrr: float | None = figure("That NRR", "ratio")
    ex_worst_nrr: float | None = figure("Lowest NRR at exercise 3's response", "ratio")


@dataclass(frozen=True)
class AssessmentFigures(Summary):
    """The leader's self-assessment."""

    score: float | None = figure("Self-assessment score, over the practices answered",
                                 "ratio")
    verdict: str = figure("The self-assessment in words", "text")
    n_answered: int = figure("Practices answered", "count")
    n_gaps: int = figure("Practices answered as not in place", "count")
    gaps: str = figure("The practices not in place", "text")
    n_unanswered: int = figure("Practices left unanswered", "count")


@dataclass(frozen=True)
class CollaborationSummary(Summary):
    """Every figure of the collaboration chapter, and the frames its charts draw."""

    company_name: str = figure("Company", "text")
    sla_days: int = figure("SLA: days from close to handoff", "count")
    kickoff_days: int = figure("SLA: days from close to kickoff", "count")
    first_days: int = figure("Days of the first-days window", "count")
    strict_days: int = figure("Exercise 1's handoff days", "count")
    model_name: str = figure("Ownership model", "text")
    handoffs: HandoffFigures | None = section("Needs handoffs.")
    first90: FirstDaysFigures | None = section("Needs handoffs with a closed window.")
    generator: GeneratorFigures | None = section("Only on the book's sample company.")
    ownership: OwnershipFigures | None = section("Needs opportunities.")
    assessment: AssessmentFigures | None = section()
    handoff_need: str = field(default="ok", compare=False)
    first_days_need: str = field(default="ok", compare=False)
    opps_need: str = field(default="ok", compare=False)
    currency: str = field(default="USD", compare=False)
    report: pd.DataFrame | None = drawn()
    days: pd.DataFrame | None = drawn()
    days_table: pd.DataFrame | None = drawn()
    models: pd.DataFrame | None = drawn()
    pay: pd.DataFrame | None = drawn()
    outcomes: pd.DataFrame | None = drawn()
    matrix: pd.DataFrame | None = drawn()
    assessed: pd.DataFrame | None = drawn()


def _handoff_figures(company: Company, terms: SlaTerms) -> tuple[HandoffFigures,
                                                                  pd.DataFrame]:
    report = handoff_report(company, terms)
    s = handoff_summary(report)
    q = s["by_quality"]
    strict = handoff_summary(handoff_report(company, SlaTerms(
        handoff_within_days=STRICT_HANDOFF_DAYS, kickoff_within_days=terms.kickoff_within_days,
        first_days=terms.first_days, required=terms.required)))
    absent = s["absent_fields"]
    note = ("The file records every one of the four." if not absent else
            "The file lacks " + ", ".join(absent) + ", so completeness counts only the "
            "others.")
    return HandoffFigures(
        handoffs=s["handoffs"], share_complete=s["share_complete"],
        mean_completeness=s["mean_completeness"], median_handoff=s["median_days_to_handoff"],
        median_kickoff=s["median_days_to_kickoff"], sla_compliance=s["sla_compliance"],
        missing_kickoff=s["missing_kickoff"], n_complete=q["complete"]["count"],
        n_incomplete=q["incomplete"]["count"],
        ttv_complete=q["complete"]["median_days_to_value"],
        ttv_incomplete=q["incomplete"]["median_days_to_value"],
        ret_complete=q["complete"]["first_year_retention"],
        ret_incomplete=q["incomplete"]["first_year_retention"],
        value_from_contract=_share_true(report["value_in_first_days"]), absent_note=note,
        strict_compliance=strict["sla_compliance"]), report


def _first_days_figures(days: pd.DataFrame, table: pd.DataFrame) -> FirstDaysFigures:
    closed = days[days["window_closed"]]
    return FirstDaysFigures(
        windows=len(closed), open_windows=int((~days["window_closed"]).sum()),
        **{m: _num(table.loc[m, "all"]) for m in MILESTONES},
        adoption=_num(closed["adoption"].median()) if closed["adoption"].notna().any()
        else None,
        value_complete=_num(table.loc["first_value", "complete"]),
        value_incomplete=_num(table.loc["first_value", "incomplete"]))


def _generator_figures() -> GeneratorFigures:
    from .synth import CompanyShape

    shape = CompanyShape()
    return GeneratorFigures(ttv_effect=shape.ttv_handoff_effect,
                            health_effect=shape.handoff_health_effect,
                            late_prob=shape.late_handoff_prob)


NRR_TIE = 1e-6  # two models' NRRs closer than this are a tie (a summary keeps six decimals)


def _extreme(outcomes: pd.DataFrame, models: pd.DataFrame, highest: bool
             ) -> tuple[str | None, float | None]:
    """The model(s) with the highest (or lowest) NRR, every model of a tie named, in the
    order of ``outcomes``, and that NRR.

    >>> models = pd.DataFrame({"name": ["A, one", "B", "C"]}, index=["a", "b", "c"])
    >>> _extreme(pd.DataFrame({"nrr": [1.05, 1.02, 1.05]}, index=["a", "b", "c"]), models, True)
    ('“A, one” and “C” (a tie)', 1.05)
    >>> _extreme(pd.DataFrame({"nrr": [1.0, 1.0, 1.0]}, index=["a", "b", "c"]), models, False)
    ('“A, one”, “B” and “C” (a tie)', 1.0)
    """
    nrr = outcomes["nrr"].dropna()
    if nrr.empty:
        return None, None
    value = float(nrr.max() if highest else nrr.min())
    names = [str(models.loc[m, "name"]) for m in nrr.index[(nrr - value).abs() <= NRR_TIE]]
    if len(names) == 1:
        return names[0], value
    # model names hold commas and "and", so each name of a tie is quoted
    quoted = [f"“{name}”" for name in names]
    return f"{', '.join(quoted[:-1])} and {quoted[-1]} (a tie)", value


def _ownership_figures(company: Company, plan: CompPlan, model_id: str,
                       pay_response: float) -> tuple[OwnershipFigures, pd.DataFrame,
                                                     pd.DataFrame]:
    models = ownership_models()
    doubles = double_credit(company, model_id, plan)
    involved = double_credit(company, model_id, replace(plan, real_collaboration="involved"))
    credited = credit(company, model_id, plan)
    outcomes = ownership_outcomes(company, plan, model_id, pay_response)
    faster = ownership_outcomes(company, plan, model_id, exercise_response(pay_response))
    now, flat, pod = (outcomes.loc[model_id], outcomes.loc["all-sales"],
                      outcomes.loc["revenue-pod"])
    pod_book = pod_pay(pod["book"], pod["retained"], pod["expansion"], plan)
    # the data are what the current model produced: its outcomes are the data's
    pod_data = pod_pay(now["book"], now["retained"], now["expansion"], plan)
    best_model, best_nrr = _extreme(outcomes, models, True)
    worst_model, worst_nrr = _extreme(outcomes, models, False)
    ex_model, ex_nrr = _extreme(faster, models, True)
    figures = OwnershipFigures(
        rule=plan.real_collaboration, n_double=len(doubles),
        double_credit=float(doubles["extra_credit"].sum()),
        double_pay=float(doubles["extra_pay"].sum()),
        n_split=int(credited.loc[credited["role"] == "influence", "opportunity_id"].nunique()),
        involved_double_pay=float(involved["extra_pay"].sum()),
        involved_n_double=len(involved), pay_response=float(pay_response),
        current_nrr=_num(now["nrr"]), current_grr=_num(now["grr"]), best_model=best_model,
        best_nrr=best_nrr, worst_model=worst_model, worst_nrr=worst_nrr,
        current_churn=_num(now["churned"] / now["book"]) if now["book"] > 0 else None,
        flat_churn=_num(flat["churned"] / flat["book"]) if flat["book"] > 0 else None,
        flat_sourced_share=_num(flat["sourced_share"]),
        current_sourced_share=_num(now["sourced_share"]),
        pod_bonus_rate=plan.pod_bonus_rate, pod_attainment=_num(pod_book["attainment"]),
        pod_pay=_num(pod_book["pay"]), pod_attainment_data=_num(pod_data["attainment"]),
        nrr_goal=plan.nrr_goal, grr_goal=plan.grr_goal,
        ex_response=exercise_response(pay_response), ex_best_model=ex_model,
        ex_best_nrr=ex_nrr, ex_worst_nrr=_extreme(faster, models, False)[1])
    pay = outcomes[[f"pay_{t.replace('-', '_')}" for t in TEAMS]].rename(
        columns=lambda c: c.removeprefix("pay_").replace("_", "-"))
    pay = (pay.rename(index=models["name"]).rename_axis("model").reset_index()
           .melt(id_vars="model", var_name="team", value_name="pay"))
    return figures, outcomes, pay[pay["pay"] > 0].reset_index(drop=True)


def summarise(data_dir: str | Path, profile_path: str | Path | None = None, *,
              handoff_within_days: int = 14, kickoff_within_days: int = 30,
              first_days: int = 90, ownership_model: str = "cs-renewals-sales-expansion",
              real_collaboration: str = "sourced", split: float = 0.5,
              pay_response: float = 0.05, pay_plan: Mapping[str, float] | None = None,
              self_assessment_answers: Mapping[str, int] | None = None
              ) -> CollaborationSummary:
    """Load the company once and compute every figure of the collaboration chapter.

    Parameters
    ----------
    data_dir, profile_path
        The data folder and its profile (``None``: the folder's ``profile.yml``).
    handoff_within_days, kickoff_within_days, first_days
        The SLA (:class:`SlaTerms`).
    ownership_model
        The model the company runs today: its RACI, its double credit, and the data's
        outcomes in :func:`ownership_outcomes`.
    real_collaboration, split
        The rule of engagement (:class:`CompPlan`).
    pay_response
        How strongly behaviour follows pay (:func:`ownership_outcomes`; the book's).
    pay_plan
        Pay rates and the pod's goals that differ from the book's (:func:`comp_plan`).
    self_assessment_answers
        Answers over the profile's ``self_assessment``.

    Returns
    -------
    CollaborationSummary
        A section is ``None`` where the data cannot support it; ``handoff_need``,
        ``first_days_need`` and ``opps_need`` then say why.

    Examples
    --------
    >>> s = summarise("data/sample")
    >>> s.handoffs.handoffs > 0, s.generator is not None, s.ownership.rule
    (True, True, 'sourced')
    """
    from . import needs
    from .book import company_name, is_sample
    from .inputs import load_company
    from .profile import default_profile_path, load_profile

    plan = comp_plan(pay_plan, real_collaboration=real_collaboration, split=split)
    profile = load_profile(default_profile_path(data_dir, profile_path))
    company = load_company(data_dir)
    terms = SlaTerms(handoff_within_days=handoff_within_days,
                     kickoff_within_days=kickoff_within_days, first_days=first_days)
    models = ownership_models()
    _model(ownership_model)
    out: dict = {"handoffs": None, "first90": None, "ownership": None}
    handoff_need = needs.rows(company, "handoffs", "The handoff analysis")
    first_need = handoff_need
    if handoff_need == needs.OK:
        out["handoffs"], out["report"] = _handoff_figures(company, terms)
        days = first_days_report(company, terms)
        if days["window_closed"].any():
            out["days"], out["days_table"] = days, first_days_table(days)
            out["first90"] = _first_days_figures(days, out["days_table"])
        else:
            first_need = (f"The first {first_days} days are skipped: no handoff's window "
                          "has closed before the data end. Data running "
                          f"{first_days} days past a handoff would enable it.")
    opps_need = needs.rows(company, "opportunities", "Crediting and pay by ownership model")
    if opps_need == needs.OK and _won(company).empty:
        opps_need = ("Crediting and pay by ownership model is skipped: no opportunity in "
                     "opportunities.csv is won. Won opportunities would enable it.")
    if opps_need == needs.OK:
        out["ownership"], out["outcomes"], out["pay"] = _ownership_figures(
            company, plan, ownership_model, pay_response)
    answers = {**(profile.self_assessment or {}), **(self_assessment_answers or {})}
    assessed = self_assessment(answers)
    gaps = assessed.loc[assessed["answered"] & (assessed["score"] == 0),
                        "practice_id"].tolist()
    score, n_answered = assessment_score(assessed), int(assessed["answered"].sum())
    verdict = ("answers none of the self-assessment's practices, so it has no score" if score
               is None else f"scores {score:.1%} of the maximum over the {n_answered} "
               "practices it answers")
    assessment = AssessmentFigures(score=score, verdict=verdict, n_answered=n_answered,
                                   n_gaps=len(gaps), gaps=", ".join(gaps) if gaps else "none",
                                   n_unanswered=len(assessed) - n_answered)
    return CollaborationSummary(
        company_name=str(company_name(profile, data_dir)), sla_days=handoff_within_days,
        kickoff_days=kickoff_within_days, first_days=first_days,
        strict_days=STRICT_HANDOFF_DAYS, model_name=str(models.loc[ownership_model, "name"]),
        generator=_generator_figures() if is_sample(data_dir) else None,
        assessment=assessment, handoff_need=handoff_need, first_days_need=first_need,
        opps_need=opps_need, currency=profile.currency, models=models,
        matrix=raci(ownership_model), assessed=assessed, **out)
