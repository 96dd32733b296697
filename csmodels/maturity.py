"""Maturity fit: which Customer Success structure fits which company.

Three sources classify companies, each its own way, and the engine reads all three
from data files (``csmodels/data/maturity_*.csv``), so the book's tables and the
recommendation cannot drift apart:

* source 003 (``src003``): six company types, each with a reporting line, leader and
  CSM profiles, renewal and expansion ownership and CSM compensation;
* source 004 (``src004``): three ARR stages and what CS focuses on in each;
* source 000 (``src000``): startups (Seed, Series A) against scale-ups (Series B and
  beyond), each with its own reporting line.

:func:`recommend` maps a company to one of source 003's types and reports the other
two sources' guidance beside it, with every point where they disagree. The rules are the
book's reading: source 003 lists its types side by side and gives no order among them.

1. a product-led company is the product-led type, whatever else is true;
2. otherwise a company selling to technical buyers is the technical-buyer type;
3. otherwise startup (Seed, Series A or B, as source 003 has it) or scaling (growth or
   public) crossed with high or low touch. The touch model is the profile's own when
   given, else the ACV against source 003's $75K line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import pandas as pd

from ._tables import package_table
from .exceptions import ParameterError
from .profile import BUYERS, STAGES, TOUCH, Profile

ACV_LINE = 75_000  # source 003's line between high- and low-touch businesses
STARTUP_STAGES = ("seed", "series-a", "series-b")  # source 003: "Seed or Series A/B"
SOURCE_FILES = {
    "src000": "000_a87cb94a3071c21f.txt", "src001": "001_124b6e1005650e9a.txt",
    "src002": "002_10d723511b1b2cd2.txt", "src003": "003_c88a717ebc556350.txt",
    "src004": "004_b8619fbcaa12e132.txt",
}


def _table(name: str) -> pd.DataFrame:
    return package_table(f"maturity_{name}", text=True)


def company_types() -> pd.DataFrame:
    """Source 003's six company types, one row each, indexed by ``segment``.

    >>> company_types().loc["product-led", "reports_to"]
    'cro'
    """
    return _table("company_types").set_index("segment").copy()


def arr_stages() -> pd.DataFrame:
    """Source 004's ARR stages, with numeric bounds (``arr_high`` NaN for the last)."""
    table = _table("arr_stages").copy()
    table["arr_low"] = pd.to_numeric(table["arr_low"])
    table["arr_high"] = pd.to_numeric(table["arr_high"].replace("", None))
    return table.set_index("arr_stage")


def funding_stages() -> pd.DataFrame:
    """Source 000's guidance for each funding stage."""
    return _table("funding_stages").set_index("funding_stage").copy()


@dataclass(frozen=True)
class CompanyFacts:
    """What the engine needs to know about a company; ``None`` means unknown.

    ``acv_line`` is source 003's line; the book treats a contract of exactly that
    value as high touch (source 003 says "above" and "below" only: an assumption).
    """

    funding_stage: str | None = None
    arr: float | None = None
    acv: float | None = None
    touch: str | None = None
    buyer: str | None = None
    product_led: bool = False
    acv_line: float = ACV_LINE

    def __post_init__(self) -> None:
        for name, allowed in (("funding_stage", STAGES), ("touch", TOUCH), ("buyer", BUYERS)):
            value = getattr(self, name)
            if value is not None and value not in allowed:
                raise ParameterError(f"Unknown {name.replace('_', ' ')} {value!r}. "
                                     f"Use one of: {', '.join(allowed)}.")
        for name in ("arr", "acv", "acv_line"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, int | float)
                                      or not math.isfinite(value) or value < 0):
                raise ParameterError(f"The {name.upper().replace('_', ' ')} must be a number "
                                     f">= 0 (no currency signs), not {value!r}.")
        if not isinstance(self.product_led, bool):
            raise ParameterError(f"product_led must be true or false, not {self.product_led!r}.")

    @classmethod
    def from_profile(cls, profile: Profile, **overrides) -> CompanyFacts:
        """The facts of a profile, with ``overrides`` (``None`` values ignored)."""
        facts = {k: getattr(profile, k) for k in ("funding_stage", "arr", "acv", "touch",
                                                   "buyer", "product_led")}
        facts.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**facts)


