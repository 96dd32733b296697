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

Sources 001 and 002 have no such table, but each takes a position on the reporting line
at some stages (:func:`stage_positions`), and these are compared too.

The disagreements are read from the same tables: each names, in the columns of
:data:`DIMENSIONS` (reporting line, leader, renewal owner, expansion owner, pay), the
values the source accepts for its row and the claim (``claims.csv``) behind each, and
:func:`conflicts` compares every pair of sources on every dimension both speak to, so
a new row or column value is compared without new code. What would decide each
disagreement (``maturity_dimensions.csv``) is the book's reading.

:func:`recommend_segments` gives one recommendation per segment of a company (the
profile's ``segments`` or :func:`segments_from_data`) and what the segments share and
where they split.

:func:`summarise` is what the maturity chapter and ``csmodels recommend`` both read: it
loads the profile and the data once, takes each fact from a parameter, else the
profile, else the data (:func:`resolve_facts`), and returns a frozen
:class:`MaturitySummary` with the recommendation (one per segment for a company with
two or more), the company's path through the stages and the chapter's figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ._tables import package_table
from .book import Text
from .claims import source_name, source_title
from .exceptions import ParameterError
from .profile import FACT_KEYS, STAGES, Facts, Profile, amount
from .summary import Summary, figure, section

ACV_LINE = 75_000  # source 003's line between high- and low-touch businesses
STARTUP_STAGES = ("seed", "series-a", "series-b")  # source 003: "Seed or Series A/B"


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


def stage_positions() -> pd.DataFrame:
    """Positions of sources with no maturity table of their own that hold only at some
    stages (source 001: Product for startups looking for product-market fit; source 002:
    no longer straight to the CEO as companies scale), indexed by ``position_id``.

    A row holds for a company whose funding stage is one of its ``funding_stages``; for a
    company with no funding stage, whose source 004 ARR stage is one of its
    ``arr_stages`` (empty: the ARR cannot say). Which stages a source's words cover is the
    book's reading: 001's "startups where you're trying to determine product-market fit"
    are the Seed and Series A companies source 000 ties to that search, 002's "as
    companies scale" is source 003's scaling phase (growth or public; with no funding
    stage, source 004's mature stage, as for the company type).

    >>> stage_positions().loc["002-ceo-at-scale", "reports_to"]
    'cro|coo'
    """
    return _table("stage_positions").set_index("position_id").copy()


@dataclass(frozen=True)
class CompanyFacts(Facts):
    """What the engine needs to know about a company (the facts a :class:`Profile`
    holds, declared once in :class:`csmodels.profile.Facts`) and the ACV line it places
    the company by; ``None`` means unknown.

    ``acv_line`` is source 003's line; the book treats a contract of exactly that
    value as high touch (source 003 says "above" and "below" only: an assumption).
    """

    acv_line: float = amount(ACV_LINE, "ACV LINE", none_ok=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.product_led, bool):
            raise ParameterError(f"product_led must be true or false, not {self.product_led!r}.")

    @classmethod
    def from_profile(cls, profile: Profile, **overrides) -> CompanyFacts:
        """The facts of a profile, with ``overrides`` (``None`` values ignored)."""
        facts = {k: getattr(profile, k) for k in FACT_KEYS}
        facts.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**facts)


@dataclass(frozen=True)
class Conflict:
    """A point where the sources disagree, and what would decide between them."""

    topic: str
    positions: dict[str, str]
    decides: str
    dimension: str = ""
    claims: dict[str, str] = field(default_factory=dict)  # source -> claim id

    def to_dict(self) -> dict:
        """One disagreement as JSON-ready values (a :class:`Recommendation`'s ``conflicts``)."""
        return {"topic": self.topic, "dimension": self.dimension,
                "positions": dict(self.positions), "claims": dict(self.claims),
                "decides": self.decides}


