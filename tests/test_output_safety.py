"""Where ``csmodels rerun``, ``book`` and ``mapping-template`` may write, and how they end
on a fault of the file system: each case is refused (exit 2, one message, nothing
written, nothing touched) or ends cleanly. No chapter is executed here; faults
after the data check are reached with the chapter's execution and the site build
replaced by stand-ins, while staging, locking and copying stay real."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import folder_digest

import csmodels._fs as fs
import csmodels.rerun as rerun
from csmodels._fs import MARKER, _lock_path, output_lock, staged, write_marker
from csmodels._signals import Interrupted, deferred_signals, handled_signals
from csmodels.cli import main


@pytest.fixture
def data(tmp_path, sample_dir):
    folder = tmp_path / "data"
    shutil.copytree(sample_dir, folder)
    return folder


def refused(capsys, *argv) -> str:
    """Run the command line in-process; it must exit 2 with one message, no traceback."""
    code = main([*argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and err.count("\n") >= 1
    return err


def leftovers(folder: Path) -> list[str]:
    """Staging folders, lock files and old outputs csmodels might leave in ``folder``."""
    return sorted(p.name for p in folder.iterdir()
                  if ".tmp-" in p.name or p.name.endswith(".lock") or ".old-" in p.name)


@contextmanager
def small_disk(path: Path, size: str = "1m", read_only: bool = False):
    """A tiny tmpfs at ``path`` (root only); yields False where it cannot be mounted."""
    path.mkdir()
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                             capture_output=True, check=False).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], check=False)


# ------------------------------------------------------------ the book's own sources


def test_force_never_replaces_the_chapters_folder(root, data, capsys, monkeypatch):
    before = folder_digest(root / "chapters")
    monkeypatch.chdir(root)  # as in a clone: a relative --out
    err = refused(capsys, "rerun", "metrics", "--data", str(data), "--out", "chapters",
                  "--force")
    assert "inside the book's sources" in err and folder_digest(root / "chapters") == before


def test_dot_dot_does_not_get_around_the_check(root, data, capsys):
    out = root / "chapters" / ".." / "chapters"
    err = refused(capsys, "book", "--data", str(data), "--out", str(out), "--force")
    assert "book's sources" in err and (root / "chapters" / "metrics.ipynb").is_file()


def test_a_symlink_to_the_sources_is_refused(root, data, tmp_path, capsys):
    link = tmp_path / "looks-harmless"
    link.symlink_to(root / "chapters")
    err = refused(capsys, "rerun", "metrics", "--data", str(data), "--out", str(link), "--force")
    assert "book's sources" in err and (root / "chapters" / "metrics.ipynb").is_file()


def test_a_folder_above_the_book_is_refused(root, data, capsys):
    err = refused(capsys, "book", "--data", str(data), "--out", str(root.parent), "--force")
    assert "holds the book's sources" in err


def test_a_new_folder_in_the_clone_is_allowed_to_be_checked(root, data, capsys):
    """``--out my-book`` from inside a clone (as the README shows) passes the checks."""
    rerun.check_output(root / "csmodels-test-new-out", data, force=False, book=root)
    assert not (root / "csmodels-test-new-out").exists()


# --------------------------------------------------------- the reader's own folders


def test_out_is_the_folder_holding_the_profile(tmp_path, data, capsys):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    shutil.copy(data / "profile.yml", profiles / "client.yml")
    (profiles / "notes.txt").write_text("mine")
    write_marker(profiles, "book")  # even a folder csmodels once wrote
    err = refused(capsys, "book", "--data", str(data), "--profile",
                  str(profiles / "client.yml"), "--out", str(profiles), "--force")
    assert "folder holding the profile" in err
    assert (profiles / "client.yml").read_bytes() == (data / "profile.yml").read_bytes()


def test_out_above_the_profile_is_refused(tmp_path, data, capsys):
    (tmp_path / "a" / "b").mkdir(parents=True)
    shutil.copy(data / "profile.yml", tmp_path / "a" / "b" / "p.yml")
    err = refused(capsys, "rerun", "metrics", "--data", str(data), "--profile",
                  str(tmp_path / "a" / "b" / "p.yml"), "--out", str(tmp_path / "a"), "--force")
    assert "folder holding the profile" in err and (tmp_path / "a" / "b" / "p.yml").is_file()


def test_out_is_where_a_linked_mapping_lives(tmp_path, data, capsys):
    elsewhere = tmp_path / "shared-config"
    elsewhere.mkdir()
    (elsewhere / "mapping.yml").write_text("tables: {}\n")
    (data / "mapping.yml").symlink_to(elsewhere / "mapping.yml")
    write_marker(elsewhere, "book")
    err = refused(capsys, "book", "--data", str(data), "--out", str(elsewhere), "--force")
    assert "links to" in err and (elsewhere / "mapping.yml").read_text() == "tables: {}\n"


def test_a_symlink_to_the_data_folder_is_refused(tmp_path, data, capsys):
    before = folder_digest(data)
    link = tmp_path / "out-link"
    link.symlink_to(data)
    err = refused(capsys, "book", "--data", str(data), "--out", str(link), "--force")
    assert "data folder" in err and folder_digest(data) == before


def test_the_data_folder_under_another_name_is_refused(tmp_path, data, capsys):
    """Folders are compared by what they are on disk: a bind mount (like a name in
    another case on a case-insensitive disk) is the same folder."""
    other = tmp_path / "Other-Name"
    other.mkdir()
    if subprocess.run(["mount", "--bind", str(data), str(other)], capture_output=True,
                      check=False).returncode != 0:
        pytest.skip("needs mount --bind (root)")
    try:
        before = folder_digest(data)
        err = refused(capsys, "book", "--data", str(data), "--out", str(other), "--force")
        assert "data folder" in err and folder_digest(data) == before
        err = refused(capsys, "book", "--data", str(data), "--out", str(other / "site"))
        assert "inside the data folder" in err and not (data / "site").exists()
    finally:
        subprocess.run(["umount", "-l", str(other)], check=False)


@pytest.mark.parametrize("where", ["cwd", "home", "root"])
def test_out_is_the_current_or_home_folder_or_root(tmp_path, data, capsys, monkeypatch,
                                                   where):
    work = tmp_path / "work"
    work.mkdir()
    (work / "report.docx").write_text("mine")
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(work))
    out = {"cwd": ".", "home": os.path.expanduser("~"), "root": "/"}[where]
    err = refused(capsys, "rerun", "metrics", "--data", str(data), "--out", out, "--force")
    assert "Choose an output folder elsewhere" in err
    assert (work / "report.docx").read_text() == "mine"


def test_force_replaces_only_a_folder_csmodels_wrote(tmp_path, data, capsys):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.docx").write_text("two years of work")
    err = refused(capsys, "book", "--data", str(data), "--out", str(out), "--force")
    assert f"no {MARKER} file" in err and (out / "chapter1.docx").read_text() == "two years of work"


def test_force_replaces_a_folder_csmodels_wrote(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.html").write_text("old")
    write_marker(out, "book")
    with staged(out, force=True, command="book") as target:
        target.mkdir()
        (target / "new.html").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "new.html"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_forged_marker_that_is_a_symlink_does_not_count(tmp_path, data, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("mine")
    real = tmp_path / "real-marker"
    write_marker(tmp_path, "book")
    (tmp_path / MARKER).rename(real)
    (out / MARKER).symlink_to(real)
    assert "was not written by csmodels" in refused(
        capsys, "book", "--data", str(data), "--out", str(out), "--force")


# ------------------------------------------------------------------ impossible paths


@pytest.mark.parametrize("command", ["book", "mapping-template"])
def test_an_unexpanded_tilde_is_refused(tmp_path, data, capsys, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    err = refused(capsys, command, "--data", str(data), "--out", "~/my-book")
    assert "did not expand" in err and not (tmp_path / "~").exists()


def test_out_under_a_regular_file(tmp_path, data, capsys):
    (tmp_path / "notes.txt").write_text("x")
    err = refused(capsys, "rerun", "metrics", "--data", str(data), "--out",
                  str(tmp_path / "notes.txt" / "out"))
    assert "which is a file, not a folder" in err and (tmp_path / "notes.txt").read_text() == "x"


@pytest.mark.parametrize("command", ["book", "mapping-template"])
def test_a_symlink_loop(tmp_path, data, capsys, command):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    assert "symlink loop" in refused(capsys, command, "--data", str(data), "--out",
                                     str(tmp_path / "a" / "x"))


def test_out_under_proc(data, capsys):
    assert "/proc" in refused(capsys, "book", "--data", str(data), "--out", "/proc/self/out")


def test_an_over_long_name_is_refused(tmp_path, data, capsys):
    err = refused(capsys, "book", "--data", str(data), "--out", str(tmp_path / ("n" * 300)))
    assert "300 bytes long" in err and "allows 255" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


@pytest.mark.parametrize("command", ["book", "mapping-template"])
def test_an_over_long_path_is_refused(tmp_path, data, capsys, command):
    deep = tmp_path.joinpath(*["d" * 200] * 25)  # every name fits, the path does not
    err = refused(capsys, command, "--data", str(data), "--out", str(deep))
    assert "bytes long; paths on this system hold at most" in err and len(err) < 400


def test_a_250_character_name_still_stages(tmp_path):
    out = tmp_path / ("n" * 250)  # the staging folder and lock must not add to the name
    with staged(out, force=False, command="book") as target:
        target.mkdir()
    assert (out / MARKER).is_file() and sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_a_read_only_disk(tmp_path, data, capsys, monkeypatch):
    with small_disk(tmp_path / "ro", read_only=True) as mounted:
        if not mounted:  # not root: pretend the disk is read-only
            real = os.statvfs
            monkeypatch.setattr(os, "statvfs", lambda p: type("V", (), {
                "f_flag": real(p).f_flag | os.ST_RDONLY})())
        err = refused(capsys, "book", "--data", str(data), "--out", str(tmp_path / "ro" / "o"))
        assert "read-only disk" in err


def test_no_permission_while_staging(tmp_path, data, capsys, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".o.tmp-x"))

    monkeypatch.setattr(fs.tempfile, "mkdtemp", denied)
    err = refused(capsys, "book", "--data", str(data), "--out", str(tmp_path / "o"))
    assert "you do not have permission" in err and "Permission denied" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


@pytest.fixture
def stand_ins(monkeypatch, tmp_path):
    """The chapters' execution and the site build replaced; a site of ``size`` bytes."""
    def execute(source, target, *args):
        shutil.copy(source, target)

    def build(site, progress, size=3_000_000):
        html = site / "_build" / "html"
        html.mkdir(parents=True)
        (html / "index.html").write_text("<p>site</p>")
        (html / "big.bin").write_bytes(b"\0" * size)
        return html

    monkeypatch.setattr(rerun, "execute_chapter", execute)
    monkeypatch.setattr(rerun, "build_site", build)


