"""The package's doctests read the book's sample data by its path in the repository
(``load_company("data/sample")``, as a reader in a clone types it): they run from the
repository's root whatever folder pytest was started from."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _doctests_run_from_the_repository(request: pytest.FixtureRequest,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    if isinstance(request.node, pytest.DoctestItem):
        monkeypatch.chdir(ROOT)


# ------------------------------------------------- the suite on two workers (pytest-xdist)
# `python -m pytest -n 2` (the README's test command) runs under `--dist loadgroup`
# (pyproject.toml): a group of tests always runs on one worker, in its order. The groups:
# the session's built book (conftest's `site` and `server`, built once, not once a worker);
# each notebook's cells (nbval runs them in order in one kernel); and each test file whose
# tests share a module fixture (a built site, a wheel, a browser page). Any other test is
# a group of its own, so that a file of many independent cases spreads over both workers.
BUILT_BOOK = {"site", "server"}
SHARED_SCOPES = {"module", "package", "class"}


def _group(item: pytest.Item) -> str | None:
    file = item.nodeid.split("::")[0]
    if item.path.suffix == ".ipynb":
        return file
    fixtures = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    if BUILT_BOOK & set(fixtures):
        return "the-built-book"
    if any(defs and defs[-1].scope in SHARED_SCOPES for defs in fixtures.values()):
        return file
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks into the test ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not hasattr(config, "workerinput"):  # not an xdist worker: nothing to share out
        return
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        group = _group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
        groups.setdefault(group or item.nodeid, []).append(item)
    # the longest units first (xdist hands them out in this order): the built book, then
    # any group holding a slow test, then the rest, each group's tests kept in their order
    def cost(name: str) -> int:
        if name == "the-built-book":
            return 0
        return 1 if any(item.get_closest_marker("slow") for item in groups[name]) else 2

    items[:] = [item for name in sorted(groups, key=cost) for item in groups[name]]