@dataclass(frozen=True)
class Recommendation:
    """Where CS should sit, who should lead it and who owns what, with the reasons.

    ``sources`` are the BibTeX keys (``src003``, as ``csmodels/data/sources.csv`` lists
    them) of the sources whose rows the recommendation reads, in order; a page names
    them with :func:`csmodels.claims.source_name` (``Source 003``).
    """

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
        """The recommendation as JSON-ready values (keys checked in tests/test_maturity.py);
        ``csmodels recommend --json`` writes the chapter's :class:`MaturitySummary`."""
        out = {k: getattr(self, k) for k in ("segment", "cs_leader", "reports_to",
                                             "renewal_owner", "expansion_owner",
                                             "compensation")}
        out["sources"] = list(self.sources)
        out["conflicts"] = [c.to_dict() for c in self.conflicts]
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
    figures ``profile.yml`` of a generated company carries), as the metrics chapter
    defines them (:func:`csmodels.metrics.arr_at`,
    :func:`csmodels.metrics.average_contract_value`); empty when nobody pays then.

    >>> frame = pd.DataFrame({"account_id": ["a", "b", "a", "b", "c"],
    ...                       "month": pd.PeriodIndex(["2025-01"] * 2 + ["2025-02"] * 3, freq="M"),
    ...                       "arr": [10.0, 20.0, 30.0, 0.0, 50.0]})
    >>> facts_from_data(frame)
    {'arr': 80.0, 'acv': 40.0}
    >>> facts_from_data(frame.assign(month=frame["month"].astype(str)))  # months as written
    {'arr': 80.0, 'acv': 40.0}
    """
    from .metrics import ArrPanel, arr_at, average_contract_value

    if not isinstance(arr_monthly["month"].dtype, pd.PeriodDtype):  # as written ("2025-01")
        arr_monthly = arr_monthly.assign(month=pd.PeriodIndex(arr_monthly["month"], freq="M"))
    panel = ArrPanel.from_frame(arr_monthly)
    total, paying = arr_at(panel)
    if paying == 0:
        return {}
    return {"arr": total, "acv": average_contract_value(panel)}


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
    ['Who leads CS: source 003 or source 000?']
    """
    line = overrides.pop("acv_line", None)
    facts = CompanyFacts.from_profile(profile or Profile(), **overrides)
    if line is not None:
        facts = replace(facts, acv_line=line)
    segment, rule = segment_of(facts)
    row = company_types().loc[segment]
    stage = arr_stage_of(facts.arr)
    def by(row: pd.Series) -> str:  # "source 003": whichever source the row is from
        return source_name(row["source"]).lower()

    guidance = {f"company type ({by(row)})": row["company_type"],
                f"strategy ({by(row)})": row["cs_strategy"]}
    if stage is not None:
        arr_row = arr_stages().loc[stage]
        guidance[f"ARR stage ({by(arr_row)})"] = f"{arr_row['label']}: {arr_row['cs_focus']}"
    if facts.funding_stage is not None:
        funding_row = funding_stages().loc[facts.funding_stage]
        guidance[f"funding stage ({by(funding_row)})"] = funding_row["guidance"]
    reasons = {"segment": rule, "reporting": row["reporting"],
               "executive profile": row["executive_profile"], "CSM profile": row["csm_profile"],
               "renewals": row["renewal_ownership"], "expansion": row["expansion_ownership"],
               "compensation": row["csm_compensation"]}
    return Recommendation(
        segment=segment, cs_leader=row["cs_leader"], reports_to=row["reports_to"],
        renewal_owner=row["renewal_owner"], expansion_owner=row["expansion_owner"],
        compensation=row["compensation"], reasons=reasons, guidance=guidance,
        sources=tuple(sorted({p["source"] for p in positions(facts, segment, stage)})),
        conflicts=tuple(conflicts(facts, segment, stage)))


# The dimensions on which the sources' tables take positions (columns of the same name in
# each maturity table; cells list the values the source accepts, separated by "|"; an
# empty cell: the source says nothing), and the column citing the claim behind each.
DIMENSIONS = ("reports_to", "cs_leader", "renewal_owner", "expansion_owner", "pay")
VALUE_WORDS = {"head-of-cs": "a head of Customer Success", "cco": "a Chief Customer Officer",
               "ceo": "the CEO", "president": "a president", "cro": "the CRO",
               "coo": "the COO", "sales": "Sales", "product": "Product",
               "cs": "Customer Success", "renewals-team": "a renewals team",
               "split": "split (CS small, Sales large)",
               "indicators-only": "leading indicators only (no revenue figure)",
               "with-retention": "a retention or revenue figure (net or gross retention)"}


def dimensions() -> pd.DataFrame:
    """The dimensions the sources are compared on, with the book's reading of what
    decides a disagreement on each (``source`` is ``book``)."""
    return _table("dimensions").set_index("dimension").copy()


def positions(facts: CompanyFacts, segment: str, stage: str | None) -> list[dict]:
    """Each source's row for this company and its positions, read from the tables.

    One entry per source that has a row for the company (source 003's company type,
    source 004's ARR stage, source 000's funding stage and the :func:`stage_positions`
    of sources 001 and 002 that hold at the company's stage): ``source``, ``row`` (the
    row's name in words) and, per dimension the source speaks to, the accepted values (a
    frozenset: the column's, and its ``<dimension>_also`` column's where the table has
    one, as source 003's "a President or Chief Revenue Officer") and the claim id behind
    them.
    """
    rows = [(company_types().loc[segment], "company_type")]
    if stage is not None:
        rows.append((arr_stages().loc[stage], "label"))
    if facts.funding_stage is not None:
        rows.append((funding_stages().loc[facts.funding_stage], "funding_stage"))
    for _, row in stage_positions().iterrows():
        if (facts.funding_stage in row["funding_stages"].split("|")
                if facts.funding_stage is not None else stage in row["arr_stages"].split("|")):
            rows.append((row, "label"))
    out = []
    for row, name in rows:
        title = row.name if name == "funding_stage" else row[name]
        held = {dim: (frozenset(v for v in f"{row[dim]}|{row.get(f'{dim}_also', '')}"
                                .split("|") if v), row[f"{dim}_claim"])
                for dim in DIMENSIONS if row[dim].strip()}
        out.append({"source": row["source"], "row": str(title), "positions": held})
    return out


def conflicts(facts: CompanyFacts, segment: str, stage: str | None) -> list[Conflict]:
    """Every point where two sources' positions for this company leave no common answer.

    Every pair of sources is compared on every dimension both speak to; two positions
    agree when they share at least one value (source 000's "a CCO or a neutral COO"
    agrees with a CCO under the CEO). Each disagreement gives both positions with the
    verbatim words of the claim behind them.
    """
    from itertools import combinations

    from .claims import register

    spans = register()["span"]
    labels = dimensions()
    found = []
    for a, b in combinations(positions(facts, segment, stage), 2):
        for dim in DIMENSIONS:
            if dim not in a["positions"] or dim not in b["positions"]:
                continue
            (va, ca), (vb, cb) = a["positions"][dim], b["positions"][dim]
            if va & vb:
                continue
            found.append(Conflict(
                f"{labels.loc[dim, 'label']}: {source_name(a['source']).lower()} or "
                f"{source_name(b['source']).lower()}?",
                {a["source"]: _position_text(a["row"], va, spans.get(ca, "")),
                 b["source"]: _position_text(b["row"], vb, spans.get(cb, ""))},
                labels.loc[dim, "decides"], dimension=dim,
                claims={a["source"]: ca, b["source"]: cb}))
    return found


