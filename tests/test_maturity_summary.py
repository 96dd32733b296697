"""``maturity.summarise``: the one function the chapter and ``csmodels recommend`` read,
so they cannot recommend differently; the priority of facts (parameter > profile >
data); the per-segment figures, recomputed here from the CSV files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from csmodels.cli import main
from csmodels.exceptions import DataError
from csmodels.maturity import MaturitySummary, recommend, summarise
from csmodels.profile import Profile

CASES = Path(__file__).resolve().parents[1] / "data" / "cases"


def _cli_json(capsys, *args) -> dict:
    assert main(["recommend", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(("folder", "args", "facts"), [
    ("sample", [], {}),
    ("case", [], {}),
    ("case", ["--stage", "series-a"], {"funding_stage": "series-a"}),
    ("sample", ["--acv", "90000", "--stage", "growth"], {"acv": 90_000.0,
                                                         "funding_stage": "growth"}),
    ("sample", ["--touch", "low", "--product-led"], {"touch": "low", "product_led": True}),
])
def test_the_command_line_prints_the_summary(capsys, sample_dir, folder, args, facts):
    data = sample_dir if folder == "sample" else CASES / "scaling-low-touch"
    summary = summarise(str(data), require_data=True, **facts)
    assert _cli_json(capsys, "--data", str(data), *args) == summary.to_dict()
    text = main(["recommend", "--data", str(data), *args])
    assert text == 0 and (summary.segmented is None) == ("=== Segment" not in
                                                          capsys.readouterr().out)


@pytest.mark.parametrize(("args", "parameters"), [
    (["-p", "acv_line", "100000", "--stage", "seed", "--acv", "90000"],
     {"acv_line": 100_000, "funding_stage": "seed", "acv": 90_000}),
    (["-p", "funding_stage", "growth", "-p", "buyer", "technical"],
     {"funding_stage": "growth", "buyer": "technical"}),
    (["-p", "product_led", "True", "--arr", "2e6"], {"product_led": True, "arr": 2e6}),
])
def test_recommend_takes_the_chapters_parameters(capsys, sample_dir, args, parameters):
    """-p sets the maturity chapter's parameters as csmodels rerun does: the command
    prints the Summary of the Python call with the same parameters."""
    expected = summarise(str(sample_dir), require_data=True, **parameters)
    got = _cli_json(capsys, "--data", str(sample_dir), *args)
    assert got == expected.to_dict()
    # the parameter changed the answer: not the default run's figures
    assert got != summarise(str(sample_dir)).to_dict()


def test_the_acv_line_decides_the_touch_model(capsys):
    below = _cli_json(capsys, "--stage", "seed", "--acv", "90000", "-p", "acv_line", "100000")
    at = _cli_json(capsys, "--stage", "seed", "--acv", "90000")
    assert (below["segment"], below["acv_line"]) == ("startup-low-touch", 100_000)
    assert (at["segment"], at["acv_line"]) == ("startup-high-touch", 75_000)


@pytest.mark.parametrize(("args", "fragment"), [
    (["-p", "acv", "90000", "--acv", "80000"], "--acv and -p acv both set the acv"),
    (["-p", "acv_lin", "1"], "The chapter maturity has no parameter 'acv_lin'"),
    (["-p", "acv_line", "abc"], "acv_line"),
    (["-p", "data_dir", "x"], "-p data_dir is set by --data/--profile"),
    (["-p", "acv_line", "1", "-p", "acv_line", "2"], "-p acv_line is given more than once"),
])
def test_bad_parameters_exit_2(capsys, args, fragment):
    assert main(["recommend", "--stage", "seed", *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and fragment in err and "Traceback" not in err


def test_the_sample_is_placed_by_its_largest_segment(sample_dir):
    s = summarise(str(sample_dir))
    # independently: each segment's ARR in the last month, from the CSV files
    arr = pd.read_csv(sample_dir / "arr_monthly.csv")
    last = arr[(arr["month"] == arr["month"].max()) & (arr["arr"] > 0)]
    seg = last.merge(pd.read_csv(sample_dir / "accounts.csv"), on="account_id")
    by = seg.groupby("segment")["arr"].agg(["sum", "count"])
    share = by["sum"] / by["sum"].sum()
    acv = by["sum"] / by["count"]
    assert s.segments.count == 3 and s.segments.source == "the profile's segments"
    assert s.segments.lead == share.idxmax() == "Enterprise"
    assert s.segments.lead_share == pytest.approx(share["Enterprise"], abs=0.005)
    assert s.segments.lead_acv == pytest.approx(acv["Enterprise"], abs=1)
    high = share[acv >= 75_000].sum()
    assert s.segments.high_touch_share == pytest.approx(high, abs=0.005)
    assert s.segments.low_touch_share == pytest.approx(1 - high, abs=0.005)
    # Series B: every segment under a head of CS reporting to the CEO, split by type only;
    # as a growth-stage company the low-touch segments would take renewals into CS
    assert (s.segment, s.segments.lead_type) == ("startup-high-touch",) * 2
    assert (s.segments.leader, s.segments.reports_to) == ("a head of Customer Success",
                                                          "the CEO")
    assert s.segments.split == "company type"
    assert s.segments.shared == "who leads CS, where CS reports, renewals, expansion and CSM pay"
    assert s.segments.split_scaling == "company type, renewals, expansion and CSM pay"
    assert s.recommendation == recommend(funding_stage="series-b", arr=25_882_600,
                                         acv=151_699, touch="high", buyer="business")
    assert s.segment_rule.startswith("it sells to 3 segments (below) and is placed by its "
                                     "largest by ARR, Enterprise: a series-b company")
    assert s.first_change == "from series-b to growth"
    assert s.conflicts == len(s.recommendation.conflicts) == 4


@pytest.fixture
def quiet_profile(sample_dir, tmp_path) -> Path:
    """The sample with a profile that gives no ARR, ACV or segments."""
    folder = tmp_path / "co"
    shutil.copytree(sample_dir, folder)
    profile = yaml.safe_load((folder / "profile.yml").read_text(encoding="utf-8"))
    for key in ("arr", "acv", "segments"):
        del profile[key]
    (folder / "profile.yml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    return folder


def test_facts_by_priority_parameter_profile_data(quiet_profile):
    from_data = summarise(str(quiet_profile))
    assert from_data.company_arr == 25_882_600  # the data's, as neither gives it
    assert "ARR and the average contract value are read" in from_data.facts_note
    assert from_data.segments.source == "accounts.segment in the data"
    # a parameter beats the data; a company-wide ACV places the company as one
    given = summarise(str(quiet_profile), arr=3e6, acv=80_000)
    assert (given.company_arr, given.company_acv, given.segments) == (3e6, 80_000, None)
    assert given.facts_note.startswith("All of them come from")
    assert given.note.startswith("An ACV or touch model given for the whole company")
    # the profile beats the data
    path = quiet_profile / "profile.yml"
    profile = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump({**profile, "arr": 1e6}), encoding="utf-8")
    assert summarise(str(quiet_profile)).company_arr == 1e6


def test_an_unusable_data_folder(tmp_path):
    (tmp_path / "profile.yml").write_text("funding_stage: seed\nacv: 9000\n")
    with pytest.raises(DataError, match="arr_monthly"):
        summarise(str(tmp_path), require_data=True)
    s = summarise(str(tmp_path))  # the chapter goes on with the profile alone
    assert (s.segment, s.data_nrr, s.has_data, s.segments) == ("startup-low-touch", None,
                                                              False, None)
    glued = {}
    s.glue(lambda key, value, display: glued.__setitem__(key, value))
    assert glued["company_arr"] == "not given" and glued["company_acv"] == "USD 9.0k"
    assert glued["data_nrr"] == "not available (no usable arr_monthly)"
    assert not any(key.startswith("segments_") for key in glued)


def test_glued_names_from_the_data_stay_text(sample_dir, tmp_path):
    folder = tmp_path / "co"
    shutil.copytree(sample_dir, folder)
    path = folder / "profile.yml"
    profile = yaml.safe_load(path.read_text(encoding="utf-8"))
    profile["segments"][0]["name"] = "<b>{glue:text}`x`</b>"
    path.write_text(yaml.safe_dump(profile), encoding="utf-8")
    glued = {}
    summarise(str(folder)).glue(lambda key, value, display: glued.__setitem__(key, value))
    assert glued["segments_lead"] == "<b>{glue:text}`x`</b>"
    assert repr(glued["segments_lead"]) == repr("<b>{glue:text}`x`</b>")  # read back as text


def test_the_summary_is_frozen_and_declares_its_figures():
    s = summarise(None, None, funding_stage="growth", acv=20_000)
    assert isinstance(s, MaturitySummary) and s.segments is None
    with pytest.raises(AttributeError):
        s.segment = "x"
    assert s.to_dict()["ex"] == {"acv": 60_000, "segment": "scaling-low-touch",
                                 "reports": "ceo", "renewals": "cs", "plg_reports": "cro",
                                 "plg_renewals": "cs"}
    assert s.recommendation == recommend(Profile(), funding_stage="growth", acv=20_000)


def test_exercise_4_is_what_the_rerun_it_asks_for_shows(sample_dir):
    """Exercise 4 asks for a rerun at the growth stage; its solution's figures are that
    rerun's."""
    now = summarise(str(sample_dir))
    grown = summarise(str(sample_dir), funding_stage="growth")
    assert now.segments.split_scaling == grown.segments.split
    assert (now.segments.leader_scaling, now.segments.reports_to_scaling) == (
        grown.segments.leader, grown.segments.reports_to) == ("a Chief Customer Officer",
                                                              "the CEO")
    # the low-touch segments' CSMs take renewals; the enterprise segment's do not
    by_name = {seg.name: rec for seg, rec in grown.segmented.segments}
    assert [by_name[n].renewal_owner for n in ("Enterprise", "Mid-Market", "SMB")] == [
        "sales", "cs", "cs"]



