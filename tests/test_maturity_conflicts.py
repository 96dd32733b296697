"""``conflicts()`` against the sources' tables: every pair of sources, every shared
dimension, on a grid of companies, with the expected disagreements computed here from the
CSV files alone (not through the engine's readers)."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import pytest

import csmodels
from csmodels.claims import register
from csmodels.maturity import DIMENSIONS, recommend
from csmodels.profile import STAGES

DATA = Path(csmodels.__file__).parent / "data"


def _rows(name: str, key: str) -> dict[str, dict[str, str]]:
    with open(DATA / f"maturity_{name}.csv", encoding="utf-8", newline="") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


TYPES = _rows("company_types", "segment")
ARR = _rows("arr_stages", "arr_stage")
FUNDING = _rows("funding_stages", "funding_stage")
VARIANTS = {"high touch": {"touch": "high"}, "low touch": {"touch": "low"},
            "technical buyer": {"buyer": "technical"}, "product-led": {"product_led": True}}
GRID = list(itertools.product(STAGES, (1e6, 10e6, 40e6, 200e6), (10e3, 120e3), VARIANTS))
# the full grid: stage (or none) x ARR (or none) x ACV x touch (stated or left to the
# ACV) x buyer x product-led
FULL = [(stage, arr, acv, touch, buyer, plg) for stage, arr, acv, touch, buyer, plg in
        itertools.product((*STAGES, None), (None, 1e6, 10e6, 40e6), (10e3, 75e3, 120e3),
                          (None, "high", "low"), ("business", "technical"), (False, True))
        if stage is not None or arr is not None]


def _arr_row(arr: float) -> dict[str, str]:
    [row] = [r for r in ARR.values() if float(r["arr_low"]) <= arr
             and (r["arr_high"] == "" or arr < float(r["arr_high"]))]
    return row


def _expected_segment(stage, arr, acv, touch, buyer, plg) -> str:
    """Source 003's type by the book's rules, written out again from the module docs."""
    if plg:
        return "product-led"
    if buyer == "technical":
        return "technical-buyer"
    phase = ("startup" if stage in ("seed", "series-a", "series-b") else "scaling"
             if stage is not None else "scaling" if arr >= 25e6 else "startup")
    return f"{phase}-{touch or ('high' if acv >= 75e3 else 'low')}-touch"


def _expected(segment: str, stage: str | None, arr: float | None
              ) -> set[tuple[str, str, str]]:
    """(dimension, source, source) for every pair whose positions share no value."""
    rows = {"src003": TYPES[segment]}
    if arr is not None:
        rows["src004"] = _arr_row(arr)
    if stage is not None:
        rows["src000"] = FUNDING[stage]
    out = set()
    for (sa, ra), (sb, rb) in itertools.combinations(rows.items(), 2):
        for dim in DIMENSIONS:
            va, vb = set(filter(None, ra[dim].split("|"))), set(filter(None, rb[dim].split("|")))
            if va and vb and not va & vb:
                out.add((dim, *sorted((sa, sb))))
    return out


@pytest.mark.parametrize(("stage", "arr", "acv", "variant"), GRID)
def test_every_disagreement_and_only_those(stage, arr, acv, variant):
    r = recommend(funding_stage=stage, arr=arr, acv=acv, **VARIANTS[variant])
    got = [(c.dimension, *sorted(c.positions)) for c in r.conflicts]
    assert len(got) == len(set(got))  # each disagreement once
    assert set(got) == _expected(r.segment, stage, arr)
    spans = register()["span"]
    for c in r.conflicts:
        assert set(c.claims) == set(c.positions) and c.decides
        for source, claim in c.claims.items():
            # the cited claim is the source's own and its words are in the position
            assert claim.startswith(source[3:]) and spans[claim] in c.positions[source]


def test_every_pair_that_differs_is_flagged_on_the_full_grid():
    wrong, flagged = [], 0
    for stage, arr, acv, touch, buyer, plg in FULL:
        r = recommend(funding_stage=stage, arr=arr, acv=acv, touch=touch, buyer=buyer,
                      product_led=plg)
        got = [(c.dimension, *sorted(c.positions)) for c in r.conflicts]
        expected = _expected(_expected_segment(stage, arr, acv, touch, buyer, plg), stage, arr)
        if len(got) != len(set(got)) or set(got) != expected:
            wrong.append((stage, arr, acv, touch, buyer, plg, got, expected))
        flagged += bool(got)
    assert wrong == []
    assert len(FULL) == 828 and 0 < flagged < len(FULL)  # some companies, not all, differ


def test_the_sweep_finds_disagreements_on_every_dimension_and_pair():
    seen = set()
    for stage, arr, acv, variant in GRID:
        r = recommend(funding_stage=stage, arr=arr, acv=acv, **VARIANTS[variant])
        seen |= {(c.dimension, *sorted(c.positions)) for c in r.conflicts}
    assert {d for d, *_ in seen} == {"reports_to", "cs_leader", "renewal_owner",
                                     "expansion_owner", "pay"}
    assert {tuple(p) for _, *p in seen} == {("src000", "src003"), ("src003", "src004")}


def test_the_cases_the_issue_found_unflagged():
    plg = recommend(funding_stage="growth", acv=20_000, product_led=True)
    [c] = [c for c in plg.conflicts if c.dimension == "reports_to"]
    assert c.claims == {"src003": "003-plg-reporting", "src000": "000-scaleup-cco"}
    big = recommend(funding_stage="growth", arr=40e6, acv=120e3)
    assert {c.dimension for c in big.conflicts} == {"renewal_owner", "expansion_owner"}
    assert all(c.claims["src004"] == "004-mature-qbrs" for c in big.conflicts)
    # the sample company's path, as its chapter shows it (placed by its largest segment):
    # growth and public are flagged too, on who owns renewals and expansion (003 vs 004)
    path = csmodels.maturity.summarise("data/sample").path.set_index("funding_stage")
    assert (path["conflicts"] != "").all()
    for stage in ("growth", "public"):
        assert path.loc[stage, "segment"] == "scaling-high-touch"
        assert path.loc[stage, "conflicts"] == ("Who owns renewals: source 003 or source 004?; "
                                                "Who owns expansion: source 003 or source 004?")


def test_a_new_row_is_compared_without_new_code(company_type):
    company_type("scaling-high-touch", "reports_to", "president")
    r = recommend(funding_stage="growth", acv=120e3)
    assert [c.dimension for c in r.conflicts] == ["reports_to"]


def test_the_tables_cite_a_claim_of_their_source_for_every_position():
    claims = register()
    for table, key in (("company_types", "segment"), ("arr_stages", "arr_stage"),
                       ("funding_stages", "funding_stage")):
        for name, row in _rows(table, key).items():
            for dim in DIMENSIONS:
                claim = row[f"{dim}_claim"]
                assert bool(row[dim]) == bool(claim), (table, name, dim)
                if claim:
                    assert claims.loc[claim, "source"] == row["source"]
                    assert f"maturity_{table}.csv#{name}" in claims.loc[claim, "used_in"]