def _position_text(row: str, values: frozenset, span: str) -> str:
    said = " or ".join(VALUE_WORDS.get(v, v) for v in sorted(values))
    row = {"seed": "Seed", "series-a": "Series A", "series-b": "Series B",
           "growth": "Growth", "public": "Public"}.get(row, row)
    return f"{row}: {said}. “{span}”" if span else f"{row}: {said}."


@dataclass(frozen=True)
class Segment:
    """One segment of a company: its name, ACV, share of the company's ARR and, when
    known, its number of accounts and its own touch model (``None``: the ACV decides)."""

    name: str
    acv: float
    share: float
    accounts: int | None = None
    touch: str | None = None


def segments_of(profile: Profile) -> list[Segment]:
    """The profile's ``segments`` (checked by ``load_profile``) with ARR shares: a
    segment given by accounts weighs accounts x ACV.

    >>> p = Profile(segments=[{"name": "Large", "acv": 100_000, "accounts": 10},
    ...                       {"name": "Small", "acv": 5_000, "accounts": 200}])
    >>> [(s.name, s.share) for s in segments_of(p)]
    [('Large', 0.5), ('Small', 0.5)]
    """
    raw = profile.segments or []
    if all(seg.get("share") is not None for seg in raw):
        weights = [float(seg["share"]) for seg in raw]
    else:
        weights = [float(seg["accounts"]) * float(seg["acv"]) for seg in raw]
    total = sum(weights) or 1.0
    return [Segment(name=str(seg["name"]), acv=float(seg["acv"]), share=w / total,
                    accounts=None if seg.get("accounts") is None else int(seg["accounts"]),
                    touch=seg.get("touch")) for seg, w in zip(raw, weights, strict=True)]


def segments_from_data(accounts: pd.DataFrame | None,
                       arr_monthly: pd.DataFrame) -> list[Segment]:
    """Segments read from the data: ``accounts.segment`` of the accounts paying in the
    last month of ``arr_monthly``, each with its ACV (average ARR per paying account)
    and share of ARR. Paying accounts with no segment form one segment of their own;
    no ``accounts`` table or no segment given: an empty list.

    >>> frame = pd.DataFrame({"account_id": ["a", "b", "c"], "arr": [100.0, 20.0, 30.0],
    ...                       "month": pd.PeriodIndex(["2025-01"] * 3, freq="M")})
    >>> accts = pd.DataFrame({"account_id": ["a", "b", "c"], "segment": ["Ent", "SMB", "SMB"]})
    >>> [(s.name, s.acv, s.accounts) for s in segments_from_data(accts, frame)]
    [('Ent', 100.0, 1), ('SMB', 25.0, 2)]
    """
    if accounts is None or "segment" not in accounts or accounts["segment"].isna().all():
        return []
    last = arr_monthly[arr_monthly["month"] == arr_monthly["month"].max()]
    paying = last[last["arr"] > 0].groupby("account_id", as_index=False)["arr"].sum()
    names = accounts.drop_duplicates("account_id").set_index("account_id")["segment"]
    paying["segment"] = paying["account_id"].map(names).fillna("").astype(str).str.strip()
    paying["segment"] = paying["segment"].replace("", "(no segment given)")
    total = float(paying["arr"].sum())
    if paying.empty or total <= 0:
        return []
    by = paying.groupby("segment")["arr"].agg(["sum", "count"])
    by = by.sort_values("sum", ascending=False, kind="stable")
    return [Segment(name=str(name), acv=float(row["sum"] / row["count"]),
                    share=float(row["sum"] / total), accounts=int(row["count"]))
            for name, row in by.iterrows()]


# What a company's CS has once, whatever its segments (one leader, one reporting line):
# the book's reading, as is the rule that the segment with the largest share of ARR
# decides them when segments point different ways.
COMPANY_LEVEL = ("cs_leader", "reports_to")
PER_SEGMENT = ("segment", "renewal_owner", "expansion_owner", "compensation")


@dataclass(frozen=True)
class SegmentedRecommendation:
    """One recommendation per segment, and what the segments share and where they split.

    ``company`` holds the company-level answers (leader, reporting line): the segments'
    common answer, or the lead segment's (largest share of ARR) when they differ.
    ``split`` maps each field on which the segments differ to segment name -> value.
    """

    segments: tuple[tuple[Segment, Recommendation], ...]
    lead: str
    company: dict[str, str]
    shared: dict[str, str]
    split: dict[str, dict[str, str]]

    def to_dict(self) -> dict:
        """Every segment's recommendation, as JSON-ready values."""
        return {"segments": [{"name": seg.name, "acv": seg.acv, "share": seg.share,
                              "accounts": seg.accounts, "touch": seg.touch,
                              "recommendation": rec.to_dict()}
                             for seg, rec in self.segments],
                "lead_segment": self.lead, "company": dict(self.company),
                "shared": dict(self.shared),
                "split": {k: dict(v) for k, v in self.split.items()}}