@dataclass(frozen=True)
class Conflict:
    """A point where the sources disagree, and what would decide between them."""

    topic: str
    positions: dict[str, str]
    decides: str

    def as_dict(self) -> dict:
        return {"topic": self.topic, "positions": dict(self.positions), "decides": self.decides}


@dataclass(frozen=True)
class Recommendation:
    """Where CS should sit, who should lead it and who owns what, with the reasons."""

    segment: str
    cs_leader: str
    reports_to: str
    renewal_owner: str
    expansion_owner: str
    compensation: str
    reasons: dict[str, str]
    guidance: dict[str, str]
    sources: tuple[str, ...]
    conflicts: tuple[Conflict, ...] = field(default=())

    def to_dict(self) -> dict:
        """The JSON of ``csmodels recommend --json`` (keys checked in tests/test_maturity.py)."""
        out = {k: getattr(self, k) for k in ("segment", "cs_leader", "reports_to",
                                             "renewal_owner", "expansion_owner",
                                             "compensation")}
        out["sources"] = list(self.sources)
        out["conflicts"] = [c.as_dict() for c in self.conflicts]
        return out


def segment_of(facts: CompanyFacts) -> tuple[str, str]:
    """Source 003's company type for ``facts``, and the rule that chose it.

    >>> segment_of(CompanyFacts(funding_stage="seed", acv=80_000))[0]
    'startup-high-touch'
    >>> segment_of(CompanyFacts(funding_stage="seed", acv=80_000, product_led=True))[0]
    'product-led'
    """
    if facts.product_led:
        return "product-led", ("product-led growth comes first: customers buy without "
                               "talking to anyone")
    if facts.buyer == "technical":
        return "technical-buyer", ("a technical buyer comes next: meetings and business "
                                   "reviews rarely work")
    phase, why_phase = _phase(facts)
    touch, why_touch = _touch(facts)
    return f"{phase}-{touch}-touch", f"{why_phase}; {why_touch}"


def _phase(facts: CompanyFacts) -> tuple[str, str]:
    if facts.funding_stage is not None:
        phase = "startup" if facts.funding_stage in STARTUP_STAGES else "scaling"
        return phase, f"a {facts.funding_stage} company is a {phase} company in source 003"
    if facts.arr is not None:  # assumption: source 004's mature stage stands in for scaling
        mature = facts.arr >= arr_stages().loc["mature", "arr_low"]
        return ("scaling" if mature else "startup"), (
            "no funding stage given, so the ARR decides: source 004's mature stage "
            "($25M and more) counts as scaling (an assumption)")
    raise ParameterError("Give the funding stage (seed, series-a, series-b, growth, public) "
                         "or the ARR, so the engine can tell a startup from a scaling company.")


def _touch(facts: CompanyFacts) -> tuple[str, str]:
    if facts.touch is not None:
        return facts.touch, f"the profile says {facts.touch} touch"
    if facts.acv is not None:
        touch = "high" if facts.acv >= facts.acv_line else "low"
        side = "at or above" if touch == "high" else "below"
        return touch, f"an ACV of {facts.acv:,.0f} is {side} the {facts.acv_line:,.0f} line"
    raise ParameterError("Give the touch model (high or low) or the average contract value "
                         "(ACV), so the engine can place the company on source 003's $75K line.")


def arr_stage_of(arr: float | None) -> str | None:
    """Source 004's ARR stage of ``arr`` (``None`` when unknown).

    >>> [arr_stage_of(x) for x in (4e6, 5e6, 30e6, None)]
    ['early', 'growth', 'mature', None]
    """
    if arr is None:
        return None
    stages = arr_stages()
    inside = (stages["arr_low"] <= arr) & ((arr < stages["arr_high"]) | stages["arr_high"].isna())
    return str(stages.index[inside][0])


def facts_from_data(arr_monthly: pd.DataFrame) -> dict[str, float]:
    """ARR and average contract value at the last month of an ``arr_monthly`` table.

    What a profile leaves out, the data can say: ``arr`` is the total ARR of the
    last month and ``acv`` the average ARR per paying account in it (the same
    figures ``profile.yml`` of a generated company carries).

    >>> frame = pd.DataFrame({"account_id": ["a", "b", "a", "b", "c"],
    ...                       "month": pd.PeriodIndex(["2025-01"] * 2 + ["2025-02"] * 3, freq="M"),
    ...                       "arr": [10.0, 20.0, 30.0, 0.0, 50.0]})
    >>> facts_from_data(frame)
    {'arr': 80.0, 'acv': 40.0}
    """
    last = arr_monthly[arr_monthly["month"] == arr_monthly["month"].max()]
    paying = last.loc[last["arr"] > 0, "arr"]
    if paying.empty:
        return {}
    total = float(paying.sum())
    return {"arr": total, "acv": total / len(paying)}


