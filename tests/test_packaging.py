"""The package stands alone: a wheel built from the repository, installed into a fresh
virtual environment, reruns a chapter from any folder; its dependencies are declared;
without the book's tools, ``rerun`` and ``book`` say what to install."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from conftest import folder_digest

from csmodels.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules(package: Path) -> set[str]:
    """The top-level modules the package's code imports, or opens as resources
    (``files("mathjax")``), other than its own and the standard library's."""
    found = set()
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
            elif (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "files"
                  and node.args and isinstance(node.args[0], ast.Constant)):
                found.add(str(node.args[0].value).split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m != "csmodels"}


def declared(wheel: Path) -> dict[str, set[str]]:
    """The wheel's Requires-Dist: distribution -> the extras that ask for it ("" for
    the core dependencies)."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode("utf-8")
    out: dict[str, set[str]] = {}
    for line in metadata.splitlines():
        if line.startswith("Requires-Dist:"):
            spec = line.split(":", 1)[1].strip()
            dist = _normal(re.match(r"[A-Za-z0-9._-]+", spec).group())
            extra = re.search(r"extra\s*==\s*['\"]([\w-]+)['\"]", spec)
            out.setdefault(dist, set()).add(extra.group(1) if extra else "")
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built (not editable) from a copy of the repository's tracked files."""
    work = tmp_path_factory.mktemp("wheel")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True).stdout.decode().split("\0")
    source = work / "src"
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "--no-index", "-q", str(source),
                            "-w", str(work / "dist")], capture_output=True, text=True,
                           timeout=120, check=False)
    assert built.returncode == 0, built.stderr
    (found,) = (work / "dist").glob("csmodels-*.whl")
    return found


@pytest.mark.slow
def test_the_wheel_carries_the_book_and_declares_every_import(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    book = "csmodels/_book/"
    for needed in ("_config.yml", "_toc.yml", "intro.md", "references.bib", "rerun.md",
                   "chapters/metrics.ipynb", "appendix/architecture.md", "cases/cases.ipynb",
                   "data/README.md", "data/sample/arr_monthly.csv",
                   "data/messy_export/mapping.yml", "benchmarks/results/metrics.csv"):
        assert book + needed in names, needed
    assert not [n for n in names if "__pycache__" in n or "/_build/" in n]

    requires = declared(wheel)
    assert {"papermill", "nbclient", "ipykernel", "jupyter-book"} <= {
        d for d, extras in requires.items() if "book" in extras}
    assert {"pytest", "nbval", "hypothesis"} <= {
        d for d, extras in requires.items() if "test" in extras}
    assert "pandas" in requires and "" in requires["pandas"]
    modules = imported_modules(ROOT / "csmodels")
    assert {"pandas", "papermill", "nbformat", "sphinx", "mathjax"} <= modules
    distributions = packages_distributions()
    undeclared = {m for m in modules
                  if not {_normal(d) for d in distributions.get(m, [])} & set(requires)}
    assert not undeclared, f"imported but not in the wheel's Requires-Dist: {undeclared}"


@pytest.mark.slow
def test_an_installed_wheel_reruns_a_chapter_from_any_folder(wheel, tmp_path, sample_dir):
    venv = tmp_path / "venv"
    # The venv sees the machine's packages (offline, fast) but not this clone: no
    # PYTHONPATH, and csmodels only as installed from the wheel.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, timeout=120)
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path),
           "LANG": "C.UTF-8"}
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    data = shutil.copytree(sample_dir, cwd / "my company")
    before = folder_digest(data)

    where = subprocess.run([str(python), "-c", "import csmodels.rerun as r; "
                            "print(r.__file__); print(r.book_root())"], cwd=cwd, env=env,
                           capture_output=True, text=True, check=True).stdout.split("\n")
    site_packages = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert Path(where[0]).is_relative_to(site_packages)
    assert Path(where[1]) == Path(where[0]).parent / "_book"

    done = subprocess.run([str(venv / "bin" / "csmodels"), "rerun", "metrics", "--data",
                           "my company", "--out", "out"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    page = (cwd / "out" / "html" / "chapters" / "metrics.html").read_text(encoding="utf-8")
    assert "Rerun on your company." in page and str(data.resolve()) in page
    assert (cwd / "out" / "index.html").is_file()
    assert folder_digest(data) == before


@pytest.mark.parametrize("command", [["rerun", "metrics"], ["book"]])
def test_without_papermill_rerun_and_book_say_what_to_install(command, tmp_path, sample_dir,
                                                             monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "papermill", None)  # as if it were not installed
    out = tmp_path / "out"
    code = main([*command, "--data", str(sample_dir), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "needs papermill: not installed" in err
    assert 'pip install "csmodels[book]"' in err and "Traceback" not in err
    assert not out.exists()


def test_the_book_is_found_in_the_clone_or_given_folder(tmp_path):
    from csmodels.rerun import RunError, book_root

    assert book_root() == ROOT
    with pytest.raises(RunError, match=r"no _toc\.yml and chapters/"):
        book_root(tmp_path)
