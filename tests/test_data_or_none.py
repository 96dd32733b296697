"""No data against broken data (issue 18, review): a chapter given no data folder, or one
that does not exist or holds nothing but a ``profile.yml``, works from the profile
alone; a folder of data the loader refuses raises the loader's error, in every chapter
that reads the data and on the command line, instead of figures made without the data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from csmodels import maturity, pressure, reporting
from csmodels.cli import main
from csmodels.exceptions import DataError
from csmodels.inputs import company as company_module
from csmodels.inputs import load_company_if_any


@pytest.fixture(scope="module")
def broken(sample_dir, tmp_path_factory) -> Path:
    """The sample with one impossible row at the end of arr_monthly.csv."""
    folder = tmp_path_factory.mktemp("broken") / "co"
    shutil.copytree(sample_dir, folder)
    with open(folder / "arr_monthly.csv", "a", encoding="utf-8") as f:
        f.write("A00001,2023-13,abc\n")
    return folder


@pytest.fixture
def profile_only(sample_dir, tmp_path) -> Path:
    folder = tmp_path / "profile-only"
    folder.mkdir()
    shutil.copy(sample_dir / "profile.yml", folder / "profile.yml")
    return folder


CALLS = {
    "maturity": lambda folder: maturity.summarise(str(folder)),
    "reporting": lambda folder: reporting.reporting_summary(folder, n_draws=100),
    "pressure": lambda folder: pressure.pressure_summary(folder),
    "retention": lambda folder: pressure.company_retention(folder),
}


@pytest.mark.parametrize("call", CALLS)
def test_broken_data_raise_the_loaders_error(broken, call):
    with pytest.raises(DataError, match=r"arr_monthly\.csv") as err:
        CALLS[call](broken)
    assert "2023-13" in str(err.value)  # the loader's message, naming the bad cell


@pytest.mark.parametrize("chapter", ["reporting", "recommend"])
def test_the_command_line_exits_2_on_broken_data(broken, chapter, capsys):
    args = ["-p", "n_draws", "100"] if chapter == "reporting" else []
    assert main([chapter, "--data", str(broken), *args, "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.startswith(f"csmodels {chapter}: ") and "arr_monthly.csv" in err, err


def test_no_data_is_the_profile_alone(sample_dir, profile_only, tmp_path):
    missing = tmp_path / "nowhere"
    for folder in (None, missing, profile_only):
        assert load_company_if_any(folder) is None
    with_profile = maturity.summarise(str(profile_only))
    alone = maturity.summarise(None, str(sample_dir / "profile.yml"))
    assert not with_profile.has_data and with_profile == alone
    assert alone.data_nrr is None and alone.company_arr == 25_882_600  # the profile's
    assert reporting.reporting_summary(profile_only, n_draws=100).pressure.calibration \
        .startswith("on its default rates")
    assert pressure.company_retention(missing) == (None, None)


def test_the_command_line_requires_its_data(profile_only, tmp_path, capsys):
    with pytest.raises(DataError, match="arr_monthly is missing"):
        load_company_if_any(profile_only, required=True)
    with pytest.raises(DataError, match="does not exist"):
        load_company_if_any(tmp_path / "nowhere", required=True)
    assert main(["reporting", "--data", str(profile_only), "-p", "n_draws", "100"]) == 2
    assert "arr_monthly is missing" in capsys.readouterr().err
    assert main(["reporting", "--data", str(tmp_path / "nowhere")]) == 2
    assert "The data folder does not exist" in capsys.readouterr().err


def test_any_other_file_makes_it_a_data_folder(profile_only):
    (profile_only / "arr_montly.csv").write_text("account_id,month,arr\nA,2024-01,1\n")
    with pytest.raises(DataError, match="arr_monthly is missing"):
        maturity.summarise(str(profile_only))


def test_the_reporting_command_loads_the_folder_once(sample_dir, monkeypatch, capsys):
    calls = []
    load = company_module.load_company
    monkeypatch.setattr(company_module, "load_company",
                        lambda *a, **k: calls.append(a) or load(*a, **k))
    assert main(["reporting", "--data", str(sample_dir), "-p", "n_draws", "100",
                 "--json"]) == 0
    assert len(calls) == 1