def recommend_segments(profile: Profile | None = None, segments: list[Segment] | None = None,
                       **overrides) -> SegmentedRecommendation:
    """A recommendation per segment of a company, and what they share and where they split.

    Each segment is its own company for the engine, with the company's stage, ARR,
    buyer and motion and the segment's ACV and touch (its own, else its ACV against
    the line: the profile's company-wide ``touch`` is not applied to segments).

    Parameters
    ----------
    profile : Profile, optional
        The company profile; its ``segments`` are used when ``segments`` is None.
    segments : list of Segment, optional
        The segments (e.g. :func:`segments_from_data`).
    **overrides
        As for :func:`recommend`, except ``acv`` and ``touch``, which belong to segments.

    Examples
    --------
    >>> r = recommend_segments(funding_stage="growth", segments=[
    ...     Segment("Enterprise", 150_000, 0.7), Segment("SMB", 8_000, 0.3)])
    >>> r.company, r.split["segment"]
    ({'cs_leader': 'cco', 'reports_to': 'ceo'}, {'Enterprise': 'scaling-high-touch', \
'SMB': 'scaling-low-touch'})
    """
    profile = profile or Profile()
    if segments is None:
        segments = segments_of(profile)
    if not segments:
        raise ParameterError("No segments: give the profile a 'segments' list or data with "
                             "accounts.segment (see data/README.md).")
    for key in ("acv", "touch"):
        if overrides.get(key) is not None:
            raise ParameterError(f"With segments, each segment has its own {key}: give it "
                                 "in the profile's 'segments' list, not for the company.")
        overrides.pop(key, None)
    base = replace(profile, acv=None, touch=None, segments=None)
    pairs = tuple((seg, recommend(base, acv=seg.acv, touch=seg.touch, **overrides))
                  for seg in segments)
    lead_seg, lead_rec = max(pairs, key=lambda pair: pair[0].share)
    shared, split = {}, {}
    for key in COMPANY_LEVEL + PER_SEGMENT:
        values = {seg.name: getattr(rec, key) for seg, rec in pairs}
        if len(set(values.values())) == 1:
            shared[key] = next(iter(values.values()))
        else:
            split[key] = values
    company = {key: getattr(lead_rec, key) for key in COMPANY_LEVEL}
    return SegmentedRecommendation(segments=pairs, lead=lead_seg.name, company=company,
                                   shared=shared, split=split)


def describe_segments(r: SegmentedRecommendation, currency: str = "") -> str:
    """The recommendation in words of ``csmodels recommend`` for a company with segments
    (after the chapter's figures): one block per segment, then what they share and where
    they split."""
    from .claims import register
    from .exceptions import printable

    lines = [f"{len(r.segments)} segments, each placed on its own (the company's stage, "
             "ARR, buyer and motion; the segment's ACV and touch).", ""]
    for seg, rec in r.segments:
        size = f"{seg.share:.0%} of ARR" + (f", {seg.accounts:,} accounts"
                                            if seg.accounts is not None else "")
        lines += [f"=== Segment '{printable(seg.name)}': ACV {currency}{seg.acv:,.0f}, "
                  f"{size} ===", ""]
        lines += ["  " + line if line else "" for line in describe(rec).splitlines()]
        lines.append("")
    words = {"segment": "company type (source 003)", "cs_leader": "CS led by",
             "reports_to": "reporting to", "renewal_owner": "renewals",
             "expansion_owner": "expansion", "compensation": "CSMs paid on"}
    types = company_types()
    pay = dict(zip(types["compensation"], types["csm_compensation"], strict=True))

    def said(key: str, value: str) -> str:  # words for a code (no codes in the text)
        if key == "segment":
            return types.loc[value, "company_type"]
        if key == "compensation":
            return pay[value].rstrip(".")
        return VALUE_WORDS.get(value, value)

    lines.append("What the segments share:")
    lines += [f"  {words[k]:<26} {said(k, v)}" for k, v in r.shared.items()] \
        or ["  nothing"]
    lines.append("Where they split:")
    for key, values in r.split.items():
        lines.append(f"  {words[key]:<26} " + "; ".join(
            f"'{printable(n)}': {said(key, v)}" for n, v in values.items()))
    if not r.split:
        lines.append("  nowhere: one structure serves every segment")
    leader = (f"{VALUE_WORDS[r.company['cs_leader']]} reporting to "
              f"{VALUE_WORDS[r.company['reports_to']]}")
    if any(k in r.split for k in COMPANY_LEVEL):
        one = (f"the segment with the largest share of ARR, '{printable(r.lead)}', decides "
               f"them: {leader}; the other segments are served as tiers under that leader.")
    else:
        one = f"every segment points to {leader}."
    lines += ["", f"[book's reading] A company has one CS leader and one reporting line: {one}"]
    if any(k in r.split for k in PER_SEGMENT):
        span = register().loc["002-tiered-service-models", "span"]
        lines.append(f"Where the segments split, source 002 (claim 002-tiered-service-models)"
                     f" advises tiered service: “{span}”")
    return "\n".join(lines)


def segments_table(r: SegmentedRecommendation, currency: str = "USD") -> pd.DataFrame:
    """One row per segment, in words, for the chapter: its size and its recommendation."""
    types = company_types()
    return pd.DataFrame([{
        "Segment": seg.name, f"ACV ({currency})": round(seg.acv),
        "Share of ARR": f"{seg.share:.0%}",
        "Accounts": "" if seg.accounts is None else f"{seg.accounts:,}",
        "Company type (source 003)": types.loc[rec.segment, "company_type"],
        "Renewals": VALUE_WORDS.get(rec.renewal_owner, rec.renewal_owner),
        "Expansion": VALUE_WORDS.get(rec.expansion_owner, rec.expansion_owner),
        "CSMs paid on": rec.reasons["compensation"],
        "Where sources disagree": len(rec.conflicts)} for seg, rec in r.segments])


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