def test_a_full_disk_at_the_output(tmp_path, data, capsys, stand_ins, monkeypatch):
    with small_disk(tmp_path / "disk") as mounted:
        if not mounted:
            def full(*args, **kwargs):
                raise OSError(errno.ENOSPC, "No space left on device", str(args[1]))
            monkeypatch.setattr(rerun, "copy_tree", full)
        err = refused(capsys, "book", "--data", str(data), "--out", str(tmp_path / "disk" / "o"))
        assert "the disk is full" in err and "No space left on device" in err
        assert list((tmp_path / "disk").iterdir()) == []  # no staging folder, no lock


def test_a_full_disk_in_the_temporary_folder(tmp_path, data, capsys, monkeypatch):
    with small_disk(tmp_path / "tmp") as mounted:
        if not mounted:
            pytest.skip("needs a small tmpfs (root)")
        monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
        err = refused(capsys, "book", "--data", str(data), "--out", str(tmp_path / "o"))
        assert "the disk is full" in err and str(tmp_path / "tmp") in err
        assert list((tmp_path / "tmp").iterdir()) == []
        assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "tmp"]


# ------------------------------------------------------------------- one run per --out


def test_a_second_run_to_the_same_out_is_refused_naming_the_first(tmp_path, data, capsys):
    out = tmp_path / "o"
    with output_lock(out, "book"):
        err = refused(capsys, "book", "--data", str(data), "--out", str(out))
    assert f"another csmodels run (pid {os.getpid()}, csmodels book" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # lock file gone