def recommend(profile: Profile | None = None, **overrides) -> Recommendation:
    """The maturity-fit recommendation for a company.

    Parameters
    ----------
    profile : Profile, optional
        The company profile (``csmodels.load_profile``); facts it lacks are unknown.
    **overrides
        ``funding_stage``, ``arr``, ``acv``, ``touch``, ``buyer``, ``product_led`` or
        ``acv_line``; a value of ``None`` leaves the profile's.

    Returns
    -------
    Recommendation

    Raises
    ------
    ParameterError
        For an unknown stage, touch or buyer, a negative amount, or too little to go on.

    Examples
    --------
    >>> r = recommend(funding_stage="series-b", acv=90_000)
    >>> r.segment, r.cs_leader, r.reports_to
    ('startup-high-touch', 'head-of-cs', 'ceo')
    >>> [c.topic for c in r.conflicts]
    ['Series B: startup or scale-up?']
    """
    line = overrides.pop("acv_line", None)
    facts = CompanyFacts.from_profile(profile or Profile(), **overrides)
    if line is not None:
        facts = replace(facts, acv_line=line)
    segment, rule = segment_of(facts)
    row = company_types().loc[segment]
    stage = arr_stage_of(facts.arr)
    guidance = {"company type (source 003)": row["company_type"],
                "strategy (source 003)": row["cs_strategy"]}
    sources = ["src003"]
    if stage is not None:
        guidance["ARR stage (source 004)"] = (f"{arr_stages().loc[stage, 'label']}: "
                                              f"{arr_stages().loc[stage, 'cs_focus']}")
        sources.append("src004")
    if facts.funding_stage is not None:
        guidance["funding stage (source 000)"] = funding_stages().loc[facts.funding_stage,
                                                                      "guidance"]
        sources.append("src000")
    reasons = {"segment": rule, "reporting": row["reporting"],
               "executive profile": row["executive_profile"], "CSM profile": row["csm_profile"],
               "renewals": row["renewal_ownership"], "expansion": row["expansion_ownership"],
               "compensation": row["csm_compensation"]}
    return Recommendation(
        segment=segment, cs_leader=row["cs_leader"], reports_to=row["reports_to"],
        renewal_owner=row["renewal_owner"], expansion_owner=row["expansion_owner"],
        compensation=row["compensation"], reasons=reasons, guidance=guidance,
        sources=tuple(SOURCE_FILES[s] for s in sorted(set(sources))),
        conflicts=tuple(conflicts(facts, segment, stage)))


def conflicts(facts: CompanyFacts, segment: str, stage: str | None) -> list[Conflict]:
    """Every point where the sources point different ways for this company."""
    found = []
    scaling_row = segment.startswith("scaling") or segment in ("technical-buyer", "product-led")
    if facts.funding_stage == "series-b" and segment.startswith("startup"):
        found.append(Conflict(
            "Series B: startup or scale-up?",
            {"src003": "Series A/B companies are startups: the head of CS reports to the CEO.",
             "src000": "Series B and beyond is a scale-up: a CCO or a neutral COO gives "
                       "retention equal weight with acquisition."},
            "Whether retention and expansion already carry growth: a large installed base "
            "with net retention near or above 100%, a board asking for net retention, and "
            "Sales starting to trade long-term relationships for this quarter's deals point "
            "to source 000's scale-up answer."))
    if facts.funding_stage in ("seed", "series-a") and segment == "product-led":
        found.append(Conflict(
            "An early product-led company: the CEO or one revenue leader?",
            {"src000": "Seed and Series A companies do best with CS under the CEO.",
             "src003": "Product-led companies often put Sales and CS under one leader, a "
                       "president or CRO."},
            "How blurred the line between selling and succeeding already is: if the same "
            "people nurture free users into paying teams, one leader fits; if the CEO is "
            "still learning from every customer, keep CS close to the CEO."))
    if stage == "mature" and segment.startswith("startup"):
        found.append(Conflict(
            "A large ARR for a startup",
            {"src003": "A startup's Sales team keeps renewals and expansion.",
             "src004": "At $25M ARR and more CS owns net revenue retention."},
            "How much of next year's ARR the installed base carries; the larger it is, the "
            "stronger the case for CS owning renewals."))
    if stage == "early" and scaling_row and not facts.product_led:
        found.append(Conflict(
            "A small ARR for a scaling structure",
            {"src003": "This company type calls for a CCO over every post-sales team.",
             "src004": "Below $5M ARR CS is about adoption and fixing issues, with upsells "
                       "ad hoc."},
            "Whether there is a post-sales organisation (support, services, training) big "
            "enough to need an executive; if not, a head of CS under the CEO is enough for "
            "now."))
    return found