def map_marker(grid: pd.DataFrame, facts: CompanyFacts, label: str) -> dict | None:
    """Where the company sits on :func:`recommendation_map`'s grid: its funding stage,
    the grid's ACV nearest its own (on a log scale), labelled as the chart labels
    ACVs, and the variant its motion picks (product-led first, then technical buyer, as
    :func:`segment_of` ranks them); ``None`` without a stage or an ACV.

    >>> grid = recommendation_map()
    >>> map_marker(grid, CompanyFacts(funding_stage="growth", acv=90_000), "Acme")
    {'funding_stage': 'growth', 'acv_label': '$100K', 'variant': 'standard', 'label': 'Acme'}
    >>> map_marker(grid, CompanyFacts(acv=90_000), "Acme") is None
    True
    """
    if facts.funding_stage is None or facts.acv is None:
        return None
    variant = ("product-led" if facts.product_led else
               "technical buyer" if facts.buyer == "technical" else "standard")
    acvs = np.array(sorted(grid["acv"].unique()))
    nearest = acvs[np.abs(np.log(acvs) - np.log(max(facts.acv, 1))).argmin()]
    return {"funding_stage": facts.funding_stage, "acv_label": f"${nearest / 1000:,.0f}K",
            "variant": variant, "label": label}


def path_through_stages(profile: Profile | None = None, **overrides) -> pd.DataFrame:
    """The company's path through the funding stages: its recommendation at each stage,
    every other fact kept (the profile's and ``overrides``), one row per stage.

    >>> list(path_through_stages(acv=100_000)["segment"])
    ['startup-high-touch', 'startup-high-touch', 'startup-high-touch', \
'scaling-high-touch', 'scaling-high-touch']
    """
    rows = []
    for stage in STAGES:
        r = recommend(profile, **{**overrides, "funding_stage": stage})
        rows.append({"funding_stage": stage, **{k: v for k, v in r.to_dict().items()
                                                if k not in ("sources", "conflicts")},
                     "conflicts": "; ".join(c.topic for c in r.conflicts)})
    return pd.DataFrame(rows)


def describe(r: Recommendation) -> str:
    """The recommendation in words, as ``csmodels recommend`` prints it after the
    chapter's figures."""
    # words for the stage codes the rules quote (series-b -> Series B)
    why = re.sub(r"\bseries-([ab])\b", lambda m: f"Series {m[1].upper()}", r.reasons["segment"])
    kind = company_types().loc[r.segment, "company_type"]
    lines = [f"Company type: {kind}.",
             f"  [book's reading] Why: {why}. Source 003 lists its six types "
             "side by side; the order in which the engine applies them (product-led, then "
             "technical buyer, then stage and touch) is the book's rule, not the source's.", "",
             f"  CS led by      {VALUE_WORDS[r.cs_leader]}",
             f"  reporting to   {VALUE_WORDS[r.reports_to]}",
             f"  renewals       {VALUE_WORDS[r.renewal_owner]}",
             f"  expansion      {VALUE_WORDS[r.expansion_owner]}",
             f"  CSMs paid on   {r.reasons['compensation']}", ""]
    lines += [f"{k[0].upper()}{k[1:]}: {v}" for k, v in r.guidance.items()]
    for c in r.conflicts:
        lines += ["", f"Where the sources disagree: {c.topic}"]
        lines += [f"  {source_name(s)} (claim {c.claims.get(s, 'none')}): {text}"
                  for s, text in c.positions.items()]
        lines.append(f"  [book's reading] What decides: {c.decides}")
    lines += ["", "Sources (see the book's bibliography and claims register):"]
    lines += [f"  {source_title(s)}" for s in r.sources]
    lines += ["Lines marked [book's reading] are the book's own rules, not a source's claims."]
    return "\n".join(lines)


# ------------------------------------------------------------------ the chapter's summary

EXERCISE_ACV = 60_000  # exercise 1: a contract just below source 003's $75K line
SCALING_STAGE = "growth"  # where the segments are compared once the company scales


class _InWords:
    """Mixed into a :class:`Summary` whose text figures may hold codes of the maturity
    tables, shown in words in a terminal: what ``csmodels recommend`` prints reads as
    words; its ``--json`` keeps the codes. ``_WORDS`` maps a figure to its kind of code."""

    # not a field: figure -> "type", "owner", "pay", "stage" or "sources"
    _WORDS: ClassVar[dict[str, str]] = {}

    def rows(self, currency: str | None = None):
        """As :meth:`Summary.rows`, each code in words."""
        kinds = {}
        for f in self.fields():  # a section's figures are shown under its own prefix
            value = getattr(self, f.name)
            if isinstance(value, _InWords):
                kinds.update({f"{f.name}_{k}": v for k, v in value._WORDS.items()})
        kinds.update(self._WORDS)
        for key, label, shown in super().rows(currency):
            yield key, label, _in_words(kinds.get(key), shown)


@dataclass(frozen=True)
class SegmentsSummary(_InWords, Summary):
    """The per-segment part of the maturity chapter (a company with two or more segments)."""

    count: int = figure("Segments", "count")
    source: str = figure("Where the segments come from", "text")
    lead: str = figure("Largest segment by ARR", "text")
    lead_share: float = figure("Its share of ARR", "share")
    lead_acv: float = figure("Its average contract value", "money")
    lead_type: str = figure("Its company type (source 003)", "text")
    leader: str = figure("CS led by (company level)", "text")
    reports_to: str = figure("CS reporting to (company level)", "text")
    high_touch_share: float = figure("Share of ARR in high-touch segments", "share")
    low_touch_share: float = figure("Share of ARR in low-touch segments", "share")
    split: str = figure("Where the segments split", "text")
    shared: str = figure("What the segments share", "text")
    split_scaling: str = figure("Where they would split as a growth-stage company", "text")
    leader_scaling: str = figure("CS led by, as a growth-stage company", "text")
    reports_to_scaling: str = figure("CS reporting to, as a growth-stage company", "text")

    _WORDS: ClassVar[dict[str, str]] = {"lead_type": "type"}