def test_segments_that_agree_and_touch_shares_of_a_product_led_company(tmp_path):
    path = tmp_path / "profile.yml"
    path.write_text(yaml.safe_dump({"funding_stage": "growth", "product_led": True,
                                    "segments": [{"name": "Ent", "acv": 150_000, "share": 0.7},
                                                 {"name": "SMB", "acv": 8_000, "share": 0.3}]}))
    s = summarise(None, str(path)).segments
    # both segments are product-led, so nothing splits; their touch models still differ
    assert (s.split, s.split_scaling) == ("nowhere, one structure serves every segment",) * 2
    assert s.shared.startswith("who leads CS, where CS reports, company type")
    assert (s.high_touch_share, s.low_touch_share) == pytest.approx((0.7, 0.3))
    assert (s.leader, s.reports_to) == ("a Chief Customer Officer", "the CRO")


def test_the_command_and_the_executed_chapter_agree_with_a_parameter(sample_dir):
    """The maturity chapter run with -p acv_line glues exactly the figures recommend
    computes with the same -p (every one, formatted for the prose)."""
    from csmodels.cli import chapter_summary, chapter_values
    from tests import inprocess

    values = chapter_values("maturity", [("acv_line", "160000")])
    summary = chapter_summary("maturity", str(sample_dir), None, values)
    assert summary.acv_line == 160_000 and summary.text("acv_line") == "USD 160.0k"
    ours: dict = {}
    summary.glue(lambda key, value, display=False: ours.__setitem__(key, str(value)),
                 currency=summary.currency)
    nb = inprocess.execute("maturity", data_dir=str(sample_dir.resolve()), profile_path=None,
                           acv_line=160_000.0)
    theirs = {key: str(value) for key, value in inprocess.glued(nb).items()}
    assert len(ours) > 20 and theirs == ours


