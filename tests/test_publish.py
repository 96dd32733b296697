"""Publishing: the workflow runs the README's set-up commands and publishes with
ghp-import, and ghp-import puts a built site on a gh-pages branch."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PUBLISH = "ghp-import -n -p -f _build/html"


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.search(rf"^## {re.escape(title)}.*?$(.*?)(?=^## |\Z)", text, re.M | re.S)[1]


def commands(section: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


def workflow() -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text())


def steps() -> list[dict]:
    (job,) = workflow()["jobs"].values()
    return job["steps"]


def test_the_readme_has_exactly_two_set_up_commands():
    setup = commands(readme_section("Set up"))
    assert len(setup) == 2 and all("\n" not in c for c in setup)
    assert setup[0].endswith("jupyter-book build .") and setup[1].endswith("python -m pytest -n 2")


def test_the_workflow_runs_on_push_to_main_and_can_push_pages():
    flow = workflow()
    on = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert on["push"]["branches"] == ["main"]
    assert flow["permissions"]["contents"] == "write"
    (job,) = flow["jobs"].values()
    assert job["container"].startswith("python:3.11")  # Debian, as root: apt-get runs as written


def test_the_workflow_runs_the_readme_commands_verbatim_then_publishes():
    runs = [step.get("run", "").strip() for step in steps()]
    setup = commands(readme_section("Set up"))
    order = [runs.index(command) for command in setup]  # each one a step of its own, verbatim
    assert order == sorted(order)
    publish = next(i for i, run in enumerate(runs) if PUBLISH in run.splitlines())
    assert publish > max(order)  # publishes only what was built and tested
    assert steps()[publish]["if"] == ("github.event_name == 'push' && "
                                      "github.ref == 'refs/heads/main'")
    printing = next(i for i, run in enumerate(runs) if run.startswith("python teaching/print.py"))
    assert max(order) < printing < publish
    assert commands(readme_section("Publish")) == [PUBLISH]
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("ghp-import==") for line in requirements)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_ghp_import_puts_a_built_site_on_gh_pages(tmp_path):
    """The README's command without -p (nothing to push to): the branch holds the site."""
    ghp = Path(sys.executable).with_name("ghp-import")
    assert ghp.exists(), "ghp-import is in requirements.txt: pip install -r requirements.txt"
    repo = tmp_path / "repo"
    site = repo / "_build" / "html"
    (site / "_static").mkdir(parents=True)
    (site / "index.html").write_text("<p>the book</p>", encoding="utf-8")
    (site / "_static" / "csmodels-charts.js").write_text("// charts", encoding="utf-8")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "start"], check=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    done = subprocess.run([str(ghp), "-n", "-f", "_build/html"], cwd=repo, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    files = subprocess.run([*git, "ls-tree", "-r", "--name-only", "gh-pages"], check=True,
                           capture_output=True, text=True).stdout.split()
    assert sorted(files) == [".nojekyll", "_static/csmodels-charts.js", "index.html"]


def test_ci_runs_the_readmes_test_command():
    """.ci/run installs quietly, then runs the README's tests exactly (workers included)."""
    readme = commands(readme_section("Set up"))[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    pytest_part = readme[readme.index("python -m pytest"):]
    assert ci.endswith(f"&& {pytest_part}") and pytest_part == "python -m pytest -n 2"
    assert ci.replace(" -qq", "").replace(" -q", "").replace(" >/dev/null", "") == readme