@dataclass(frozen=True)
class ExerciseSummary(_InWords, Summary):
    """Exercise 1: the company with a contract just below the line, then product-led."""

    acv: float = figure("Contract value of the exercise", "money")
    segment: str = figure("Company type", "text")
    reports: str = figure("CS reports to", "text")
    renewals: str = figure("Renewals owned by", "text")
    plg_reports: str = figure("CS reports to, product-led", "text")
    plg_renewals: str = figure("Renewals owned by, product-led", "text")

    _WORDS: ClassVar[dict[str, str]] = {"segment": "type", "reports": "owner", "renewals": "owner",
              "plg_reports": "owner", "plg_renewals": "owner"}


@dataclass(frozen=True)
class MaturitySummary(_InWords, Summary):
    """The maturity chapter's figures and recommendation for one company.

    Made by :func:`summarise`, the one function the chapter and ``csmodels recommend``
    call. ``recommendation`` is the headline answer: the company's own or, for a
    company with segments, its largest segment's (``segmented`` then holds every
    segment's). The fields after the figures are the objects the chapter draws.
    """

    company_name: str = figure("Company", "text")
    acv_line: float = figure("High/low-touch line (source 003)", "money")
    company_stage: str = figure("Funding stage", "text")
    company_arr: float | None = figure("ARR", "money")
    company_acv: float | None = figure("Average contract value", "money")
    facts_note: str = figure("Where the facts come from", "text")
    segment: str = figure("Company type (source 003)", "text")
    segment_rule: str = figure("Why that type", "text")
    cs_leader: str = figure("CS led by", "text")
    reports_to: str = figure("CS reporting to", "text")
    renewal_owner: str = figure("Renewals owned by", "text")
    expansion_owner: str = figure("Expansion owned by", "text")
    compensation: str = figure("CSMs paid on", "text")
    sources: str = figure("Sources of the recommendation", "text",
                          help="their BibTeX keys (src003 is Source 003), comma-separated")
    conflicts: int = figure("Points where the sources disagree", "count")
    n_conflicts: str = figure("Points of disagreement, in words", "text")
    data_nrr: float | None = figure("Net revenue retention in the data", "ratio")
    first_change: str = figure("Where the company type first changes", "text")
    segments: SegmentsSummary | None = section("the company's segments, when it has two "
                                               "or more")
    ex: ExerciseSummary | None = section("exercise 1")
    # what the chapter draws and the command line prints (not figures)
    recommendation: Recommendation | None = field(default=None, compare=False, repr=False)
    segmented: SegmentedRecommendation | None = field(default=None, compare=False,
                                                      repr=False)
    facts: CompanyFacts | None = field(default=None, compare=False, repr=False)
    path: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    note: str = field(default="", compare=False)
    segments_skipped: str = field(default="", compare=False)
    currency: str = field(default="USD", compare=False)
    has_data: bool = field(default=False, compare=False)

    _WORDS: ClassVar[dict[str, str]] = {
        "segment": "type", "cs_leader": "owner", "reports_to": "owner",
        "renewal_owner": "owner", "expansion_owner": "owner", "compensation": "pay",
        "sources": "sources", "company_stage": "stage", "segment_rule": "stage",
        "first_change": "stage"}

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON (:meth:`Summary.to_dict`), with the recommendation in full:
        ``recommendation`` (the headline one, with its reasons' sources and every
        disagreement between the sources) and, for a company with segments,
        ``segmented`` (every segment's recommendation, what they share and where they
        split); ``None`` where there is none."""
        return {**super().to_dict(),
                "recommendation": self.recommendation and self.recommendation.to_dict(),
                "segmented": self.segmented and self.segmented.to_dict()}

    def glue(self, glue, prefix: str = "", currency: str = "USD") -> list[str]:
        """Glue every figure; a fact the company did not give reads "not given", and
        the data's NRR says why it is missing."""
        keys = super().glue(glue, prefix, currency)
        missing = {"company_arr": "not given", "company_acv": "not given",
                   "data_nrr": ("not yet measurable (it needs twelve months of arr_monthly "
                                "before the last one)" if self.has_data else
                                "not available (no usable arr_monthly)")}
        for key, text in missing.items():
            if getattr(self, key) is None:
                glue(prefix + key, Text(text), display=False)
                keys.append(prefix + key)
        return keys


def _in_words(kind: str | None, shown: str) -> str:
    """A figure as the terminal shows it: a code of the maturity tables (``kind``) in
    words; a funding stage's code inside a sentence too (``series-b``: Series B)."""
    if kind is None or shown == "n/a":
        return shown
    types = company_types()
    if kind == "type":
        return types.loc[shown, "company_type"]
    if kind == "owner":
        return VALUE_WORDS.get(shown, shown)
    if kind == "pay":
        pay = dict(zip(types["compensation"], types["csm_compensation"], strict=True))
        return pay[shown].rstrip(".")
    if kind == "sources":
        return ", ".join(source_name(s) for s in shown.split(", "))
    return re.sub(r"\bseries-([ab])\b", lambda m: f"Series {m[1].upper()}", shown)


