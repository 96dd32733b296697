"""csmodels rerun and csmodels book: parameters, provenance, safety, progress, and the
chapters and the book on the messy export, showing that company's own numbers."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import folder_digest

import csmodels as cs
from csmodels._fs import MARKER, write_marker
from csmodels.book import fmt
from csmodels.cli import main
from csmodels.inputs import folder_fingerprint
from csmodels.parameters import parse_value
from csmodels.rerun import book_root, list_chapters, staged
from tests.executed import glued_in

CHAPTERS = list_chapters(book_root())


@pytest.fixture
def messy(tmp_path, root):
    """A copy of the shipped messy export, so the digest check sees only this test."""
    folder = tmp_path / "messy data"
    shutil.copytree(root / "data" / "messy_export", folder)
    return folder


def test_parameter_values_are_literals_never_code():
    assert parse_value("12") == 12 and parse_value("'Q'") == "Q" and parse_value("Q") == "Q"
    assert parse_value("[1, 2]") == [1, 2] and parse_value("2025-11") == "2025-11"
    assert parse_value("open('/etc/passwd').read()") == "open('/etc/passwd').read()"


def test_chapters_come_from_the_table_of_contents():
    assert "metrics" in CHAPTERS and "functions" in CHAPTERS


def test_an_unknown_parameter_lists_the_chapters_parameters(tmp_path, messy, capsys):
    code = main(["rerun", "metrics", "--data", str(messy), "--out", str(tmp_path / "o"),
                 "-p", "as_off", "2025-01"])
    err = capsys.readouterr().err
    assert code == 2 and "no parameter 'as_off'" in err and "as_of (str)" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("args, fragment", [
    (["-p", "data_dir", "x"], "set by --data"),
    (["--chapter-typo"], None),
])
def test_reserved_and_bad_options(tmp_path, messy, capsys, args, fragment):
    if fragment is None:
        with pytest.raises(SystemExit):
            main(["rerun", "metrics", "--data", str(messy), "--out", str(tmp_path / "o"), *args])
        return
    assert main(["rerun", "metrics", "--data", str(messy), "--out", str(tmp_path / "o"),
                 *args]) == 2
    assert fragment in capsys.readouterr().err


def test_an_unknown_chapter(tmp_path, messy, capsys):
    assert main(["rerun", "metricz", "--data", str(messy), "--out", str(tmp_path / "o")]) == 2
    assert "The chapters are: " in capsys.readouterr().err


def test_a_non_empty_out_is_refused_without_force(tmp_path, messy, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["book", "--data", str(messy), "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err and (out / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("where", ["inside", "parent"])
def test_out_may_not_be_in_or_around_the_data(tmp_path, messy, capsys, where):
    before = folder_digest(messy)
    out = messy / "site" if where == "inside" else messy.parent
    assert main(["rerun", "metrics", "--data", str(messy), "--out", str(out), "--force"]) == 2
    assert "data folder" in capsys.readouterr().err and folder_digest(messy) == before


def test_out_may_not_replace_the_books_sources(root, messy, capsys):
    assert main(["book", "--data", str(messy), "--out", str(root), "--force"]) == 2
    assert "book's sources" in capsys.readouterr().err and (root / "_toc.yml").is_file()


def test_bad_data_stops_before_anything_is_written(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "arr_monthly.csv").write_text("account_id,month,arr\na,2024-13,5\n")
    assert main(["rerun", "metrics", "--data", str(tmp_path / "data"),
                 "--out", str(tmp_path / "o")]) == 2
    assert "column 'month'" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_a_failure_inside_staging_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.html").write_text("old")
    write_marker(out, "rerun")  # an earlier output, which --force may replace
    with pytest.raises(RuntimeError), staged(out) as target:
        target.mkdir()
        (target / "half.html").write_text("half")
        raise RuntimeError("boom")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "old.html"]


@pytest.mark.slow
def test_a_failing_chapter_leaves_no_output(tmp_path, messy, capsys):
    out = tmp_path / "out"
    code = main(["rerun", "metrics", "--data", str(messy), "--out", str(out),
                 "-p", "health_weights", "{'adoptoin': 1.0}"])
    assert code == 2 and "ParameterError" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [messy]


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_reruns_on_the_messy_export(tmp_path, messy, chapter, capsys):
    before = folder_digest(messy)
    out = tmp_path / "out"
    assert main(["rerun", chapter, "--data", str(messy), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"[1/1] executing chapter {chapter}" in err and "elapsed" in err
    assert folder_digest(messy) == before  # the input folder is never written
    page = (out / "html" / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")
    assert "csmodels-provenance" in page and folder_fingerprint(messy) in page
    assert "Fjällbacka Software" in page and "onboarding, handoffs" in page
    prov = nbformat.read(out / f"{chapter}.ipynb", as_version=4).metadata.csmodels_provenance
    assert prov["data_folder"] == str(messy.resolve()) and prov["csmodels_version"]
    assert (out / "html" / "_static" / "csmodels-charts.js").is_file()  # charts offline
    assert "cdn.jsdelivr" not in page


@pytest.mark.slow
def test_the_metrics_page_shows_the_rerun_companys_numbers(tmp_path, messy, sample_dir, capsys):
    out = tmp_path / "out"
    assert main(["rerun", "metrics", "--data", str(messy), "--out", str(out),
                 "-p", "as_of", "2025-04", "-p", "lookback_months", "12"]) == 0
    capsys.readouterr()
    assert main(["metrics", "--data", str(messy), "--json", "--as-of", "2025-04"]) == 0
    summary = json.loads(capsys.readouterr().out)
    values = glued_in(out / "metrics.ipynb")
    sample = cs.metrics_summary(cs.load_company(sample_dir))
    assert values["company_name"] == "Fjällbacka Software" and values["as_of"] == "2025-04"
    for key in ("nrr", "grr", "logo_churn"):
        assert values[key] == fmt(summary[key]) != fmt(getattr(sample, key)), key
    assert values["nps"] == fmt(summary["nps"], "nps")
    page = (out / "html" / "chapters" / "metrics.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", page)
    assert str(fmt(summary["nrr"])) in text and "Northwind Analytics" not in text
    prov = nbformat.read(out / "metrics.ipynb", as_version=4).metadata.csmodels_provenance
    assert prov["parameters"] == {"as_of": "'2025-04'", "lookback_months": "12"}


@pytest.mark.slow
def test_the_book_command_builds_an_offline_site_on_the_company(tmp_path, messy, capsys):
    before = folder_digest(messy)
    out = tmp_path / "site"
    out.mkdir()
    (out / "stale.html").write_text("old")
    write_marker(out, "book")  # an earlier output, which --force replaces
    assert main(["book", "--data", str(messy), "--out", str(out), "--force"]) == 0
    err = capsys.readouterr().err
    assert f"[{len(CHAPTERS)}/{len(CHAPTERS)}]" in err and "building the site" in err
    assert folder_digest(messy) == before and not (out / "stale.html").exists()
    assert (out / "index.html").is_file() and (out / "_static" / "csmodels-charts.js").is_file()
    for chapter in CHAPTERS:
        page = (out / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")
        assert "csmodels-provenance" in page and "Fjällbacka Software" in page, chapter
    assert sorted(p.name for p in tmp_path.iterdir()) == ["messy data", "site"]


@pytest.mark.slow
def test_a_folder_name_with_a_terminal_escape_shows_as_escapes(tmp_path, sample_dir, capsys):
    from csmodels.book import visible

    data = tmp_path / "data\x1b[31m\nred"
    shutil.copytree(sample_dir, data)
    out = tmp_path / "out"
    assert main(["rerun", "metrics", "--data", str(data), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "\x1b" not in printed.err + printed.out and "\\x1b[31m\\nred" in printed.err
    shown = visible(data.resolve())
    assert shown.endswith("/data\\x1b[31m\\nred")
    page = (out / "html" / "chapters" / "metrics.html").read_text(encoding="utf-8")
    assert f"<code style=\"word-break:break-all\">{shown}</code>" in page  # provenance
    assert f"Computed on the data in <code>{shown}</code>" in page  # the footer
    prov = nbformat.read(out / "metrics.ipynb", as_version=4).metadata.csmodels_provenance
    assert prov["data_folder"].endswith("/data\x1b[31m\nred")


def test_a_folder_name_that_is_not_utf8_is_refused_in_words(tmp_path, sample_dir, capsys):
    import os

    data = Path(os.fsdecode(bytes(tmp_path) + b"/data\xff\x1b[31m\nred"))
    shutil.copytree(sample_dir, data)
    out = tmp_path / "out"
    assert main(["rerun", "metrics", "--data", str(data), "--out", str(out)]) == 2
    printed = capsys.readouterr()
    assert "\x1b" not in printed.err + printed.out and "\\x1b[31m\\nred" in printed.err
    assert "not UTF-8" in printed.err and not out.exists()
