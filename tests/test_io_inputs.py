"""The input subpackage (``csmodels/inputs``): one job per module, imported in one
direction (find, read, map, validate, then the Company), one ``Unreadable``, and one
way of refusing a reader's YAML file for the mapping and the profile alike."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from csmodels.exceptions import DataError
from csmodels.inputs.yamlfile import YamlHints, read_yaml_mapping
from csmodels.profile import load_profile

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ROOT / "csmodels" / "inputs"
# Each module may import only the ones before it: the loader never turns back.
ORDER = ("limits", "yamlfile", "schema", "cells", "mapping", "files", "read", "fastpath",
         "months", "validate", "company", "write")


def sibling_imports(path: Path) -> set[str]:
    """The modules of csmodels/inputs that ``path`` imports (``from .x import ...``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_the_order_lists_every_module_of_the_subpackage():
    modules = {p.stem for p in INPUTS.glob("*.py") if p.name != "__init__.py"}
    assert modules == set(ORDER)


@pytest.mark.parametrize("module", ORDER)
def test_each_module_imports_only_the_ones_before_it(module):
    earlier = set(ORDER[: ORDER.index(module)])
    imported = sibling_imports(INPUTS / f"{module}.py")
    assert imported <= earlier, f"{module} imports {sorted(imported - earlier)}, later ones"


def test_load_company_goes_find_read_map_validate():
    imported = sibling_imports(INPUTS / "company.py")
    assert {"files", "read", "mapping", "fastpath", "validate"} <= imported


@pytest.mark.parametrize("name", ["class Unreadable", "def short", "def _short",
                                  "def load_yaml", "def neutralise_formulas"])
def test_each_helper_is_defined_once_in_the_package(name):
    kind, _, bare = name.partition(" ")
    node_type = ast.ClassDef if kind == "class" else ast.FunctionDef
    where = [str(p.relative_to(ROOT)) for p in (ROOT / "csmodels").rglob("*.py")
             if "_book" not in p.parts and any(
                 isinstance(n, node_type) and n.name == bare
                 for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))))]
    assert len(where) <= 1, where
    if bare != "_short":
        assert len(where) == 1


def test_the_old_modules_are_gone():
    for name in ("io", "exports", "fastpath", "limits", "schema"):
        assert not (ROOT / "csmodels" / f"{name}.py").exists(), name


@pytest.mark.parametrize("module", ORDER)
def test_the_architecture_page_has_a_row_per_module(module):
    page = (ROOT / "appendix" / "architecture.md").read_text(encoding="utf-8")
    assert f"| `csmodels/inputs/{module}.py` |" in page


# ------------------------------------------------------------------ YAML, one helper

HINTS = YamlHints(missing="M.", not_a_file="N.", refused="R.", invalid="I.",
                  not_a_mapping=("Not lines.", "L."))


def refusal(path: Path, what: str = "thing") -> str:
    with pytest.raises(DataError) as info:
        read_yaml_mapping(path, what, HINTS)
    (problem,) = info.value.problems
    assert problem.file == str(path)
    return f"{problem.message} | {problem.hint}"


def test_each_failure_gets_its_own_message_and_hint(tmp_path):
    yml = tmp_path / "x.yml"
    assert refusal(tmp_path / "none.yml") == "The thing file does not exist. | M."
    assert refusal(tmp_path) == "The thing is a folder, not a file. | N."
    yml.write_text("a: &x 1\nb: *x\n")
    assert refusal(yml) == "The thing is refused: it uses a YAML anchor or alias (line 1). | R."
    yml.write_text("a: [1\n")
    assert refusal(yml).startswith("The thing is not valid YAML (while parsing")
    assert refusal(yml).endswith("…). | I.")  # one line, 160 characters at most
    yml.write_text("- 1\n- 2\n")
    assert refusal(yml) == "Not lines. | L."
    yml.write_bytes(b"a: \xff\n")
    assert refusal(yml).startswith("The thing is not valid YAML ('utf-8' codec")


def test_an_empty_file_is_no_keys(tmp_path):
    (tmp_path / "x.yml").write_text("# nothing\n")
    assert read_yaml_mapping(tmp_path / "x.yml", "thing", HINTS) == {}


@pytest.mark.parametrize("what", ["mapping", "profile"])
def test_an_unreadable_mapping_or_profile_says_permission_denied(tmp_path, what, monkeypatch):
    from csmodels.inputs import yamlfile
    from csmodels.inputs.mapping import load_mapping

    def denied(path):  # as os.open does for a file without read access (root reads any)
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(yamlfile, "open_regular", denied)
    path = tmp_path / f"{what}.yml"
    path.write_text("company: x\n")
    with pytest.raises(DataError, match=f"csmodels may not read the {what} "
                       r"\(permission denied\)\. Give yourself read access"):
        load_mapping(tmp_path) if what == "mapping" else load_profile(path)


@pytest.mark.parametrize("what", ["mapping", "profile"])
def test_the_mapping_and_the_profile_refuse_alike(tmp_path, what):
    from csmodels.inputs.mapping import load_mapping

    path = tmp_path / f"{what}.yml"
    path.write_text("tables: &a {}\n")
    with pytest.raises(DataError, match=f"The {what} is refused: it uses a YAML anchor"):
        load_mapping(tmp_path) if what == "mapping" else load_profile(path)
    path.write_text("[1, 2]\n")
    expected = {"mapping": "The mapping must be 'key: value' lines. See data/messy_export",
                "profile": "The profile must be a list of 'key: value' lines. Write it like"}
    with pytest.raises(DataError, match=expected[what]):
        load_mapping(tmp_path) if what == "mapping" else load_profile(path)


# ------------------------------------------------------- problems across tables

def test_a_problem_across_tables_names_the_file_the_mapping_names(tmp_path):
    from csmodels.inputs import load_company

    (tmp_path / "Customers.csv").write_text("Account ID,Account Name\nA1,Acme\n")
    (tmp_path / "Billing.csv").write_text("Account ID,Month,MRR\nA1,2024-01,10\n"
                                          "B7,2024-01,20\n")
    (tmp_path / "mapping.yml").write_text(
        "tables:\n  accounts:\n    file: Customers.csv\n    columns: {account_id: Account ID,"
        " name: Account Name}\n  arr_monthly:\n    file: Billing.csv\n    amounts_are_mrr: "
        "true\n    columns: {account_id: Account ID, month: Month, arr: MRR}\n")
    with pytest.raises(DataError) as info:
        load_company(tmp_path)
    (problem,) = info.value.problems
    assert problem.file == str(tmp_path / "Billing.csv")  # not arr_monthly.csv: not there
    assert problem.column == "account_id" and problem.rows == (3,)
    assert "found 'B7'" in problem.message
