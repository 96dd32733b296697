"""The maturity-fit engine and ``csmodels recommend``: source 003's rows, the $75K
line, the precedence of product-led and technical-buyer rows, and the conflicts."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

import csmodels as cs
from csmodels.cli import main
from csmodels.exceptions import ParameterError
from csmodels.maturity import (
    ACV_LINE,
    arr_stage_of,
    arr_stages,
    company_types,
    funding_stages,
    path_through_stages,
    recommend,
    recommendation_map,
)
from csmodels.profile import Profile
from tests.executed import run_chapter

KEYS = ["segment", "cs_leader", "reports_to", "renewal_owner", "expansion_owner",
        "compensation", "sources", "conflicts"]  # a Recommendation's to_dict
CONTRACT = {"segment": {"startup-high-touch", "startup-low-touch", "scaling-high-touch",
                        "scaling-low-touch", "technical-buyer", "product-led"},
            "cs_leader": {"head-of-cs", "cco"},
            "reports_to": {"ceo", "president", "cro", "coo", "sales", "product"},
            "renewal_owner": {"sales", "cs", "renewals-team"},
            "expansion_owner": {"sales", "cs", "split"}}


def test_the_source_tables_are_complete_and_sourced():
    types = company_types()
    assert len(types) == 6 and set(types.index) == CONTRACT["segment"]
    also = [c for c in types.columns if c.endswith("_also")]  # further values accepted
    assert (types["source"] == "src003").all() and (types.drop(columns=also) != "").all().all()
    for column, allowed in CONTRACT.items():
        if column != "segment":
            assert set(types[column]) <= allowed, column
            if f"{column}_also" in also:
                assert {v for cell in types[f"{column}_also"] for v in cell.split("|")
                        if v} <= allowed, column
    assert also == ["reports_to_also"]
    assert types.loc[types["reports_to_also"] != "", "reports_to_also"].to_dict() == {
        "scaling-low-touch": "president", "technical-buyer": "president",
        "product-led": "president"}  # source 003's "President-type role" / "a President"
    assert list(arr_stages().index) == ["early", "growth", "mature"]
    assert (arr_stages()["source"] == "src004").all()
    assert set(funding_stages()["source"]) == {"src000"} and len(funding_stages()) == 5


@pytest.mark.parametrize(("acv", "segment"), [(74_999.99, "startup-low-touch"),
                                              (ACV_LINE, "startup-high-touch"),
                                              (75_000.01, "startup-high-touch")])
def test_the_75k_line(acv, segment):
    assert recommend(funding_stage="seed", acv=acv).segment == segment


def test_the_line_is_a_parameter():
    assert recommend(funding_stage="seed", acv=60_000, acv_line=50_000).segment == \
        "startup-high-touch"


def test_a_stated_touch_model_beats_the_acv():
    assert recommend(funding_stage="growth", acv=10_000, touch="high").segment == \
        "scaling-high-touch"


@pytest.mark.parametrize(("facts", "segment"), [
    ({"product_led": True, "buyer": "technical", "touch": "high"}, "product-led"),
    ({"buyer": "technical", "touch": "low", "acv": 5_000}, "technical-buyer"),
    ({"buyer": "business", "touch": "low"}, "scaling-low-touch"),
])
def test_precedence_product_led_then_technical_then_touch(facts, segment):
    assert recommend(funding_stage="growth", **facts).segment == segment


def test_each_row_maps_to_its_owners():
    r = recommend(funding_stage="public", acv=200_000)
    assert (r.segment, r.cs_leader, r.reports_to, r.renewal_owner, r.expansion_owner) == (
        "scaling-high-touch", "cco", "ceo", "sales", "sales")
    r = recommend(funding_stage="series-a", acv=3_000, product_led=True)
    assert (r.reports_to, r.renewal_owner, r.expansion_owner) == ("cro", "cs", "split")


def test_series_b_shows_both_sources():
    r = recommend(funding_stage="series-b", acv=20_000)
    [conflict] = [c for c in r.conflicts if c.dimension == "cs_leader"]
    assert set(conflict.positions) == {"src000", "src003"} and conflict.decides
    assert conflict.claims == {"src003": "003-startup-ceo", "src000": "000-scaleup-cco"}
    # at Series A, 000 and 003 agree (the CEO); only source 001's Product line differs
    assert {tuple(sorted(c.positions)) for c in
            recommend(funding_stage="series-a", acv=20_000).conflicts} == {
        ("src001", "src003"), ("src000", "src001")}


def test_arr_stages_and_their_conflicts():
    assert [arr_stage_of(x) for x in (0, 4_999_999, 5e6, 24_999_999, 25e6)] == [
        "early", "early", "growth", "growth", "mature"]
    r = recommend(funding_stage="seed", acv=5_000, arr=40e6)
    assert {("renewal_owner", "src003", "src004"), ("expansion_owner", "src003", "src004"),
            ("pay", "src003", "src004"), ("reports_to", "src003", "src001"),
            ("reports_to", "src000", "src001")} == {(c.dimension, *c.positions)
                                                    for c in r.conflicts}
    assert r.sources == ("src000", "src001", "src003", "src004")


def test_without_a_stage_the_arr_decides():
    assert recommend(arr=30e6, acv=5_000).segment == "scaling-low-touch"
    assert recommend(arr=3e6, acv=5_000).segment == "startup-low-touch"


@pytest.mark.parametrize(("facts", "fragment"), [
    ({"funding_stage": "serie-b", "acv": 1}, "Unknown funding stage"),
    ({"funding_stage": "seed", "acv": -1}, "must be a number >= 0"),
    ({"funding_stage": "seed", "acv": float("nan")}, "must be a number >= 0"),
    ({"funding_stage": "seed"}, "touch model"),
    ({"acv": 1}, "funding stage"),
    ({"funding_stage": "seed", "acv": 1, "product_led": "yes"}, "true or false"),
])
def test_bad_facts_are_refused_clearly(facts, fragment):
    with pytest.raises(ParameterError, match=fragment):
        recommend(**facts)


def test_profile_facts_and_overrides():
    profile = Profile(funding_stage="growth", acv=100_000)
    assert recommend(profile).segment == "scaling-high-touch"
    assert recommend(profile, acv=10_000).segment == "scaling-low-touch"
    assert recommend(profile, acv=None).segment == "scaling-high-touch"


def test_the_map_covers_every_stage_acv_and_variant():
    grid = recommendation_map()
    assert len(grid) == 3 * 5 * 7 and grid["segment"].notna().all()
    assert set(grid.loc[grid["variant"] == "product-led", "segment"]) == {"product-led"}
    moves = path_through_stages(Profile(acv=100_000))
    assert list(moves["segment"]) == ["startup-high-touch"] * 3 + ["scaling-high-touch"] * 2


def test_cli_json_follows_the_contract(capsys):
    assert main(["recommend", "--stage", "series-b", "--acv", "90000", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # the maturity chapter's Summary: every declared figure and section, in order, then
    # the recommendation in full (no segments given: no segmented one)
    assert list(out) == [f.name for f in cs.MaturitySummary.fields()] + [
        "recommendation", "segmented"]
    assert out["segmented"] is None
    assert out["recommendation"] == recommend(funding_stage="series-b", acv=90_000).to_dict()
    for key, allowed in CONTRACT.items():
        assert out[key] in allowed
    assert (out["segment"], out["cs_leader"], out["reports_to"]) == (
        "startup-high-touch", "head-of-cs", "ceo")
    # the sources are the bibkeys every table uses (csmodels/data/sources.csv)
    assert out["sources"] == "src000, src003"
    assert out["conflicts"] == 1 and out["segments"] is None
    assert recommend(funding_stage="series-b", acv=90_000).to_dict()["conflicts"][0][
        "claims"] == {"src003": "003-startup-ceo", "src000": "000-scaleup-cco"}


def test_cli_reads_a_profile_and_prints_text(capsys, sample_dir):
    assert main(["recommend", "--profile", str(sample_dir / "profile.yml"),
                 "--no-product-led"]) == 0
    out = capsys.readouterr().out
    # first the chapter's figures, labelled, in words; then the recommendation in words
    assert out.startswith("The maturity chapter's figures (amounts in USD)\n")
    table, words = out.split("\nThe recommendation, in words:\n\n")
    assert "  Company type (source 003)             Startup with a high-touch business\n" \
        in table and "  CS reporting to                       the CEO\n" in table
    assert "  Sources of the recommendation         Source 000, Source 003, Source 004" in table
    # the sample's profile lists three segments; the largest by ARR comes first
    assert words.startswith("3 segments, each placed on its own")
    assert "=== Segment 'Enterprise': ACV USD 151,699, 48% of ARR, 82 accounts ===\n\n" \
        "  Company type: Startup with a high-touch business." in out
    # the book's own rules are marked as such, apart from what the sources say
    assert "[book's reading] Why: " in out and "[book's reading] What decides: " in out
    assert "  Source 003, Ultimate Customer Success Org Guide (publisher not identified)\n" in out
    assert "_" not in out and "src00" not in out


@pytest.mark.parametrize(("args", "fragment"), [
    (["--stage", "serie-b"], "invalid choice"),
    (["--stage", "seed", "--acv", "-5"], "must be a number >= 0"),
    (["--stage", "seed", "--acv", "$80k"], "is not a number"),
    ([], "Give the funding stage"),
])
def test_cli_bad_input_exits_2(args, fragment, capsys):
    try:
        code = main(["recommend", *args])
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and "Traceback" not in err


def test_cli_bad_profile_exits_2(tmp_path, capsys):
    (tmp_path / "p.yml").write_text("funding_stage: series-z\n")
    assert main(["recommend", "--profile", str(tmp_path / "p.yml")]) == 2
    assert "funding_stage" in capsys.readouterr().err


@pytest.mark.slow
def test_the_chapter_on_the_sample(tmp_path, sample_dir):
    glued = run_chapter("maturity", tmp_path / "m.ipynb", data_dir=str(sample_dir))
    summary = cs.maturity.summarise(str(sample_dir))
    # what the page shows is the summary the command line prints, glued
    expected = {}
    summary.glue(lambda key, value, display: expected.__setitem__(key, value))
    assert {k: glued[k] for k in expected} == expected
    # and by hand: Northwind is placed by its largest segment, Enterprise (ACV 151.7K)
    lead = recommend(Profile(funding_stage="series-b", acv=151_699, touch="high",
                             arr=25_882_600))
    assert glued["segment"] == lead.segment == "startup-high-touch"
    assert glued["n_conflicts"] == f"{len(lead.conflicts)} points"
    assert glued["first_change"] == "from series-b to growth"
    assert (glued["segments_count"], glued["segments_lead"]) == ("3", "Enterprise")
    assert glued["segments_split"] == "company type"
    assert glued["segments_split_scaling"] == "company type, renewals, expansion and CSM pay"


@pytest.mark.slow
def test_the_chapter_on_another_profile(tmp_path, second_company):
    glued = run_chapter("maturity", tmp_path / "m.ipynb", data_dir=str(second_company),
                        acv=20000.0, acv_line=10000.0)
    # the second company's profile: series-a, low touch stated, technical buyer, product-led
    assert glued["company_name"] == "Second Test Co"
    assert glued["segment"] == "product-led" and glued["ex_plg_reports"] == "cro"
    assert glued["ex_segment"] == "startup-high-touch"  # 60K is above a 10K line
    # its data have three segments, but an ACV given for the whole company places it as one
    assert not any(key.startswith("segments_") for key in glued)


@pytest.mark.slow
def test_the_chapter_reads_arr_and_acv_from_the_data_when_the_profile_is_silent(tmp_path,
                                                                              sample_dir):
    data = tmp_path / "data"
    shutil.copytree(sample_dir, data)
    profile = yaml.safe_load((data / "profile.yml").read_text())
    for key in ("funding_stage", "arr", "acv"):
        del profile[key]
    (data / "profile.yml").write_text(yaml.safe_dump(profile))
    glued = run_chapter("maturity", tmp_path / "m.ipynb", data_dir=str(data))
    company = cs.load_company(data)
    facts = cs.facts_from_data(company.arr_monthly)
    # 25.9M of ARR is source 004's mature stage, so without a funding stage it counts as
    # scaling; the largest segment (Enterprise, 151.7K) places it as high touch
    assert facts["arr"] > 25e6
    assert glued["segment"] == recommend(Profile(acv=151_699, arr=facts["arr"])).segment
    assert glued["segment"] == "scaling-high-touch"
    assert glued["company_acv"] == "USD 40.8k"  # the company's, read from the data
    assert glued["company_stage"] == "not given"
    assert "read from the last month of arr_monthly" in glued["facts_note"]


def test_a_recommendation_names_the_sources_of_the_rows_it_reads(monkeypatch):
    # the source of each row is the table's own cell: a sixth source, one row of
    # sources.csv and a table naming it, needs no change to the engine
    import pandas as pd

    from csmodels import claims, maturity

    original = maturity.package_table
    sources = claims.package_table("sources", text=True)
    sixth = pd.concat([sources, pd.DataFrame([{**sources.iloc[3].to_dict(), "source": "005",
                                               "bibkey": "src005", "title": "A sixth"}])],
                      ignore_index=True)
    funding = original("maturity_funding_stages", text=True).assign(source="src005")
    monkeypatch.setattr(claims, "package_table", lambda name, text=False: sixth
                        if name == "sources" else original(name, text))
    monkeypatch.setattr(maturity, "package_table", lambda name, text=False: funding
                        if name == "maturity_funding_stages" else original(name, text))
    r = recommend(funding_stage="series-b", acv=90_000)
    assert r.sources == ("src003", "src005")
    assert r.conflicts[0].topic == "Who leads CS: source 003 or source 005?"
    text = maturity.describe(r)
    assert "  Source 005 (claim 000-scaleup-cco): Series B" in text
    assert "  Source 005, A sixth (publisher not identified)\n" in text
    assert "Funding stage (source 005): " in text


def test_the_facts_are_declared_once():
    # Facts declares them; a Profile holds them and CompanyFacts adds only the ACV line
    import dataclasses

    from csmodels.maturity import CompanyFacts
    from csmodels.profile import FACT_KEYS, Facts

    assert FACT_KEYS == ("funding_stage", "arr", "acv", "touch", "buyer", "product_led")
    assert [f.name for f in dataclasses.fields(Facts)] == list(FACT_KEYS)
    assert set(CompanyFacts.__annotations__) == {"acv_line"}
    assert not set(Profile.__annotations__) & set(FACT_KEYS)
    assert [f.name for f in dataclasses.fields(Profile)][:8] == ["company", "currency",
                                                                *FACT_KEYS]
    profile = Profile(company="Acme", funding_stage="growth", arr=12e6, acv=20_000,
                      buyer="business")
    facts = CompanyFacts.from_profile(profile, acv=90_000, touch=None)
    assert (facts.funding_stage, facts.arr, facts.acv, facts.touch, facts.acv_line) == (
        "growth", 12e6, 90_000, None, ACV_LINE)
    # one check for both: a profile made in code refuses what the engine refuses
    for made in (Profile, CompanyFacts):
        with pytest.raises(ParameterError,
                           match=r"Unknown touch 'medium'\. Use one of: high, low\."):
            made(touch="medium")
        with pytest.raises(ParameterError, match="The ARR must be a number >= 0"):
            made(arr=-1)


def test_a_profile_with_no_product_led_value_is_refused_as_before(tmp_path, capsys):
    # profile.yml's 'product_led:' left empty: the engine needs true or false
    path = tmp_path / "profile.yml"
    path.write_text("funding_stage: growth\nacv: 100000\nproduct_led:\n", encoding="utf-8")
    assert main(["recommend", "--profile", str(path)]) == 2
    assert "product_led must be true or false, not None." in capsys.readouterr().err
    assert main(["recommend", "--profile", str(path), "--product-led"]) == 0


def test_the_facts_from_data_are_the_metrics_chapters_figures(sample_dir):
    # one definition of ARR and ACV: the metrics chapter's, not a third computation
    from csmodels.metrics import ArrPanel, arr_at, average_contract_value

    arr_monthly = cs.load_company(sample_dir).arr_monthly
    panel = ArrPanel.from_frame(arr_monthly)
    facts = cs.facts_from_data(arr_monthly)
    assert facts == {"arr": arr_at(panel)[0], "acv": average_contract_value(panel)}
    assert facts == {"arr": 25_882_600.0, "acv": 40_760.0}  # as profile.yml states them
    nobody = arr_monthly.assign(arr=arr_monthly["arr"].where(
        arr_monthly["month"] < arr_monthly["month"].max(), 0.0))
    assert cs.facts_from_data(nobody) == {}


def test_the_map_marks_the_company_on_the_nearest_acv_and_its_variant():
    from csmodels.maturity import CompanyFacts, map_marker

    grid = recommendation_map()
    marks = [map_marker(grid, CompanyFacts(funding_stage="seed", acv=acv, **extra), "x")
             for acv, extra in ((4_000, {}), (60_000, {"buyer": "technical"}),
                                (1e6, {"buyer": "technical", "product_led": True}))]
    assert [(m["acv_label"], m["variant"]) for m in marks] == [
        ("$5K", "standard"), ("$50K", "technical buyer"), ("$250K", "product-led")]
    assert map_marker(grid, CompanyFacts(acv=0, funding_stage="seed"), "x")["acv_label"] == "$5K"
    assert map_marker(grid, CompanyFacts(funding_stage="seed"), "x") is None
