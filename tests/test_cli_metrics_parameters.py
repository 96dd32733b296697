"""``csmodels metrics --profile FILE -p NAME VALUE``: the metrics chapter's parameters and
profile, as the other chapter commands take theirs, on exports and on the engine's
sources (a Parquet dataset folder, a DuckDB file), with the same refusals on both."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
import yaml
from conftest import engine_sources, folder_digest

from csmodels.cli import SECTIONS_ONLY, build_parser, chapter_parameters, chapter_values, main
from csmodels.health import DEFAULT_WEIGHTS, HealthModel
from csmodels.kpis import MetricSettings, summarise
from csmodels.parameters import declared
from csmodels.profile import load_profile
from tests import inprocess
from tests.same_figures import SECTIONS

ROOT = Path(__file__).resolve().parents[1]
# every parameter off its default, each to a value the sample can support
CHANGED = (("lookback_months", "6"), ("nps_window_months", "6"), ("qbr_window_months", "6"),
           ("qbr_min_arr", "20000"), ("ttv_target_days", "30"), ("cohort_freq", "Y"),
           ("health_weights", "{'arr_trend': 0.7, 'adoption': 0.3}"),
           ("contract_term_months", "6"), ("health_lead_months", "2"),
           ("health_window_months", "6"), ("health_min_renewals", "10"),
           ("as_of", "2025-06"))
TOP_LEVEL = (("lookback_months", "6"), ("nps_window_months", "6"), ("qbr_window_months", "6"),
             ("qbr_min_arr", "20000"), ("ttv_target_days", "30"))


@pytest.fixture(autouse=True)
def _sql_cache(tmp_path, monkeypatch):
    """Each test compiles into a cache of its own (not the user's)."""
    monkeypatch.setenv("CSMODELS_CACHE", str(tmp_path / "sql-cache"))


def _json(capsys, *argv: str) -> dict:
    code = main(["metrics", *argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _as_written(summary) -> dict:
    return json.loads(json.dumps(summary.to_dict(), allow_nan=False))


def _argv(pairs) -> list[str]:
    return [word for name, value in pairs for word in ("-p", name, value)]


def _chapter_call(data: Path, values: dict, profile: Path | None = None):
    """The call of chapters/metrics.ipynb, with the parameters ``values``."""
    return summarise(data, profile, **values)


@pytest.fixture(scope="module")
def sample_sources(tmp_path_factory) -> tuple[Path, Path]:
    """The sample as a Parquet dataset folder and a DuckDB file (read only by the tests)."""
    return engine_sources(ROOT / "data" / "sample", tmp_path_factory.mktemp("sources"))


def _top_level(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k not in SECTIONS}


# ------------------------------------------------------------- the chapter's figures


def test_every_parameter_reaches_the_summary(sample_dir, capsys):
    values = {name: value for name, value in chapter_values("metrics", CHANGED).items()}
    got = _json(capsys, "--data", str(sample_dir), *_argv(CHANGED))
    assert got == _as_written(_chapter_call(sample_dir, values))
    default = _json(capsys, "--data", str(sample_dir))
    assert (got["as_of"], got["lookback_months"], got["base_month"]) == ("2025-06", 6, "2024-12")
    assert got["health"]["lead_months"] == 2 and default["health"]["lead_months"] == 3
    assert got["cohorts"]["count"] < default["cohorts"]["count"]  # years, not quarters
    assert got["nps_responses"] < default["nps_responses"]  # 6 months of answers, not 12
    assert got["nrr"] != default["nrr"]


def test_the_profiles_acv_places_the_company_in_its_band(sample_dir, tmp_path, capsys):
    default = _json(capsys, "--data", str(sample_dir))["benchmark"]
    assert default["acv"] == load_profile(sample_dir / "profile.yml").acv == 40_760
    assert default["band"] == "$25k to $50k"
    profile = tmp_path / "big.yml"
    profile.write_text(yaml.safe_dump({"company": "Big", "acv": 120_000}), encoding="utf-8")
    got = _json(capsys, "--data", str(sample_dir), "--profile", str(profile))
    assert got["benchmark"]["acv"] == 120_000 and got["benchmark"]["band"] == "$100k to $250k"
    assert got == _as_written(_chapter_call(sample_dir, {}, profile))
    assert got["benchmark"]["nrr_gap"] == pytest.approx(
        got["nrr"] - got["benchmark"]["median_nrr"], abs=2e-6)


@pytest.mark.slow
def test_the_command_and_the_executed_chapter_agree(sample_dir):
    """The chapter run with the same parameters as papermill would set them glues every
    figure the command computes, formatted alike."""
    pairs = (("lookback_months", "6"), ("nps_window_months", "6"), ("cohort_freq", "Y"),
             ("health_weights", "{'arr_trend': 0.7, 'adoption': 0.3}"))
    values = chapter_values("metrics", pairs)
    from csmodels.cli import chapter_summary

    summary = chapter_summary("metrics", str(sample_dir), None, values)
    ours: dict = {}
    summary.glue(lambda key, value, display=False: ours.__setitem__(key, str(value)),
                 currency="USD")
    nb = inprocess.execute("metrics", data_dir=str(sample_dir.resolve()), profile_path=None,
                           **{name: values[name] for name, _ in pairs})
    theirs = {key: str(value) for key, value in inprocess.glued(nb).items()}
    assert len(ours) > 40 and {k: theirs.get(k) for k in ours} == ours
    assert ours["lookback_months"] == "6" and theirs["nps_window"] == "6"


# ------------------------------------------------------- the engine: the same figures


@pytest.mark.parametrize("company", ["sample", "second"])
def test_the_engine_gives_the_same_top_level_figures(company, sample_dir, second_company,
                                                     tmp_path, capsys):
    exports = sample_dir if company == "sample" else second_company
    engines = engine_sources(exports, tmp_path)
    last = _json(capsys, "--data", str(exports))["as_of"]
    year, month = map(int, last.split("-"))
    earlier = f"{year - (month <= 3):04d}-{(month - 4) % 12 + 1:02d}"  # three months before
    for pairs in (TOP_LEVEL, (*TOP_LEVEL[:2], ("as_of", earlier))):
        want = _top_level(_json(capsys, "--data", str(exports), *_argv(pairs)))
        assert want["lookback_months"] == 6 and want["nrr"] is not None
        assert want["as_of"] == dict(pairs).get("as_of", last)
        for path in engines:
            got = _json(capsys, "--data", str(path), *_argv(pairs))
            assert _top_level(got) == want, path.name
            assert all(got[name] is None for name in SECTIONS)


def test_the_sections_parameters_leave_the_top_level_figures_alone(sample_dir, sample_sources,
                                                                    capsys):
    """What the help says: the parameters of SECTIONS_ONLY change sections only."""
    sections_only = [(n, v) for n, v in CHANGED if n in SECTIONS_ONLY]
    assert {n for n, _ in sections_only} == set(SECTIONS_ONLY)
    default = _json(capsys, "--data", str(sample_dir))
    changed = _json(capsys, "--data", str(sample_dir), *_argv(sections_only))
    assert _top_level(changed) == _top_level(default)
    assert changed["health"] != default["health"] and changed["cohorts"] != default["cohorts"]
    parquet = sample_sources[0]
    assert _json(capsys, "--data", str(parquet), *_argv(sections_only)) == _json(
        capsys, "--data", str(parquet))


def test_the_engine_path_with_parameters_needs_no_pandas(sample_dir, tmp_path):
    """Reading the parameters cell and the profile costs the engine path no pandas, no
    nbformat: a warm run imports DuckDB and csmodels's engine only."""
    parquet, _ = engine_sources(sample_dir, tmp_path)
    (parquet / "profile.yml").write_text("company: Parquet Co\nacv: 5000\n", encoding="utf-8")
    probe = ("import sys, runpy; sys.argv = ['csmodels', 'metrics', *sys.argv[1:]]\n"
             "try:\n    runpy.run_module('csmodels', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print(*sorted(m for m in ('pandas', 'numpy', 'nbformat', 'papermill', 'ibis', "
             "'csmodels.kpis', 'csmodels.rerun') if m in sys.modules), file=sys.stderr)")
    argv = ["--data", str(parquet), "-p", "lookback_months", "6", "--json"]
    runs = [subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True,
                           text=True, check=True) for _ in range(2)]
    assert runs[1].stderr.strip() == ""  # the second run reads its SQL from the cache
    assert runs[0].stdout == runs[1].stdout
    assert json.loads(runs[1].stdout)["lookback_months"] == 6


# ------------------------------------------------------------------- bad parameters


@pytest.mark.parametrize("argv, fragments", [
    (["-p", "lookbak_months", "6"], ["no parameter 'lookbak_months'", "lookback_months (int)"]),
    (["-p", "lookback_months", "abc"], ["-p lookback_months", "takes an integer"]),
    (["-p", "lookback_months", "0"], ["lookback_months must be a whole number of at least 1"]),
    (["-p", "nps_window_months", "2.5"], ["-p nps_window_months", "takes an integer"]),
    (["-p", "qbr_min_arr", "-5"], ["qbr_min_arr must be a finite number >= 0, not -5.0."]),
    (["-p", "cohort_freq", "M"], ["cohort_freq must be 'Q' (quarters) or 'Y' (years), not 'M'"]),
    (["-p", "health_weights", "{'mood': 1}"], ["Unknown health-score component(s) ['mood']"]),
    (["-p", "health_weights", "{'nps': 0}"], ["Health-score weights must be finite"]),
    (["-p", "as_of", "2024-13"], ["-p as_of: '2024-13' is not a month written YYYY-MM"]),
    (["-p", "as_of", "__import__('os').getcwd()"], ["is not a month written YYYY-MM"]),
    (["-p", "as_of", "2025-06", "--as-of", "2025-05"], ["given twice, by --as-of and by -p"]),
    (["-p", "as_of", "1990-01"], ["1990-01"]),
    (["-p", "data_dir", "x"], ["set by --data/--profile"]),
    (["-p", "lookback_months", "6", "-p", "lookback_months", "3"],
     ["-p lookback_months is given more than once"]),
    (["-p", "cohort_freq\x1b[2J", "Q"], ["no parameter 'cohort_freq\\x1b[2J'"]),
])
@pytest.mark.parametrize("source", ["exports", "parquet", "duckdb"])
def test_bad_parameters_exit_2_on_every_source(argv, fragments, source, sample_dir,
                                               sample_sources, capsys):
    data = sample_dir if source == "exports" else sample_sources[source == "duckdb"]
    before = folder_digest(data) if data.is_dir() else data.read_bytes()
    code = main(["metrics", "--data", str(data), *argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "Traceback" not in err, err
    assert err.startswith("csmodels metrics: ") and "\x1b" not in err, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert (folder_digest(data) if data.is_dir() else data.read_bytes()) == before


@pytest.mark.parametrize("source", ["exports", "parquet"])
def test_a_missing_or_bad_profile_exits_2(source, sample_dir, sample_sources, tmp_path,
                                          capsys):
    data = sample_dir if source == "exports" else sample_sources[0]
    code = main(["metrics", "--data", str(data), "--profile", str(tmp_path / "p.yml")])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "profile file does not exist" in err, err
    bad = tmp_path / "bad.yml"
    bad.write_text("acv: -3\n", encoding="utf-8")
    code = main(["metrics", "--data", str(data), "--profile", str(bad)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "bad.yml" in err and "acv" in err, err


def test_a_real_process_refuses_without_a_traceback(sample_dir):
    done = subprocess.run([sys.executable, "-m", "csmodels", "metrics", "--data",
                           str(sample_dir), "-p", "lookback_months", "-1"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("csmodels metrics: lookback_months must be a whole number of at "
                           "least 1, not -1.\n")


# -------------------------------------------------------------- the parameters cell


def test_parameters_are_read_as_papermill_reads_them():
    papermill = declared(ROOT / "chapters" / "metrics.ipynb")
    ours = chapter_parameters("metrics")
    assert list(ours) == list(papermill)
    for name, (kind, default) in ours.items():
        assert kind == papermill[name]["inferred_type_name"], name
        assert default == ast.literal_eval(papermill[name]["default"]), name


def test_every_parameter_is_a_setting_with_the_same_default():
    """Each parameter of the chapter is a field of MetricSettings with its default, or
    the month, or the health model's weights: the command and the chapter cannot drift."""
    settings = {f.name: f.default for f in fields(MetricSettings)}
    for name, (_, default) in chapter_parameters("metrics").items():
        if name == "data_dir":
            continue
        if name in ("profile_path", "as_of"):
            assert default is None, name
        elif name == "health_weights":
            assert default == dict(HealthModel().weights) == dict(DEFAULT_WEIGHTS)
        else:
            assert settings[name] == default, name


def test_help_lists_the_parameters_and_the_profile():
    sub = build_parser(metrics_only=True)._subparsers._group_actions[0].choices["metrics"]
    text = " ".join(sub.format_help().split())
    assert "-p NAME VALUE" in text and "--profile FILE" in text
    for name in chapter_parameters("metrics"):
        assert name in ("data_dir", "profile_path") or name in text, name
    assert f"{', '.join(SECTIONS_ONLY)} set only the chapter's sections" in text


def test_the_readme_names_the_settings_of_the_top_level_figures():
    """The README's list of the settings a Parquet folder or a DuckDB file takes is the
    chapter's parameters less those of SECTIONS_ONLY (and the month)."""
    top = [name for name in chapter_parameters("metrics")
           if name not in (*SECTIONS_ONLY, "data_dir", "profile_path", "as_of")]
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"({', '.join(f'`{name}`' for name in top)}, and the month)" in readme