def test_folders_made_on_the_way_to_out_go_again_after_a_failure(tmp_path):
    with pytest.raises(RuntimeError), staged(tmp_path / "a" / "b" / "out") as target:
        target.mkdir()
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_the_staging_folder_of_a_killed_run_is_removed_by_the_next(tmp_path):
    out, theirs = tmp_path / "o", tmp_path / ".o.tmp-other"
    stale = tmp_path / ".o.tmp-killed1"
    (stale / "out").mkdir(parents=True)
    (stale / ".csmodels-staging").write_text(str(out))
    theirs.mkdir()  # looks alike but is not a staging folder for this --out
    (theirs / ".csmodels-staging").write_text(str(tmp_path / "o-other"))
    with staged(out, force=False, command="book") as target:
        target.mkdir()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".o.tmp-other", "o"]


def test_the_stale_lock_of_a_killed_run_is_taken_over(tmp_path):
    out = tmp_path / "o"
    _lock_path(out).write_text("pid 1, csmodels book, started long ago")  # nobody holds it
    with staged(out, force=False, command="book") as target:
        target.mkdir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_the_output_is_checked_again_once_the_lock_is_held(tmp_path):
    """A folder filled between the first check and the lock is not replaced."""
    out = tmp_path / "o"
    out.mkdir()
    (out / "theirs.txt").write_text("written meanwhile")
    with pytest.raises(rerun.CsModelsError, match="not empty"):
        with staged(out, force=False, command="book"):
            pass
    assert (out / "theirs.txt").read_text() == "written meanwhile"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