def test_every_parameter_of_the_chapter_reaches_summarise():
    """Each parameter of the maturity chapter is a fact of summarise or one of its
    keywords with the same default, so recommend -p and the chapter cannot drift apart."""
    import inspect

    from csmodels.cli import chapter_parameters
    from csmodels.profile import FACT_KEYS

    keywords = {name: p.default for name, p in inspect.signature(summarise).parameters.items()
                if p.kind is inspect.Parameter.KEYWORD_ONLY}
    for name, (_, default) in chapter_parameters("maturity").items():
        if name in ("data_dir", "profile_path"):
            continue
        if name in FACT_KEYS:
            assert default is None, name  # None: the profile's, else the data's
        else:
            assert keywords[name] == default, name


def test_recommend_json_keeps_every_segments_recommendation(sample_dir, capsys):
    """--json holds the Summary's figures and the recommendation in full: the headline
    one with its disagreements, and each segment's (the sample has three)."""
    assert main(["recommend", "--data", str(sample_dir), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    summary = summarise(str(sample_dir))
    assert got["recommendation"] == summary.recommendation.to_dict()
    names = [seg["name"] for seg in got["segmented"]["segments"]]
    assert names == ["Enterprise", "Mid-Market", "SMB"]
    assert all(seg["recommendation"]["cs_leader"] for seg in got["segmented"]["segments"])
    assert got["cs_leader"] == got["recommendation"]["cs_leader"]
