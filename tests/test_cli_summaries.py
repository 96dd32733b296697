"""``csmodels functions|collaboration|reporting``: each prints its chapter's Summary, the one
the chapter glues, with the chapter's parameters, and refuses bad input as ``metrics`` does."""

from __future__ import annotations

import ast
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import folder_digest
from shapes import write_shape

import csmodels as cs
from csmodels import collaboration, functions, pressure, reporting
from csmodels.cli import (
    SUMMARY_COMMANDS,
    build_parser,
    chapter_parameters,
    chapter_summary,
    chapter_values,
    main,
)
from tests import inprocess

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CHAPTERS = tuple(SUMMARY_COMMANDS)
FAST = ("-p", "bootstrap_draws", "50")
NRR_REFUSED = ("nrr must be a fraction from 0 to 3 (300%), not {}. Give nrr as a fraction "
               "(1.05 is 105%).")  # the functions chapter's refits, fewer for speed


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "csmodels", *args], capture_output=True,
                          text=True, timeout=300)


def as_json(summary) -> dict:
    """A summary as the command writes it (``--json``)."""
    return json.loads(json.dumps(summary.to_dict(), allow_nan=False))


def printed_json(capsys, *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


# ------------------------------------------------------------ the same figures as the chapter


def test_functions_on_the_sample_is_the_chapters_summary(sample_dir, capsys):
    out = printed_json(capsys, "functions", "--data", str(sample_dir))
    expected = functions.summarise(sample_dir)  # the chapter's defaults: 500 refits
    assert out == as_json(expected)
    assert out["sbg"]["r1"] == pytest.approx(0.849, abs=5e-4)  # the renewal the page quotes
    assert out["sbg"]["draws"] == 500 and out["company_name"] == "Northwind Analytics"
    assert out["base"]["nrr"] == pytest.approx(
        cs.retention(cs.ArrPanel.from_frame(cs.load_company(sample_dir).arr_monthly)).nrr)
    assert set(out) == {f.name for f in cs.FunctionsSummary.fields()}


def test_collaboration_on_the_sample_is_the_chapters_summary(sample_dir, capsys):
    out = printed_json(capsys, "collaboration", "--data", str(sample_dir))
    assert out == as_json(collaboration.summarise(sample_dir))
    assert out["handoffs"]["handoffs"] == 433 and out["ownership"]["rule"] == "sourced"
    assert out["generator"] is not None  # the book's own sample company


def test_reporting_on_the_sample_is_the_chapters_summary(sample_dir, capsys):
    out = printed_json(capsys, "reporting", "--data", str(sample_dir))
    assert out == as_json(reporting.reporting_summary(sample_dir))
    assert out["leader"] == "COO (operations)" and out["n_draws"] == 10_000
    panel = cs.ArrPanel.from_frame(cs.load_company(sample_dir).arr_monthly)
    assert out["pressure"]["nrr_today"] == pytest.approx(cs.retention(panel).nrr, abs=1e-6)
    assert out["pressure"]["horizon_years"] == 5


def test_parameters_reach_the_summary(sample_dir, capsys):
    out = printed_json(capsys, "functions", "--data", str(sample_dir), *FAST,
                       "-p", "years", "3", "-p", "gross_margin", "0.6", "-p", "as_of", "2025-06")
    assert out == as_json(functions.summarise(sample_dir, bootstrap_draws=50, years=3,
                                              gross_margin=0.6, as_of="2025-06"))
    assert (out["base"]["years"], out["gross_margin"], out["as_of"]) == (3, 0.6, "2025-06")
    out = printed_json(capsys, "collaboration", "--data", str(sample_dir),
                       "-p", "handoff_within_days", "7",
                       "-p", "self_assessment", "{'joint-training': 2}")
    assert out == as_json(collaboration.summarise(
        sample_dir, handoff_within_days=7, self_assessment_answers={"joint-training": 2}))
    assert out["sla_days"] == 7 and "joint-training" not in out["assessment"]["gaps"]
    out = printed_json(capsys, "reporting", "--data", str(sample_dir), "-p", "weights",
                       "{'incentive_purity': 5}", "-p", "n_draws", "500", "-p", "nrr", "1.1",
                       "-p", "horizon_years", "2")
    assert out == as_json(reporting.reporting_summary(
        sample_dir, weights={"incentive_purity": 5}, n_draws=500, nrr=1.1, horizon_years=2))
    assert out["n_draws"] == 500 and out["pressure"]["horizon_years"] == 2


@pytest.mark.parametrize("chapter, pairs", [
    ("functions", [("bootstrap_draws", "50"), ("years", "3"), ("nrr_change", "0.02")]),
    ("collaboration", [("split", "0.3"), ("self_assessment", "{'shared-metrics': 0}")]),
    ("reporting", [("n_draws", "300"), ("stage", "seed"), ("current_pressure", "0.7")]),
])
@pytest.mark.parametrize("company", ["sample", "no-new-accounts"])
def test_the_command_and_the_executed_chapter_agree(chapter, pairs, company, sample_dir,
                                                    tmp_path):
    """The chapter's notebook, run with the same -p values, glues exactly the figures the
    command computes (every one of them, formatted for the prose)."""
    data = sample_dir if company == "sample" else write_shape(company, tmp_path / company)
    values = chapter_values(chapter, pairs)
    summary = chapter_summary(chapter, str(data), None, values)
    ours: dict = {}
    summary.glue(lambda key, value, display=False: ours.__setitem__(key, str(value)),
                 currency=summary.currency)
    nb = inprocess.execute(chapter, data_dir=str(data.resolve()), profile_path=None,
                           **{name: values[name] for name, _ in pairs})
    theirs = {key: str(value) for key, value in inprocess.glued(nb).items()}
    assert len(ours) > 20 and theirs == ours


@pytest.mark.parametrize("shape", ["months-2", "months-13", "no-new-accounts", "no-profile",
                                   "only-arr-monthly", "three-accounts"])
def test_a_company_unlike_the_sample(shape, tmp_path, capsys):
    data = write_shape(shape, tmp_path / shape)
    before = folder_digest(data)
    out = printed_json(capsys, "functions", "--data", str(data), *FAST)
    assert out == as_json(functions.summarise(data, bootstrap_draws=50))
    assert out["data_months"] == len(cs.ArrPanel.from_frame(
        cs.load_company(data).arr_monthly).months)
    out = printed_json(capsys, "collaboration", "--data", str(data))
    assert out == as_json(collaboration.summarise(data))
    assert out["generator"] is None  # the generator's figures belong to the sample only
    out = printed_json(capsys, "reporting", "--data", str(data), "-p", "n_draws", "300")
    assert out == as_json(reporting.reporting_summary(data, n_draws=300))
    assert folder_digest(data) == before and sorted(p.name for p in data.iterdir()) == sorted(
        p.name for p in (tmp_path / shape).iterdir())


def test_figures_worked_out_by_hand(tmp_path, capsys):
    """Three accounts paying 12,000, 13,000 and 14,000 a year, flat for 20 months."""
    data = write_shape("three-accounts", tmp_path / "flat")
    out = printed_json(capsys, "functions", "--data", str(data), *FAST)
    assert (out["company_name"], out["data_months"], out["as_of"]) == (
        "Hand Made Ltd", 20, "2025-08")
    assert out["base"]["arr0"] == 39_000 and out["base"]["nrr"] == out["base"]["grr"] == 1
    assert out["base"]["new_bookings"] == 0
    assert out["ltv"]["arpa"] == 13_000 and out["ltv"]["value_per_year"] == 0.75 * 13_000
    assert out["ltv"]["net_capped"] == 5 * 0.75 * 13_000  # no churn: five years' margin
    out = printed_json(capsys, "functions", "--data", str(data), *FAST,
                       "-p", "gross_margin", "0.5", "-p", "ltv_cap_years", "3")
    assert out["ltv"]["net_capped"] == 3 * 0.5 * 13_000


def test_sections_the_data_cannot_support_are_null(tmp_path, capsys):
    data = write_shape("months-2", tmp_path / "short")
    out = printed_json(capsys, "functions", "--data", str(data), *FAST)
    assert out["base"] is None and out["sbg"] is None and out["data_months"] == 2
    text_out = (main(["functions", "--data", str(data), *FAST]), capsys.readouterr().out)
    assert text_out[0] == 0 and "[base] n/a (The revenue-base projection)" in text_out[1]
    data = write_shape("only-arr-monthly", tmp_path / "bare")
    out = printed_json(capsys, "collaboration", "--data", str(data))
    assert out["handoffs"] is None and out["ownership"] is None
    assert out["assessment"]["score"] == pytest.approx(
        cs.collaboration.assessment_score(cs.collaboration.self_assessment(
            cs.load_profile(data / "profile.yml").self_assessment)))


def test_the_second_company_in_euros(second_company, capsys):
    assert main(["collaboration", "--data", str(second_company)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith("(amounts in EUR)")
    assert re.search(r"^  Company +Second Test Co$", out, re.M)


# ---------------------------------------------------------------- the readable table


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_table_shows_every_figure_as_the_summary_labels_it(chapter, sample_dir, capsys):
    extra = {"functions": FAST, "collaboration": (),
             "reporting": ("-p", "n_draws", "300")}[chapter]
    assert main([chapter, "--data", str(sample_dir), *extra]) == 0
    out = capsys.readouterr().out
    summary = {"functions": lambda: functions.summarise(sample_dir, bootstrap_draws=50),
               "collaboration": lambda: collaboration.summarise(sample_dir),
               "reporting": lambda: reporting.reporting_summary(sample_dir, n_draws=300),
               }[chapter]()
    for _, label, shown in summary.rows(getattr(summary, "currency", None)):
        assert re.search(rf"^  {re.escape(label)} +{re.escape(shown)}$", out, re.M), label
    for f in type(summary).fields():
        if "section" in f.metadata and getattr(summary, f.name) is not None:
            assert f"\n[{f.name}]" in out
    if chapter == "reporting":
        assert "\n[pressure] " in out and "\n[pressure.ex_memory] " in out


def test_text_from_the_data_stays_text(tmp_path, capsys):
    """A company name with markup, a template and a terminal escape comes out as text: the
    escape escaped on the screen and in JSON, the rest as written."""
    data = write_shape("three-accounts", tmp_path / "odd")
    name = "Acme <b>{{ 7*7 }}</b> `x` $(id)"
    (data / "profile.yml").write_text(yaml.safe_dump({"company": name}), encoding="utf-8")
    for chapter in CHAPTERS:
        out = printed_json(capsys, chapter, "--data", str(data))
        assert out.get("company_name", name) == name
    assert main(["collaboration", "--data", str(data)]) == 0
    assert re.search(rf"^  Company +{re.escape(name)}$", capsys.readouterr().out, re.M)
    # no company in the profile: the folder's name, whose escape sequence shows escaped
    folder = tmp_path / "evil\x1b[31mred"
    data = write_shape("three-accounts", folder)
    (data / "profile.yml").unlink()
    assert main(["functions", "--data", str(data), *FAST]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "evil\\x1b[31mred" in out
    done = run("collaboration", "--data", str(data), "--json")
    assert done.returncode == 0 and "\x1b" not in done.stdout
    assert json.loads(done.stdout)["company_name"] == "evil\x1b[31mred"


# ---------------------------------------------------------------- bad input


def _refused(code: int, out: str, err: str, chapter: str, *fragments: str) -> None:
    assert code == 2 and out == "" and "Traceback" not in err, err
    assert err.startswith(f"csmodels {chapter}: "), err
    assert all(ch == "\n" or ch.isprintable() for ch in err), repr(err)
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def _corpus() -> list[tuple[str, str]]:
    """Every refused case of the bad-input corpus whose data a chapter reads, each given to
    one of the three commands in turn."""
    cases = []
    for folder in sorted(CORPUS.iterdir()):
        expect = folder / "expect.yml"
        if expect.exists():
            spec = yaml.safe_load(expect.read_text())
            if spec["exit"] == 2 and spec["run"] in ("metrics", "recommend"):
                cases.append(folder.name)
    return [(case, CHAPTERS[i % len(CHAPTERS)]) for i, case in enumerate(cases)]


@pytest.mark.parametrize("case, chapter", _corpus())
def test_the_bad_input_corpus_is_refused(case, chapter, capsys):
    folder = CORPUS / case
    spec = yaml.safe_load((folder / "expect.yml").read_text())
    before = folder_digest(folder)
    code = main([chapter, "--data", str(folder), "--json"])
    out, err = capsys.readouterr()
    _refused(code, out, err, chapter, spec["file"], *(spec.get("says") or []))
    if spec.get("column"):
        assert f"column '{spec['column']}'" in err, err
    assert folder_digest(folder) == before


def test_the_corpus_reaches_every_command():
    used = {chapter for _, chapter in _corpus()}
    assert used == set(CHAPTERS) and len(_corpus()) >= 90


@pytest.mark.parametrize("chapter, argv, fragments", [
    ("functions", ["-p", "yeers", "3"], ["no parameter 'yeers'", "years (int)"]),
    ("functions", ["-p", "years", "abc"], ["-p years", "takes an integer"]),
    ("functions", ["-p", "years", "0"], ["years must be a whole number from 1"]),
    ("functions", ["-p", "gross_margin", "7"], ["gross_margin must be a number from 0 to 1"]),
    ("functions", ["-p", "as_of", "2024-13"], ["not a month written YYYY-MM"]),
    ("functions", ["-p", "as_of", "__import__('os').getcwd()"], ["not a month"]),
    ("functions", ["-p", "data_dir", "x"], ["set by --data/--profile"]),
    ("collaboration", ["-p", "split", "3"], ["split must be a fraction from 0 to 1"]),
    ("collaboration", ["-p", "ownership_model", "nope"], ["Unknown ownership model 'nope'"]),
    ("collaboration", ["-p", "self_assessment", "{'x': 1}"], ["Unknown practice 'x'"]),
    ("collaboration", ["-p", "profile_path", "x.yml"], ["set by --data/--profile"]),
    ("reporting", ["-p", "weights", "{'foo': 1}"], ["'foo' is not a reporting criterion"]),
    ("reporting", ["-p", "nrr", "50"], ["Give nrr as a fraction"]),
    ("reporting", ["-p", "n_draws", "(1, 2)"], ["a tuple is not a value"]),
    ("reporting", ["-p", "weights\x1b[2J", "1"], ["no parameter 'weights\\x1b[2J'"]),
    # an outside review: one rule for NRR and GRR in every command, checked before any model
    ("functions", ["-p", "nrr", "1e308"], [NRR_REFUSED.format("1e+308")]),
    ("functions", ["-p", "nrr", "50", "-p", "grr", "0.9"], [NRR_REFUSED.format("50.0")]),
    ("functions", ["-p", "nrr", "1000"], [NRR_REFUSED.format("1000.0")]),
    ("reporting", ["-p", "nrr", "1000"], [NRR_REFUSED.format("1000.0")]),
    ("reporting", ["-p", "grr", "1.5"], ["grr must be a fraction from 0 to 1 (100%), not 1.5."]),
    ("functions", ["-p", "grr", "1.5"], ["grr must be a fraction from 0 to 1 (100%), not 1.5."]),
    ("functions", ["-p", "discount_rate", "-1"],
     ["discount_rate must be a finite number >= 0 (0.1 for 10% a period), not -1.0."]),
    ("reporting", ["-p", "weights", "{'incentive_purity': 1e308, 'executive_voice': 1e308}"],
     ["The weight of 'incentive_purity' is 1e+308. Weights are relative", "from 0 to 1000"]),
    ("reporting", ["-p", "weights", "{}"], ["weights is empty"]),
    ("functions", ["-p", "nrr", "1.05", "-p", "nrr", "0.5"], ["-p nrr is given more than once"]),
    ("collaboration", ["-p", "split", "0.5", "-p", "split", "0.4"],
     ["-p split is given more than once"]),
    ("reporting", ["-p", "seed", "1", "-p", "seed", "1"], ["-p seed is given more than once"]),
])
def test_bad_parameters_exit_2(chapter, argv, fragments, sample_dir, capsys):
    code = main([chapter, "--data", str(sample_dir), *argv])
    out, err = capsys.readouterr()
    _refused(code, out, err, chapter, *fragments)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_missing_folder_or_profile_exits_2(chapter, tmp_path, sample_dir, capsys):
    code = main([chapter, "--data", str(tmp_path / "nowhere")])
    out, err = capsys.readouterr()
    _refused(code, out, err, chapter, "nowhere", "does not exist", "Give the folder")
    code = main([chapter, "--data", str(sample_dir), "--profile", str(tmp_path / "p.yml")])
    out, err = capsys.readouterr()
    _refused(code, out, err, chapter, "p.yml", "profile file does not exist")
    code = main([chapter, "--data", str(sample_dir / "arr_monthly.csv")])
    out, err = capsys.readouterr()
    _refused(code, out, err, chapter, "is a file, not a folder")
    empty = tmp_path / "empty"
    empty.mkdir()
    code = main([chapter, "--data", str(empty)])
    out, err = capsys.readouterr()
    _refused(code, out, err, chapter, "arr_monthly")
    assert list(empty.iterdir()) == []


def test_a_real_process_exits_2_without_a_traceback(tmp_path):
    done = run("reporting", "--data", str(CORPUS / "arr_negative_amount"))
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    assert "arr_monthly.csv" in done.stderr and "column 'arr'" in done.stderr


# ---------------------------------------------------------------- the chapter's parameters


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_parameters_are_read_as_papermill_reads_them(chapter):
    """The command checks -p against the names, types and defaults csmodels rerun uses."""
    from csmodels.parameters import declared

    papermill = declared(ROOT / "chapters" / f"{chapter}.ipynb")
    ours = chapter_parameters(chapter)
    assert list(ours) == list(papermill)
    for name, (kind, default) in ours.items():
        assert kind == papermill[name]["inferred_type_name"], name
        assert default == ast.literal_eval(papermill[name]["default"]), name


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_parameter_reaches_the_chapters_functions_with_its_default(chapter):
    """Each parameter of the chapter is a keyword of the functions it calls, with the same
    default, so the command, the chapter and a call from Python cannot drift apart."""
    takes = {"functions": [functions.functions_summary],
             "collaboration": [collaboration.summarise],
             "reporting": [reporting.reporting_summary, pressure.company_summary,
                           pressure.summarise]}[chapter]
    defaults = {}
    for fn in takes:
        defaults.update({name: p.default for name, p in inspect.signature(fn).parameters.items()
                         if p.default is not inspect.Parameter.empty})
    renamed = {"self_assessment": "self_assessment_answers"}
    for name, (_, default) in chapter_parameters(chapter).items():
        if name in ("data_dir", "profile_path"):
            continue
        key = renamed.get(name, name)
        assert key in defaults, f"{chapter}: {name} reaches no function"
        assert defaults[key] == default, (chapter, name, defaults[key], default)


def test_the_commands_need_only_the_core_dependencies(sample_dir):
    """Without the [book] extra (its modules hidden), each command still prints its figures."""
    hide = ("jupyter_client", "papermill", "nbclient", "ipykernel", "IPython", "myst_nb",
            "jupyter_book", "sphinx")
    script = (f"import sys\nsys.modules.update(dict.fromkeys({hide!r}))\n"
              "from csmodels.cli import main\nsys.exit(main(sys.argv[1:]))")
    for chapter, extra in (("functions", FAST), ("collaboration", ()),
                           ("reporting", ("-p", "n_draws", "100"))):
        done = subprocess.run([sys.executable, "-c", script, chapter, "--data",
                               str(sample_dir), *extra, "--json"], capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]
        assert json.loads(done.stdout)["company_name"] == "Northwind Analytics"


# ---------------------------------------------------------------- --help


def test_help_lists_the_commands_and_their_json_keys():
    done = run("--help")
    assert done.returncode == 0
    for chapter in CHAPTERS:
        assert re.search(rf"^    {chapter} +\S", done.stdout, re.M), chapter
    classes = {"functions": functions.FunctionsSummary,
               "collaboration": collaboration.CollaborationSummary,
               "reporting": reporting.ReportingSummary}
    sub = build_parser()._subparsers._group_actions[0].choices
    for chapter, cls in classes.items():
        text = " ".join(sub[chapter].format_help().split())
        for f in cls.fields():
            assert re.search(rf"\b{f.name}\b", text), (chapter, f.name)
        assert "-p NAME VALUE" in text and "--json" in text
        assert f"csmodels.{chapter}.{cls.__name__}" in text
        for name in chapter_parameters(chapter):  # what -p takes
            assert name in ("data_dir", "profile_path") or re.search(rf"\b{name}\b", text)


def test_no_warning_precedes_a_refused_discount_rate(sample_dir):
    # numpy's RuntimeWarning came first when the bootstrap ran before the check
    result = run("functions", "--data", str(sample_dir), "-p", "discount_rate", "-0.5")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == ("csmodels functions: discount_rate must be a finite number >= 0 "
                             "(0.1 for 10% a period), not -0.5.\n")


@pytest.mark.parametrize("command", ["rerun", "book"])
def test_rerun_and_book_refuse_a_repeated_parameter(command, sample_dir, tmp_path, capsys):
    argv = [command, *(["functions"] if command == "rerun" else []), "--data",
            str(sample_dir), "--out", str(tmp_path / "out"), "-p", "nrr", "1.05", "-p",
            "nrr", "0.5"]
    code = main(argv)
    out, err = capsys.readouterr()
    _refused(code, out, err, command, "-p nrr is given more than once")
    assert not (tmp_path / "out").exists()


def test_the_self_assessment_scores_only_what_is_answered(sample_dir, tmp_path, capsys):
    bare = tmp_path / "no-profile"
    bare.mkdir()
    for csv in sample_dir.glob("*.csv"):
        (bare / csv.name).write_bytes(csv.read_bytes())
    nothing = printed_json(capsys, "collaboration", "--data", str(bare))["assessment"]
    assert nothing["score"] is None and nothing["n_answered"] == 0
    assert nothing["n_gaps"] == 0 and nothing["n_unanswered"] == 10
    assert main(["collaboration", "--data", str(bare)]) == 0
    table = capsys.readouterr().out
    assert re.search(r"Self-assessment score, over the practices answered +n/a", table)
    some = printed_json(capsys, "collaboration", "--data", str(bare), "-p", "self_assessment",
                        "{'joint-training': 2, 'shared-metrics': 0}")["assessment"]
    assert some["score"] == pytest.approx(0.5) and some["gaps"] == "shared-metrics"
    assert some["n_answered"] == 2 and some["n_unanswered"] == 8
    # the sample answers all ten: its score is over all ten, as before
    full = printed_json(capsys, "collaboration", "--data", str(sample_dir))["assessment"]
    answers = cs.load_profile(sample_dir / "profile.yml").self_assessment
    assert len(answers) == 10 and full["score"] == pytest.approx(sum(answers.values()) / 20)


def test_points_and_money_read_as_the_book_writes_them(sample_dir, capsys):
    assert main(["functions", "--data", str(sample_dir), *FAST]) == 0
    table = capsys.readouterr().out
    assert re.search(r"^  Churn step of the sensitivity \(one point\) +1\.0 points$", table,
                     re.M)
    assert re.search(r"^  ARR today +USD [0-9.]+M$", table, re.M)
    assert not re.search(r"^  ARR today +[0-9,]+$", table, re.M)