# ------------------------------------------------------------------------ signals


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_becomes_one_exception(signum, code):
    before = signal.getsignal(signum)
    with pytest.raises(Interrupted) as caught, handled_signals():
        os.kill(os.getpid(), signum)
        for _ in range(100):
            pass
    assert caught.value.exit_code == code and caught.value.name == signal.Signals(signum).name
    assert signal.getsignal(signum) is before  # handlers restored


def test_a_second_signal_while_cleaning_up_is_ignored():
    cleaned = []
    with pytest.raises(Interrupted) as caught, handled_signals():
        try:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(100):
                pass
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # a second signal during the cleanup
            for _ in range(100):
                pass
            cleaned.append("done")
    assert caught.value.name == "SIGINT" and cleaned == ["done"]


def test_a_signal_waits_for_a_deferred_block():
    done = []
    with pytest.raises(Interrupted), handled_signals():
        with deferred_signals():
            os.kill(os.getpid(), signal.SIGINT)
            done.append("the block finished")
    assert done == ["the block finished"]


# ------------------------------------------------------------------ mapping-template


def test_mapping_template_never_writes_into_the_data_folder(data, capsys):
    before = folder_digest(data)
    err = refused(capsys, "mapping-template", "--data", str(data), "--out",
                  str(data / "arr_monthly.csv"), "--force")
    assert "never writes to" in err and folder_digest(data) == before


