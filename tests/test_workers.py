"""How ``python -m pytest -n 2`` shares the suite out between its two workers: the
groups of the root conftest.py, read from a collection made as an xdist worker makes it
(nothing runs)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

# A plugin that prints each test's group in the order of the collection, made as an xdist
# worker makes it when AS_A_WORKER is set.
PROBE = '''
import os

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    if os.environ.get("AS_A_WORKER"):
        config.workerinput = {"workerid": "gw0"}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    for item in items:
        mark = item.get_closest_marker("xdist_group")
        print("GROUP", mark.args[0] if mark else "-", item.nodeid)
'''
FILES = ["tests/test_publish.py", "tests/test_shapes.py", "chapters/metrics.ipynb",
         "tests/test_site.py", "tests/test_teaching.py", "tests/test_slider.py"]


def collected(tmp_path, root, worker: bool) -> list[tuple[str, str]]:
    """(group or "-", test id) of each test of FILES, in the order collected."""
    (tmp_path / "groups_probe.py").write_text(PROBE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(tmp_path), str(root), os.environ.get("PYTHONPATH")]))}
    env.pop("AS_A_WORKER", None)
    if worker:
        env["AS_A_WORKER"] = "1"
    done = subprocess.run([sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider",
                           "-p", "groups_probe", *FILES], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return [tuple(line.split(" ", 2)[1:]) for line in done.stdout.splitlines()
            if line.startswith("GROUP ")]


def test_a_worker_keeps_shared_state_together_and_starts_with_the_built_book(tmp_path, root):
    items = collected(tmp_path, root, worker=True)
    groups = {nodeid: group for group, nodeid in items}
    order = [nodeid for _, nodeid in items]
    # the browser tests on the built book, and the teaching tests that print it, share the
    # one build, and come first: the longest unit of work
    built = [n for n in order if groups[n] == "the-built-book"]
    assert {n.split("::")[0] for n in built} == {"tests/test_site.py", "tests/test_teaching.py"}
    assert "tests/test_teaching.py::test_print_makes_pdfs_of_the_book_its_pages_and_cases_" \
           "with_charts" in built
    assert order[:len(built)] == built
    # a notebook's cells: one group, in the notebook's order
    cells = [n for n in order if n.startswith("chapters/metrics.ipynb")]
    assert len(cells) > 5 and {groups[n] for n in cells} == {"chapters/metrics.ipynb"}
    numbers = [int(re.search(r"(\d+)$", n)[1]) for n in cells]
    assert numbers == sorted(numbers)
    assert order[order.index(cells[0]):order.index(cells[0]) + len(cells)] == cells
    # the tests of a file that share a module fixture (its browser) stay on one worker
    slider = {n.split("::")[1].split("[")[0]: g for g, n in items
              if n.startswith("tests/test_slider.py")}
    assert slider == {"test_the_explorer_stays_consistent": "tests/test_slider.py",
                      "test_a_hostile_currency_is_shown_as_text": "tests/test_slider.py",
                      "test_the_prose_promises_what_the_explorer_does": "-"}
    # independent cases spread: the shapes (a session-wide corpus) and plain tests
    shapes = [n for n in order if n.startswith("tests/test_shapes.py")]
    assert len(shapes) > 300 and {groups[n] for n in shapes} == {"-"}
    assert groups["tests/test_publish.py::test_ci_runs_the_readmes_test_command"] == "-"


def test_without_workers_nothing_is_grouped_or_moved(tmp_path, root):
    items = collected(tmp_path, root, worker=False)
    assert len(items) > 300 and {group for group, _ in items} == {"-"}
    assert items[0][1].startswith("tests/test_publish.py")  # the order given on the line
