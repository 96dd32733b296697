"""Sales and Customer Success collaboration: handoffs, ownership, pay and roles.

Four tools, each from the sources of the collaboration chapter:

* **Handoff analytics** (source 000: a documented handoff and an SLA that says who owns
  the customer in the first 90 days). :func:`handoff_report` scores each handoff's
  documentation and timing against :class:`SlaTerms`; :func:`handoff_summary` adds the
  association between handoff quality and outcomes (time to value, first-year
  retention). Association, not cause: better-run deals may both be handed off well and
  retain better for other reasons.
* **Ownership and compensation models** (source 004's hybrid models, plus two
  comparison points of the book's), read from
  ``csmodels/data/collaboration_ownership_models.csv``. :func:`credit` credits each won
  opportunity to the teams a model pays, :func:`credit_summary` totals it per team and
  :func:`double_credit` finds and prices the dollars paid in full to two teams, which
  source 004 warns against ("avoid double comping unless there's real collaboration").
* **A responsibility (RACI) matrix** per model, :func:`raci`, from
  ``csmodels/data/collaboration_raci.csv``.
* **A leader's self-assessment** of source 000's five collaboration practices and
  source 002's five strategies, :func:`self_assessment` and :func:`assessment_score`.

Every number the sources do not give (the SLA days, the commission rates) is labelled
as the book's assumption where it is defined.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ._tables import package_table
from .exceptions import ParameterError
from .inputs import Company

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


def _whole(name: str, value: object, low: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ParameterError(f"{name} must be a whole number of days >= {low}, not {value!r}.")


def _share(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and 0 <= value <= 1):
        raise ParameterError(f"{name} must be a fraction from 0 to 1 (0.10 = 10%), "
                             f"not {value!r}.")


# ---------------------------------------------------------------------------------------
# Handoff analytics
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SlaTerms:
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

    handoff_within_days: int = 14
    kickoff_within_days: int = 30
    first_days: int = 90
    required: tuple[str, ...] = DOCUMENTED_FIELDS

    def __post_init__(self) -> None:
        for name in ("handoff_within_days", "kickoff_within_days", "first_days"):
            _whole(name, getattr(self, name))
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


# ---------------------------------------------------------------------------------------
# Ownership and compensation
# ---------------------------------------------------------------------------------------

def ownership_models() -> pd.DataFrame:
    """The ownership and compensation models, one row each, indexed by ``model_id``.

    Three are source 004's hybrid models; ``all-sales`` and ``all-cs`` are the book's
    comparison points (``source`` says which). ``cs_influence_credit`` says whether the
    model also credits CS in full on an expansion it found or helped close but does not
    own; ``csm_incentive`` says what the model pays a CSM to do.

    >>> ownership_models().loc["revenue-pod", "expansion_owner"]
    'pod'
    """
    return _table("ownership_models").set_index("model_id").copy()


def _model(model_id: str) -> pd.Series:
    models = ownership_models()
    if model_id not in models.index:
        raise ParameterError(f"Unknown ownership model {model_id!r}. "
                             f"Use one of: {', '.join(models.index)}.")
    return models.loc[model_id]


@dataclass(frozen=True)
class CompPlan:
    """Variable pay per dollar credited, as fractions (0.10 = 10%).

    All rates are the book's illustrative assumptions; the sources give none. Source 004
    gives the principles: CS needs variable pay if it owns revenue, and no double
    comping "unless there's real collaboration".

    Attributes
    ----------
    sales_new_rate, sales_renewal_rate, sales_expansion_rate : float
        An account executive's rate on new, renewal and expansion ARR.
    cs_renewal_rate, cs_expansion_rate : float
        A CSM's rate on renewal and expansion ARR.
    pod_rate : float
        A revenue pod's rate on any ARR of its book (paid to the pod as a whole).
    expansion_rep_rate : float
        A dedicated expansion rep's rate on expansion ARR.
    collaboration_rule : bool
        When true, a dollar two teams worked on is credited once, split between them:
        the non-owning team (CS) gets ``split`` of it and the owner the rest. When false,
        both are credited in full (double credit).
    split : float
        CS's share of a shared dollar under the collaboration rule. The book's
        assumption: 0.5.

    Examples
    --------
    >>> CompPlan(split=1.5)
    Traceback (most recent call last):
    ...
    csmodels.exceptions.ParameterError: split must be a fraction from 0 to 1 (0.10 = 10%), not 1.5.
    """

    sales_new_rate: float = 0.10
    sales_renewal_rate: float = 0.02
    sales_expansion_rate: float = 0.08
    cs_renewal_rate: float = 0.02
    cs_expansion_rate: float = 0.05
    pod_rate: float = 0.04
    expansion_rep_rate: float = 0.08
    collaboration_rule: bool = False
    split: float = 0.5

    def __post_init__(self) -> None:
        for name in ("sales_new_rate", "sales_renewal_rate", "sales_expansion_rate",
                     "cs_renewal_rate", "cs_expansion_rate", "pod_rate",
                     "expansion_rep_rate", "split"):
            _share(name, getattr(self, name))
        if not isinstance(self.collaboration_rule, bool):
            raise ParameterError("collaboration_rule must be true or false, not "
                                 f"{self.collaboration_rule!r}.")

    def rate(self, team: str, kind: str) -> float:
        """The rate ``team`` earns on an opportunity of type ``kind``.

        >>> CompPlan().rate("cs", "renewal")
        0.02
        """
        if team == "pod":
            return self.pod_rate
        if team == "expansion-rep" and kind == "expansion":
            return self.expansion_rep_rate
        if team == "sales":
            return getattr(self, f"sales_{kind}_rate")
        if team == "cs" and kind in ("renewal", "expansion"):
            return getattr(self, f"cs_{kind}_rate")
        raise ParameterError(f"The plan has no rate for team {team!r} on {kind} ARR.")


CREDIT_COLUMNS = ("opportunity_id", "account_id", "type", "amount", "team", "role",
                  "credited_amount", "rate", "pay")


def _won(opportunities: pd.DataFrame | Company) -> pd.DataFrame:
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
    won = opportunities[opportunities["status"].astype(str).eq("won")].copy()
    won["type"] = won["type"].astype(str)
    bad = sorted(set(won["type"]) - {"new", "renewal", "expansion"})
    if bad:
        raise ParameterError(f"Unknown opportunity type {bad[0]!r}; use new, renewal or "
                             "expansion.")
    if "account_id" not in won.columns:
        won["account_id"] = pd.NA
    involved = pd.Series(False, index=won.index)
    for column in ("cs_sourced", "cs_influenced"):
        if column in won.columns:
            involved |= won[column].astype("boolean").fillna(False).astype(bool)
    won["cs_involved"] = involved
    won["amount"] = won["amount"].astype(float)
    return won


def credit(opportunities: pd.DataFrame | Company, model_id: str,
           plan: CompPlan | None = None) -> pd.DataFrame:
    """Credit each won opportunity to the teams ``model_id`` pays, and price the pay.

    The model, not the data's ``owner_team``, decides who owns each type of opportunity
    (the point is to compare models on the same deals). Under a model with
    ``cs_influence_credit``, a won expansion that CS sourced or influenced
    (``cs_sourced`` or ``cs_influenced``; a column the data lack counts as false) is
    also credited to CS: in full without the plan's collaboration rule, else split.

    Parameters
    ----------
    opportunities : pandas.DataFrame or Company
        Opportunities with ``opportunity_id``, ``type``, ``amount`` and ``status``.
    model_id : str
        One of :func:`ownership_models`' ``model_id``.
    plan : CompPlan, optional
        The rates; the defaults are the book's illustrative assumptions.

    Returns
    -------
    pandas.DataFrame
        One row per won opportunity per credited team: ``opportunity_id``,
        ``account_id``, ``type``, ``amount``, ``team``, ``role`` (``owner`` or
        ``influence``), ``credited_amount``, ``rate`` and ``pay``.

    Examples
    --------
    >>> deals = pd.DataFrame({"opportunity_id": ["o1"], "type": ["expansion"],
    ...                       "amount": [1000.0], "status": ["won"], "cs_influenced": [True]})
    >>> credit(deals, "cs-renewals-sales-expansion")[["team", "credited_amount", "pay"]]
        team  credited_amount   pay
    0  sales           1000.0  80.0
    1     cs           1000.0  50.0
    """
    plan = CompPlan() if plan is None else plan
    if not isinstance(plan, CompPlan):
        raise ParameterError(f"plan must be a CompPlan, not {type(plan).__name__}.")
    model = _model(model_id)
    influence = model["cs_influence_credit"] == "yes"
    rows = []
    for deal in _won(opportunities).itertuples(index=False):
        owner = model[f"{deal.type}_owner"]
        shared = (influence and deal.type == "expansion" and deal.cs_involved
                  and owner != "cs")
        cs_part = plan.split if (shared and plan.collaboration_rule) else 1.0
        owner_part = 1.0 - cs_part if (shared and plan.collaboration_rule) else 1.0
        credited = [(owner, "owner", owner_part)]
        if shared:
            credited.append(("cs", "influence", cs_part))
        for team, role, part in credited:
            amount = deal.amount * part
            rate = plan.rate(team, deal.type)
            rows.append((deal.opportunity_id, deal.account_id, deal.type, deal.amount, team,
                         role, amount, rate, amount * rate))
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
    """Won opportunities credited in full to more than one team, and what that costs.

    Parameters
    ----------
    opportunities, model_id, plan
        As for :func:`credit`.

    Returns
    -------
    pandas.DataFrame
        One row per double-credited opportunity: ``opportunity_id``, ``account_id``,
        ``type``, ``amount``, ``teams`` (e.g. ``sales+cs``), ``credited_amount`` (the
        total credited, more than ``amount``), ``extra_credit`` (the amount credited
        beyond the owner's) and ``extra_pay`` (the pay to the teams beyond the owner:
        what the double credit costs). Empty under a collaboration rule or a model that
        credits one team per dollar.

    Examples
    --------
    >>> deals = pd.DataFrame({"opportunity_id": ["o1"], "type": ["expansion"],
    ...                       "amount": [1000.0], "status": ["won"], "cs_influenced": [True]})
    >>> double_credit(deals, "expansion-reps")["extra_pay"].tolist()
    [50.0]
    >>> len(double_credit(deals, "expansion-reps", CompPlan(collaboration_rule=True)))
    0
    """
    credited = credit(opportunities, model_id, plan)
    full = credited[np.isclose(credited["credited_amount"], credited["amount"])
                    & (credited["amount"] > 0)]
    counts = full.groupby("opportunity_id")["team"].transform("size")
    full = full[counts > 1]
    columns = ["opportunity_id", "account_id", "type", "amount", "teams", "credited_amount",
               "extra_credit", "extra_pay"]
    if full.empty:
        return pd.DataFrame({c: pd.Series(dtype=float if c in columns[5:] or c == "amount"
                                          else object) for c in columns})
    extra = full[full["role"] != "owner"]
    grouped = full.groupby("opportunity_id", sort=False)
    out = grouped.agg(account_id=("account_id", "first"), type=("type", "first"),
                      amount=("amount", "first"), teams=("team", "+".join),
                      credited_amount=("credited_amount", "sum"))
    out["extra_credit"] = extra.groupby("opportunity_id")["credited_amount"].sum()
    out["extra_pay"] = extra.groupby("opportunity_id")["pay"].sum()
    out[["extra_credit", "extra_pay"]] = out[["extra_credit", "extra_pay"]].fillna(0.0)
    return out.reset_index()[columns]


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
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or (
                value not in SCORES):
            raise ParameterError(f"The score of {key!r} must be 0 (not in place), 1 (partly) "
                                 f"or 2 (in place), not {value!r}.")
    frame["score"] = [int(answers.get(p, 0)) for p in known]
    frame["status"] = frame["score"].map(SCORES)
    frame["answered"] = [p in answers for p in known]
    return frame


def assessment_score(frame: pd.DataFrame) -> float:
    """The self-assessment's score as a share of the maximum (2 per practice).

    >>> assessment_score(self_assessment({"documented-handoff": 2, "shared-metrics": 1}))
    0.15
    """
    if frame.empty:
        raise ParameterError("The self-assessment has no practices to score.")
    return float(frame["score"].sum()) / (max(SCORES) * len(frame))