def resolve_facts(profile: Profile, arr_monthly: pd.DataFrame | None = None,
                  accounts: pd.DataFrame | None = None,
                  **parameters) -> tuple[dict, tuple[str, ...], list[Segment], str]:
    """The company's facts by priority: a parameter, else the profile, else the data.

    Returns the facts (``None`` where nobody says), the keys read from the data, the
    segments and where they come from (``"profile"``, ``"data"`` or ``""``). A
    company-wide ``acv`` or ``touch`` parameter places the company as one, so its
    segments are not used; otherwise the profile's ``segments``, else the data's
    ``accounts.segment``. A single segment is the company: its ACV and touch fill in
    what the parameters and the profile leave out.

    >>> p = Profile(funding_stage="growth", segments=[
    ...     {"name": "Ent", "acv": 150_000, "share": 0.6}, {"name": "SMB", "acv": 9_000,
    ...      "share": 0.4}])
    >>> facts, from_data, segments, source = resolve_facts(p)
    >>> [s.name for s in segments], source
    (['Ent', 'SMB'], 'profile')
    >>> resolve_facts(p, acv=20_000)[2]
    []
    """
    unknown = set(parameters) - set(FACT_KEYS)
    if unknown:
        raise ParameterError(f"Unknown fact(s) {', '.join(sorted(unknown))}; the facts are: "
                             f"{', '.join(FACT_KEYS)}.")
    facts = {k: parameters.get(k) for k in FACT_KEYS}
    segments, source = [], ""
    if facts["acv"] is None and facts["touch"] is None:
        if profile.segments:
            segments, source = segments_of(profile), "profile"
        elif arr_monthly is not None:
            segments = segments_from_data(accounts, arr_monthly)
            source = "data" if segments else ""
    if len(segments) == 1:
        for key in ("acv", "touch"):
            if facts[key] is None and getattr(profile, key) is None:
                facts[key] = getattr(segments[0], key)
    data = facts_from_data(arr_monthly) if arr_monthly is not None else {}
    from_data = tuple(k for k, v in data.items()
                      if facts[k] is None and getattr(profile, k) is None)
    facts.update({k: data[k] for k in from_data})
    return facts, from_data, segments, source


def summarise(data_dir: str | None = None, profile_path: str | None = None, *,
              require_data: bool = False, acv_line: float = ACV_LINE,
              **parameters) -> MaturitySummary:
    """Everything the maturity chapter and ``csmodels recommend`` say about a company.

    Loads the profile (``profile_path``, else ``data_dir/profile.yml``) and the data
    once, decides each fact by priority (parameter, then profile, then data:
    :func:`resolve_facts`) and recommends: one recommendation, or one per segment.

    Parameters
    ----------
    data_dir : str, optional
        The company's data folder; ``None``, a folder that does not exist or one with
        nothing but a ``profile.yml`` works from the profile and parameters
        (:func:`csmodels.inputs.load_company_if_any`). A folder of data the loader
        refuses raises its :class:`~csmodels.exceptions.DataError`.
    profile_path : str, optional
        A ``profile.yml``; default the one in ``data_dir`` if there is one.
    require_data : bool
        Refuse to work without data too (the command line's ``--data``).
    acv_line : float
        Source 003's line between high- and low-touch businesses.
    **parameters
        ``funding_stage``, ``arr``, ``acv``, ``touch``, ``buyer``, ``product_led``
        (``None``: the profile's, else the data's).

    Examples
    --------
    >>> s = summarise(funding_stage="growth", arr=12e6, acv=20_000)
    >>> s.segment, s.conflicts, s.segments is None, str(s.text("company_arr"))
    ('scaling-low-touch', 1, True, 'USD 12.0M')
    """
    from .book import company_name
    from .inputs import load_company_if_any
    from .profile import default_profile_path, load_profile

    path = (profile_path if data_dir is None
            else default_profile_path(data_dir, profile_path))
    profile = load_profile(path)
    company = load_company_if_any(data_dir, required=require_data)
    arr_monthly = company.arr_monthly if company is not None else None
    accounts = company.accounts if company is not None else None
    facts, from_data, segments, source = resolve_facts(profile, arr_monthly, accounts,
                                                       **parameters)
    company_facts = replace(CompanyFacts.from_profile(profile, **facts), acv_line=acv_line)
    note, segmented, seg_summary, seg_skipped = "", None, None, ""
    if len(segments) > 1:
        base = replace(profile, acv=None, touch=None, segments=None)
        shared = {k: v for k, v in facts.items() if k not in ("acv", "touch")}
        segmented = recommend_segments(base, segments, acv_line=acv_line, **shared)
        lead_seg, rec = next(p for p in segmented.segments if p[0].name == segmented.lead)
        headline = replace(company_facts, acv=lead_seg.acv, touch=lead_seg.touch)
        path_profile, path_facts = base, {**shared, "acv": lead_seg.acv,
                                          "touch": lead_seg.touch}
        seg_summary = _segments_summary(segmented, source, base, shared, acv_line)
    else:
        if len(_unused_segments(profile, accounts, arr_monthly)) > 1:
            note = ("An ACV or touch model given for the whole company places it as one "
                    "company; leave both out to see a recommendation per segment.")
            seg_skipped = f"The segment-by-segment recommendation is skipped. {note}"
        else:
            seg_skipped = ("The segment-by-segment recommendation is skipped: the profile "
                           "lists no segments and accounts.segment gives fewer than two "
                           "among the paying accounts. A 'segments' list in profile.yml or "
                           "a segment per account in accounts.csv would enable it.")
        rec = recommend(profile, acv_line=acv_line, **facts)
        headline, path_profile, path_facts = company_facts, profile, facts
    path = path_through_stages(path_profile, acv_line=acv_line,
                               **{k: v for k, v in path_facts.items() if k != "funding_stage"})
    by_stage = path.set_index("funding_stage")["segment"]
    changes = [(a, b) for a, b in pairwise(STAGES) if by_stage[a] != by_stage[b]]
    read = " and the ".join({"arr": "ARR", "acv": "average contract value"}[k]
                            for k in from_data)
    many = len(from_data) > 1
    facts_note = (f"The {read} {'are' if many else 'is'} read from the last month of "
                  "arr_monthly, as neither the profile nor the parameters give "
                  f"{'them' if many else 'it'}." if from_data else
                  "All of them come from the profile and the chapter's parameters.")
    return MaturitySummary(
        company_name=company_name(profile, data_dir), acv_line=acv_line,
        company_stage=company_facts.funding_stage or "not given",
        company_arr=company_facts.arr, company_acv=company_facts.acv, facts_note=facts_note,
        segment=rec.segment, segment_rule=(
            rec.reasons["segment"] if segmented is None else
            f"it sells to {len(segments)} segments (below) and is placed by its largest by "
            f"ARR, {segmented.lead}: {rec.reasons['segment']}"),
        cs_leader=rec.cs_leader, reports_to=rec.reports_to, renewal_owner=rec.renewal_owner,
        expansion_owner=rec.expansion_owner, compensation=rec.compensation,
        sources=", ".join(rec.sources), conflicts=len(rec.conflicts),
        n_conflicts=f"{len(rec.conflicts)} point{'' if len(rec.conflicts) == 1 else 's'}",
        data_nrr=_data_nrr(arr_monthly),
        first_change=(f"from {changes[0][0]} to {changes[0][1]}" if changes
                      else "at no stage"),
        segments=seg_summary, ex=_exercise(profile, facts, acv_line),
        recommendation=rec, segmented=segmented, facts=headline, path=path, note=note,
        segments_skipped=seg_skipped, currency=profile.currency, has_data=company is not None)