def recommendation_map(acvs: tuple[float, ...] = (5e3, 10e3, 25e3, 50e3, 75e3, 100e3, 250e3),
                       ) -> pd.DataFrame:
    """The recommendation for every funding stage x ACV, in three variants (standard,
    technical buyer, product-led): the data of the chapter's interactive map."""
    rows = []
    for variant, extra in (("standard", {}), ("technical buyer", {"buyer": "technical"}),
                           ("product-led", {"product_led": True})):
        for stage in STAGES:
            for acv in acvs:
                r = recommend(funding_stage=stage, acv=acv, **extra)
                rows.append({"variant": variant, "funding_stage": stage, "acv": acv,
                             "segment": r.segment, "cs_leader": r.cs_leader,
                             "reports_to": r.reports_to, "renewal_owner": r.renewal_owner,
                             "expansion_owner": r.expansion_owner,
                             "conflicts": len(r.conflicts)})
    return pd.DataFrame(rows)


def as_of_stages(profile: Profile | None = None, **overrides) -> pd.DataFrame:
    """How the recommendation moves as the company goes through the funding stages."""
    rows = []
    for stage in STAGES:
        r = recommend(profile, **{**overrides, "funding_stage": stage})
        rows.append({"funding_stage": stage, **{k: v for k, v in r.to_dict().items()
                                                if k not in ("sources", "conflicts")},
                     "conflicts": "; ".join(c.topic for c in r.conflicts)})
    return pd.DataFrame(rows)


def describe(r: Recommendation) -> str:
    """The readable text of ``csmodels recommend``."""
    labels = {"head-of-cs": "a head of Customer Success", "cco": "a Chief Customer Officer",
              "ceo": "the CEO", "president": "a president", "cro": "the CRO", "coo": "the COO",
              "sales": "Sales", "product": "Product", "cs": "Customer Success",
              "renewals-team": "a renewals team", "split": "split (CS small, Sales large)"}
    # words for the stage codes the rules quote (series-b -> Series B)
    why = re.sub(r"\bseries-([ab])\b", lambda m: f"Series {m[1].upper()}", r.reasons["segment"])
    kind = company_types().loc[r.segment, "company_type"]
    lines = [f"Company type: {kind}.",
             f"  [book's reading] Why: {why}. Source 003 lists its six types "
             "side by side; the order in which the engine applies them (product-led, then "
             "technical buyer, then stage and touch) is the book's rule, not the source's.", "",
             f"  CS led by      {labels[r.cs_leader]}",
             f"  reporting to   {labels[r.reports_to]}",
             f"  renewals       {labels[r.renewal_owner]}",
             f"  expansion      {labels[r.expansion_owner]}",
             f"  CSMs paid on   {r.reasons['compensation']}", ""]
    lines += [f"{k[0].upper()}{k[1:]}: {v}" for k, v in r.guidance.items()]
    for c in r.conflicts:
        lines += ["", f"Where the sources disagree: {c.topic}"]
        lines += [f"  Source {SOURCE_FILES[s][:3]}: {text}" for s, text in c.positions.items()]
        lines.append(f"  [book's reading] What decides: {c.decides}")
    titles = _source_titles()
    lines += ["", "Sources (see the book's bibliography and claims register):"]
    lines += [f"  {titles[s]}" for s in r.sources]
    lines += ["Lines marked [book's reading] are the book's own rules, not a source's claims."]
    return "\n".join(lines)


def _source_titles() -> dict[str, str]:
    """Source file -> 'source 003, Ultimate Customer Success Org Guide (publisher not
    identified)', for the text of ``csmodels recommend``."""
    from .claims import sources

    return {row["file"]: f"source {num}, {row['title']} ({row['publisher']})"
            for num, row in sources().iterrows()}
