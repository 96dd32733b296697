"""The sample company's profile agrees with its data: ARR, ACV, the segments (names,
ACVs, accounts, shares of ARR) and each touch model against source 003's $75K line,
all recomputed here from the CSV files with pandas alone."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from csmodels.maturity import ACV_LINE, segments_of
from csmodels.profile import Profile, load_profile
from csmodels.synth import CompanyShape, company_profile

SHARE_TOLERANCE = 0.005  # the profile rounds each ACV to the unit; shares move by less


@pytest.fixture(scope="module")
def paying(sample_dir) -> pd.DataFrame:
    """The accounts paying in the last month of arr_monthly, with their segment."""
    arr = pd.read_csv(sample_dir / "arr_monthly.csv")
    last = arr[(arr["month"] == arr["month"].max()) & (arr["arr"] > 0)]
    accounts = pd.read_csv(sample_dir / "accounts.csv")
    return last.merge(accounts[["account_id", "segment"]], on="account_id", how="left")


def contradictions(profile: Profile, paying: pd.DataFrame) -> list[str]:
    """What a profile says that the data (or the framework's $75K rule) does not."""
    found = []
    acv = paying["arr"].sum() / len(paying)
    if profile.arr is not None and abs(profile.arr - paying["arr"].sum()) > 1:
        found.append(f"arr {profile.arr} is not the data's {paying['arr'].sum():.0f}")
    if profile.acv is not None and abs(profile.acv - acv) > 1:
        found.append(f"acv {profile.acv} is not the data's {acv:.0f}")
    if profile.touch is not None and profile.touch != ("high" if acv >= ACV_LINE else "low"):
        found.append(f"touch {profile.touch} with an ACV of {acv:.0f}")
    by = paying.groupby("segment")["arr"].agg(["sum", "count"])
    if by.shape[0] > 1 and not profile.segments:
        found.append(f"no segments, where the data have {by.shape[0]}")
    for seg in segments_of(profile) if profile.segments else []:
        if seg.name not in by.index:
            found.append(f"segment {seg.name} is not in the data")
            continue
        data_acv = by.loc[seg.name, "sum"] / by.loc[seg.name, "count"]
        data_share = by.loc[seg.name, "sum"] / by["sum"].sum()
        if abs(seg.acv - data_acv) > 1 or seg.accounts != by.loc[seg.name, "count"]:
            found.append(f"segment {seg.name}: ACV {seg.acv} or {seg.accounts} accounts")
        if abs(seg.share - data_share) > SHARE_TOLERANCE:
            found.append(f"segment {seg.name}: share {seg.share:.3f} vs {data_share:.3f}")
        if seg.touch != ("high" if data_acv >= ACV_LINE else "low"):
            found.append(f"segment {seg.name}: touch {seg.touch} with an ACV of {data_acv:.0f}")
    return found


def test_the_sample_profile_agrees_with_its_data(sample_dir, paying):
    profile = load_profile(sample_dir / "profile.yml")
    assert contradictions(profile, paying) == []
    # what the check above relies on, stated outright
    assert [s["name"] for s in profile.segments] == ["Enterprise", "Mid-Market", "SMB"]
    assert [s["touch"] for s in profile.segments] == ["high", "low", "low"]
    assert profile.touch is None  # a mixed company states its touch model per segment


def test_the_check_catches_the_old_profile(sample_dir, paying):
    """The profile before: touch high, with a 40.8K ACV and no segments."""
    old = Profile(funding_stage="series-b", arr=25_882_600, acv=40_760, touch="high")
    found = contradictions(old, paying)
    assert any(f.startswith("touch high with an ACV of 40760") for f in found)
    assert "no segments, where the data have 3" in found
    wrong = Profile(segments=[{"name": "Enterprise", "acv": 151_699, "accounts": 82,
                               "touch": "high"},
                              {"name": "Mid-Market", "acv": 45_541, "accounts": 195,
                               "touch": "high"},
                              {"name": "SMB", "acv": 9_000, "accounts": 358, "touch": "low"}])
    found = contradictions(wrong, paying)
    assert "segment Mid-Market: touch high with an ACV of 45541" in found
    assert any(f.startswith("segment SMB: ACV 9000") for f in found)


def test_the_generator_writes_the_profile_from_the_data(sample_dir):
    """The generator's profile code, run on the committed tables, gives the committed
    profile (so regenerating the sample cannot bring the contradiction back)."""
    tables = {"arr_monthly": pd.read_csv(sample_dir / "arr_monthly.csv"),
              "accounts": pd.read_csv(sample_dir / "accounts.csv")}
    tables["arr_monthly"]["month"] = pd.PeriodIndex(tables["arr_monthly"]["month"], freq="M")
    written = yaml.safe_load((sample_dir / "profile.yml").read_text(encoding="utf-8"))
    made = company_profile(tables, CompanyShape(touch=None), segments=True)
    assert made == {k: v for k, v in written.items()
                    if k not in ("reporting_weights", "self_assessment")}