def _unused_segments(profile: Profile, accounts, arr_monthly) -> list[Segment]:
    if profile.segments:
        return segments_of(profile)
    return segments_from_data(accounts, arr_monthly) if arr_monthly is not None else []


def _segments_summary(r: SegmentedRecommendation, source: str, base: Profile, shared: dict,
                      acv_line: float) -> SegmentsSummary:
    words = {"segment": "company type", "cs_leader": "who leads CS",
             "reports_to": "where CS reports", "renewal_owner": "renewals",
             "expansion_owner": "expansion", "compensation": "CSM pay"}

    def listed(keys, none: str) -> str:
        keys = [words[k] for k in keys]
        return (" and ".join([", ".join(keys[:-1]), keys[-1]]) if len(keys) > 1
                else keys[0] if keys else none)

    nowhere = "nowhere, one structure serves every segment"

    lead_seg, lead_rec = next(p for p in r.segments if p[0].name == r.lead)
    # each segment's touch model (its own, else its ACV against the line), whatever its
    # type: a product-led or technical-buyer segment has one too
    high = sum(seg.share for seg, _ in r.segments
               if (seg.touch or ("high" if seg.acv >= acv_line else "low")) == "high")
    scaling = recommend_segments(base, [seg for seg, _ in r.segments], acv_line=acv_line,
                                 **{**shared, "funding_stage": SCALING_STAGE})
    return SegmentsSummary(
        count=len(r.segments),
        source=("the profile's segments" if source == "profile"
                else "accounts.segment in the data"),
        lead=r.lead, lead_share=lead_seg.share, lead_acv=lead_seg.acv,
        lead_type=lead_rec.segment, leader=VALUE_WORDS[r.company["cs_leader"]],
        reports_to=VALUE_WORDS[r.company["reports_to"]], high_touch_share=high,
        low_touch_share=1 - high, split=listed(r.split, nowhere),
        shared=listed(r.shared, "nothing"), split_scaling=listed(scaling.split, nowhere),
        leader_scaling=VALUE_WORDS[scaling.company["cs_leader"]],
        reports_to_scaling=VALUE_WORDS[scaling.company["reports_to"]])


def _exercise(profile: Profile, facts: dict, acv_line: float) -> ExerciseSummary | None:
    """Exercise 1 at the company's stage and ARR: the touch model left to the ACV."""
    by_acv = replace(profile, touch=None, segments=None)
    common = {**facts, "acv": EXERCISE_ACV, "touch": None}
    try:
        ex = recommend(by_acv, acv_line=acv_line, **{**common, "product_led": False,
                                                      "buyer": "business"})
        plg = recommend(by_acv, acv_line=acv_line, **{**common, "product_led": True})
    except ParameterError:
        return None
    return ExerciseSummary(acv=EXERCISE_ACV, segment=ex.segment, reports=ex.reports_to,
                           renewals=ex.renewal_owner, plg_reports=plg.reports_to,
                           plg_renewals=plg.renewal_owner)


def _data_nrr(arr_monthly: pd.DataFrame | None) -> float | None:
    """The net revenue retention of the last month, as the metrics chapter computes it,
    or ``None`` where the data have under twelve months before it or no base."""
    from .metrics import ArrPanel, retention

    if arr_monthly is None:
        return None
    panel = ArrPanel.from_frame(arr_monthly)
    t = len(panel.months) - 1
    if t < 12 or panel.values[:, t - 12].sum() <= 0:
        return None
    return retention(panel, panel.months[-1], 12).nrr
