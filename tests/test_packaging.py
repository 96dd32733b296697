"""The package stands alone: a wheel built from the repository, installed into a fresh
virtual environment, reruns a chapter and builds the whole book from any folder; its
dependencies are declared, and its extras cover requirements.txt; without the book's
tools, ``rerun`` and ``book`` say what to install."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
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
    assert {"pytest", "nbval", "hypothesis", "pypdfium2"} <= {
        d for d, extras in requires.items() if "test" in extras}
    assert "pandas" in requires and "" in requires["pandas"]
    modules = imported_modules(ROOT / "csmodels")
    assert {"pandas", "papermill", "nbformat", "sphinx", "mathjax"} <= modules
    distributions = packages_distributions()
    undeclared = {m for m in modules
                  if not {_normal(d) for d in distributions.get(m, [])} & set(requires)}
    assert not undeclared, f"imported but not in the wheel's Requires-Dist: {undeclared}"


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict:
    """The wheel installed into a fresh virtual environment, and a folder outside the
    repository holding a copy of the sample company ("my company")."""
    home = tmp_path_factory.mktemp("installed")
    venv = home / "venv"
    # The venv sees the machine's packages (offline, fast) but not this clone: no
    # PYTHONPATH, and csmodels only as installed from the wheel.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, timeout=120)
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    cwd = home / "elsewhere"
    cwd.mkdir()
    data = shutil.copytree(ROOT / "data" / "sample", cwd / "my company")
    return {"venv": venv, "python": python, "env": env, "cwd": cwd, "data": data}


def _csmodels(installed: dict, *args: str, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run([str(installed["venv"] / "bin" / "csmodels"), *args],
                          cwd=installed["cwd"], env=installed["env"], capture_output=True,
                          text=True, timeout=timeout, check=False)


@pytest.mark.slow
def test_an_installed_wheel_reruns_a_chapter_from_any_folder(installed):
    cwd, data, venv = installed["cwd"], installed["data"], installed["venv"]
    before = folder_digest(data)
    where = subprocess.run([str(installed["python"]), "-c", "import csmodels.rerun as r; "
                            "print(r.__file__); print(r.book_root())"], cwd=cwd,
                           env=installed["env"], capture_output=True, text=True,
                           check=True).stdout.split("\n")
    site_packages = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert Path(where[0]).is_relative_to(site_packages)
    assert Path(where[1]) == Path(where[0]).parent / "_book"

    done = _csmodels(installed, "rerun", "metrics", "--data", "my company", "--out", "out",
                     timeout=300)
    assert done.returncode == 0, done.stderr
    page = (cwd / "out" / "html" / "chapters" / "metrics.html").read_text(encoding="utf-8")
    assert "Rerun on your company." in page and str(data.resolve()) in page
    assert (cwd / "out" / "index.html").is_file()
    assert folder_digest(data) == before


@pytest.mark.slow
def test_an_installed_wheel_builds_the_book_from_any_folder(installed):
    """``csmodels book`` from the installed wheel, in a folder outside the repository:
    every chapter executed on the reader's data, the whole site written offline."""
    cwd, data = installed["cwd"], installed["data"]
    before = folder_digest(data)
    done = _csmodels(installed, "book", "--data", "my company", "--out", "site",
                     "-p", "reporting.n_draws", "300", "-p", "functions.bootstrap_draws", "50",
                     timeout=1200)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("site/index.html"), done.stdout
    site = cwd / "site"
    assert (site / "index.html").is_file()
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    for chapter in re.findall(r"file:\s*chapters/(\w+)", toc):
        page = (site / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")
        assert "Rerun on your company." in page and str(data.resolve()) in page, chapter
    maturity = (site / "chapters" / "maturity.html").read_text(encoding="utf-8")
    assert "Northwind Analytics" in maturity  # the company of the data, glued
    assert not list(site.rglob("*.ipynb_checkpoints"))
    assert folder_digest(data) == before


def _name(requirement: str) -> str:
    return _normal(re.match(r"\s*([A-Za-z0-9._-]+)", requirement).group(1))


def test_the_extras_cover_requirements_txt():
    """Every package requirements.txt pins is declared in pyproject (the core or an
    extra) or is a dependency of one that is; no distribution is declared twice."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lists = {"": project["dependencies"], **project["optional-dependencies"]}
    seen: dict[str, str] = {}
    for extra, specs in lists.items():
        for spec in specs:
            name = _name(spec)
            if name == "csmodels":  # [test] pulls in [book]
                continue
            assert name not in seen, f"{name} declared in [{seen[name]}] and in [{extra}]"
            seen[name] = extra
    pinned = [_name(line) for line in (ROOT / "requirements.txt").read_text().splitlines()
              if line.strip() and not line.startswith(("#", "-e"))]
    pulled = set()
    for name in seen:
        try:
            pulled |= {_name(r) for r in requires(name) or []}
        except PackageNotFoundError:
            pass
    missing = [name for name in pinned if name not in seen and name not in pulled]
    assert not missing, f"pinned in requirements.txt but in no extra of pyproject: {missing}"


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
