"""A company with several segments: one recommendation per segment, what they share and
where they split, from the profile's ``segments`` or the data's ``accounts.segment``."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
import yaml

from csmodels import maturity
from csmodels.cli import main
from csmodels.exceptions import ParameterError
from csmodels.maturity import Segment, recommend, recommend_segments, segments_of
from csmodels.profile import Profile, load_profile

TWO = [{"name": "Enterprise", "acv": 150_000, "share": 0.7, "touch": "high"},
       {"name": "SMB", "acv": 8_000, "share": 0.3}]


def _profile(tmp_path, segments, **extra):
    path = tmp_path / "profile.yml"
    path.write_text(yaml.safe_dump({"funding_stage": "growth", "arr": 12e6, "touch": "high",
                                    **extra, "segments": segments}))
    return path


def test_each_segment_is_placed_as_a_company_of_its_own():
    r = recommend_segments(Profile(funding_stage="growth", arr=12e6, touch="high",
                                   segments=TWO))
    [(ent, rec_ent), (smb, rec_smb)] = r.segments
    assert (ent.name, ent.share, smb.share) == ("Enterprise", 0.7, 0.3)
    # the same as asking for each segment alone; the company-wide touch is not applied
    assert rec_ent == recommend(funding_stage="growth", arr=12e6, acv=150_000, touch="high")
    assert rec_smb == recommend(funding_stage="growth", arr=12e6, acv=8_000)
    assert (rec_ent.segment, rec_smb.segment) == ("scaling-high-touch", "scaling-low-touch")
    assert r.shared == {"cs_leader": "cco", "reports_to": "ceo"}
    assert r.split == {
        "segment": {"Enterprise": "scaling-high-touch", "SMB": "scaling-low-touch"},
        "renewal_owner": {"Enterprise": "sales", "SMB": "cs"},
        "expansion_owner": {"Enterprise": "sales", "SMB": "split"},
        "compensation": {"Enterprise": "outcomes-and-team-nrr", "SMB": "retention"}}
    assert r.company == {"cs_leader": "cco", "reports_to": "ceo"} and r.lead == "Enterprise"


def test_accounts_weigh_by_arr():
    segs = segments_of(Profile(segments=[{"name": "A", "acv": 100_000, "accounts": 30},
                                         {"name": "B", "acv": 10_000, "accounts": 100}]))
    assert [round(s.share, 6) for s in segs] == [0.75, 0.25] and segs[1].accounts == 100


def test_the_largest_segment_decides_the_company_level_when_segments_differ(company_type):
    company_type("scaling-low-touch", "cs_leader", "head-of-cs")
    small_first = [Segment("Ent", 150_000, 0.4), Segment("SMB", 8_000, 0.6)]
    r = recommend_segments(funding_stage="growth", segments=small_first)
    assert r.split["cs_leader"] == {"Ent": "cco", "SMB": "head-of-cs"}
    assert r.lead == "SMB" and r.company["cs_leader"] == "head-of-cs"
    assert "'SMB', decides them" in maturity.describe_segments(r)


@pytest.mark.parametrize("key", ["acv", "touch"])
def test_company_wide_acv_or_touch_with_segments_is_refused(key):
    with pytest.raises(ParameterError, match=f"own {key}"):
        recommend_segments(Profile(funding_stage="growth", segments=TWO),
                           **{key: 10_000 if key == "acv" else "low"})


def test_cli_prints_a_block_per_segment_then_shared_and_split(tmp_path, capsys):
    assert main(["recommend", "--profile", str(_profile(tmp_path, TWO))]) == 0
    out = capsys.readouterr().out
    assert out.count("=== Segment ") == 2
    assert "=== Segment 'Enterprise': ACV USD 150,000, 70% of ARR ===" in out
    assert "Company type: Scaling company with a low-touch business." in out
    shared, split = out.split("What the segments share:")[1].split("Where they split:")
    assert "a Chief Customer Officer" in shared and "renewals" not in shared
    assert "'Enterprise': Sales; 'SMB': Customer Success" in split
    assert "every segment points to a Chief Customer Officer reporting to the CEO" in out
    assert "Design different engagement models for different customer segments" in out


def test_cli_json_per_segment(tmp_path, capsys):
    assert main(["recommend", "--profile", str(_profile(tmp_path, TWO)), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["segments"]  # the summary's section
    assert (out["count"], out["lead"], out["lead_type"]) == (2, "Enterprise",
                                                             "scaling-high-touch")
    assert (out["lead_share"], out["high_touch_share"]) == (0.7, 0.7)
    assert out["split"] == "company type, renewals, expansion and CSM pay"
    assert (out["leader"], out["reports_to"]) == ("a Chief Customer Officer", "the CEO")


@pytest.fixture
def unsegmented_sample(sample_dir, tmp_path):
    """The sample company with a profile that lists no segments (so the data's count)."""
    folder = tmp_path / "sample"
    shutil.copytree(sample_dir, folder)
    profile = yaml.safe_load((folder / "profile.yml").read_text(encoding="utf-8"))
    del profile["segments"]
    (folder / "profile.yml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    return folder


def test_segments_from_the_data(unsegmented_sample, capsys):
    sample_dir = unsegmented_sample
    assert main(["recommend", "--data", str(sample_dir), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    summary = maturity.summarise(str(sample_dir), require_data=True)
    assert cli == summary.to_dict() and cli["segments"]["source"] == (
        "accounts.segment in the data")
    out = summary.segmented.to_dict()
    # independently: ARR of the accounts paying in the last month, by accounts.segment
    arr = pd.read_csv(sample_dir / "arr_monthly.csv")
    last = arr[(arr["month"] == arr["month"].max()) & (arr["arr"] > 0)]
    seg = last.merge(pd.read_csv(sample_dir / "accounts.csv"), on="account_id")
    by = seg.groupby("segment")["arr"].agg(["sum", "count"])
    got = {s["name"]: s for s in out["segments"]}
    assert set(got) == set(by.index) == {"Enterprise", "Mid-Market", "SMB"}
    for name, row in by.iterrows():
        assert got[name]["accounts"] == row["count"]
        assert got[name]["acv"] == pytest.approx(row["sum"] / row["count"])
        assert got[name]["share"] == pytest.approx(row["sum"] / by["sum"].sum())
        touch = "high" if row["sum"] / row["count"] >= 75_000 else "low"
        assert got[name]["recommendation"]["segment"] == f"startup-{touch}-touch"
    assert out["company"] == {"cs_leader": "head-of-cs", "reports_to": "ceo"}


def test_profile_segments_win_over_the_data(sample_dir, tmp_path, capsys):
    profile = _profile(tmp_path, TWO)
    assert main(["recommend", "--data", str(sample_dir), "--profile", str(profile),
                 "--json"]) == 0
    segments = json.loads(capsys.readouterr().out)["segments"]
    assert (segments["count"], segments["lead"], segments["source"]) == (
        2, "Enterprise", "the profile's segments")


def test_a_segment_name_in_the_data_shows_as_text(unsegmented_sample, capsys):
    folder = unsegmented_sample
    accounts = pd.read_csv(folder / "accounts.csv")
    accounts["segment"] = accounts["segment"].replace("SMB", "S\x1b[31mMB {{x}}")
    accounts.to_csv(folder / "accounts.csv", index=False)
    assert main(["recommend", "--data", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "S\\x1b[31mMB {{x}}" in out


def test_one_segment_is_the_single_company_answer(tmp_path, capsys):
    one = [{"name": "All", "acv": 8_000, "share": 1.0}]
    assert main(["recommend", "--profile", str(_profile(tmp_path, one, touch=None)),
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["segment"] == "scaling-low-touch" and out["segments"] is None


@pytest.mark.parametrize(("segments", "fragment"), [
    ("Enterprise", "must be a list of segments"),
    ([], "must be a list of segments"),
    (["Enterprise"], "not a mapping"),
    ([{"name": "A", "acv": 1, "share": 1, "tuoch": "high"}], "unknown key(s): 'tuoch'"),
    ([{"acv": 1, "share": 1}], "no usable 'name'"),
    ([{"name": "A", "acv": 1, "share": 0.5}, {"name": "A", "acv": 2, "share": 0.5}],
     "Two segments are named 'A'"),
    ([{"name": "A", "acv": "$80k", "share": 1}], "'acv' '$80k'"),
    ([{"name": "A", "acv": -1, "share": 1}], "'acv' -1"),
    ([{"name": "A", "acv": 1}], "neither of 'share' and 'accounts'"),
    ([{"name": "A", "acv": 1, "share": 0.5, "accounts": 3}], "share and accounts"),
    ([{"name": "A", "acv": 1, "share": 1.5}], "'share' 1.5"),
    ([{"name": "A", "acv": 1, "accounts": 2.5}], "'accounts' 2.5"),
    ([{"name": "A", "acv": 1, "share": 0.5}, {"name": "B", "acv": 1, "accounts": 3}],
     "Use the same one"),
    ([{"name": "A", "acv": 1, "share": 0.5}, {"name": "B", "acv": 1, "share": 0.2}],
     "add up to 0.7"),
    ([{"name": "A", "acv": 1, "share": 1, "touch": "medium"}], "'touch' 'medium'"),
])
def test_bad_segments_exit_2_naming_the_file_and_entry(tmp_path, capsys, segments, fragment):
    path = _profile(tmp_path, segments)
    before = path.read_bytes()
    assert main(["recommend", "--profile", str(path)]) == 2
    captured = capsys.readouterr()
    assert fragment in captured.err and str(path) in captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert path.read_bytes() == before


def test_acv_or_touch_for_the_whole_company_places_it_as_one(tmp_path, capsys):
    # a parameter comes before the profile: the company is one company with that ACV
    # (and the profile's company-wide touch), and the reader is told why
    path = str(_profile(tmp_path, TWO, touch=None))
    assert main(["recommend", "--profile", path, "--acv", "5000"]) == 0
    out = capsys.readouterr().out.split("The recommendation, in words:\n\n")[1]
    assert out.startswith("Company type: Scaling company with a low-touch business.")
    assert "=== Segment" not in out
    assert out.rstrip().endswith("leave both out to see a recommendation per segment.")
    assert main(["recommend", "--profile", path, "--touch", "high", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["segment"] == "scaling-high-touch"
    # the engine's own function still refuses a company-wide ACV beside segments
    with pytest.raises(ParameterError, match="own acv"):
        recommend_segments(load_profile(path), acv=5_000)


def test_the_loader_keeps_segments(tmp_path):
    assert load_profile(_profile(tmp_path, TWO)).segments == TWO


def test_a_bad_data_folder_exits_2(tmp_path, capsys):
    assert main(["recommend", "--data", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "The data folder does not exist" in err and "Traceback" not in err
    assert main(["recommend", "--data", str(tmp_path)]) == 2
    assert "arr_monthly is missing" in capsys.readouterr().err