def test_mapping_template_through_dot_dot_or_a_link(tmp_path, data, capsys):
    before = folder_digest(data)
    sneaky = tmp_path / "x" / ".." / "data" / "mapping.yml"
    (tmp_path / "x").mkdir()
    assert "never writes to" in refused(capsys, "mapping-template", "--data", str(data),
                                        "--out", str(sneaky), "--force")
    (tmp_path / "link.csv").symlink_to(data / "accounts.csv")
    assert "never writes to" in refused(capsys, "mapping-template", "--data", str(data),
                                        "--out", str(tmp_path / "link.csv"), "--force")
    assert folder_digest(data) == before


def test_mapping_template_to_a_file_the_data_links_to(tmp_path, data, capsys):
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "nps.csv").write_bytes((data / "nps_responses.csv").read_bytes())
    (data / "nps_responses.csv").unlink()
    (data / "nps_responses.csv").symlink_to(kept / "nps.csv")
    err = refused(capsys, "mapping-template", "--data", str(data), "--out",
                  str(kept / "nps.csv"), "--force")
    assert "never writes to" in err


@pytest.mark.parametrize("case, fragment", [
    ("folder", "is a folder"), ("missing", "does not exist"), ("under-file", "is a file"),
])
def test_mapping_template_bad_out(tmp_path, data, capsys, case, fragment):
    (tmp_path / "existing").mkdir()
    (tmp_path / "f.txt").write_text("x")
    out = {"folder": tmp_path / "existing", "missing": tmp_path / "nope" / "m.yml",
           "under-file": tmp_path / "f.txt" / "m.yml"}[case]
    assert fragment in refused(capsys, "mapping-template", "--data", str(data), "--out",
                               str(out))
    assert not (tmp_path / "nope").exists() and (tmp_path / "f.txt").read_text() == "x"


def test_mapping_template_on_a_full_disk_keeps_the_old_file(tmp_path, data, capsys):
    with small_disk(tmp_path / "disk", size="64k") as mounted:
        if not mounted:
            pytest.skip("needs a small tmpfs (root)")
        old = tmp_path / "disk" / "m.yml"
        old.write_text("old draft\n")
        filler = tmp_path / "disk" / "filler"
        with pytest.raises(OSError), filler.open("wb") as handle:
            while True:
                handle.write(b"\0" * 4096)
                handle.flush()
        err = refused(capsys, "mapping-template", "--data", str(data), "--out", str(old),
                      "--force")
        assert "the disk is full" in err and old.read_text() == "old draft\n"
        assert sorted(p.name for p in (tmp_path / "disk").iterdir()) == ["filler", "m.yml"]


def test_mapping_template_writes_and_leaves_no_temporary_file(tmp_path, data, capsys):
    out = tmp_path / "draft.yml"
    assert main(["mapping-template", "--data", str(data), "--out", str(out)]) == 0
    assert "tables:" in out.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "draft.yml"]
    assert "exists" in refused(capsys, "mapping-template", "--data", str(data), "--out",
                               str(out))


def test_control_characters_in_a_path_are_shown_escaped(tmp_path, data, capsys):
    (tmp_path / "notes.txt").write_text("x")
    err = refused(capsys, "book", "--data", str(data), "--out",
                  str(tmp_path / "notes.txt" / "x\n\x1b[2Jcleared"))
    assert "\x1b" not in err and err.count("\n") == 1 and "\\x1b[2Jcleared" in err


def test_no_jupyter_book_is_a_message_not_a_write_error(tmp_path, data, capsys, monkeypatch):
    monkeypatch.setattr(rerun, "execute_chapter", lambda source, target, *a: shutil.copy(
        source, target))
    monkeypatch.setattr(rerun.shutil, "which", lambda name: None)
    monkeypatch.setattr(rerun.sys, "executable", str(tmp_path / "nowhere" / "python"))
    err = refused(capsys, "rerun", "metrics", "--data", str(data), "--out", str(tmp_path / "o"))
    assert "jupyter-book is not installed" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
