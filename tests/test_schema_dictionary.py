"""The data dictionary (``data/README.md``) and the schema (``csmodels/inputs/schema.py``) say
the same thing: the same tables and columns in the same order, the same required
columns, the same types and bounds, the same unique keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from csmodels.inputs.schema import TABLES, Column, Table

DICTIONARY = (Path(__file__).resolve().parents[1] / "data" / "README.md").read_text(
    encoding="utf-8")


def section(table: str) -> str:
    """The dictionary's section of one table, from its heading to the next."""
    parts = DICTIONARY.split(f"\n### {table} — ", 1)
    assert len(parts) == 2, f"data/README.md has no section '### {table} — …'"
    return parts[1].split("\n### ", 1)[0]


def rows(table: str) -> list[list[str]]:
    """The rows of a table's column table: column, req., type, meaning."""
    out = []
    for line in section(table).splitlines():
        if line.startswith("| ") and not line.startswith(("| column", "| ---")):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
            out.append(cells)
    return out


def written_type(table: Table, column: Column) -> str:
    """How the dictionary writes a column's type and bounds."""
    unique = ", unique" if table.key == (column.name,) else ""
    if column.kind == "choice":
        return r" \| ".join(f"`{c}`" for c in column.choices)
    return {
        "id": f"text{unique}",
        "text": f"text{unique}",
        "month": "month `YYYY-MM`",
        "date": "date",
        "amount": f"number {'> 0' if column.positive else '≥ 0'}, currency",
        "count": f"integer {'≥ 1' if column.positive else '≥ 0'}",
        "score": "integer 0–10",
        "bool": "boolean",
    }[column.kind]


def written_required(column: Column) -> str:
    if not column.required:
        return "no"  # the dictionary leaves no cell blank
    return "yes (may be blank)" if column.blank_ok else "yes"


def test_every_table_of_the_schema_has_its_section_and_no_other():
    headings = re.findall(r"^### (\w+) — ", DICTIONARY, flags=re.MULTILINE)
    assert headings == list(TABLES)


@pytest.mark.parametrize("name", list(TABLES))
def test_columns_required_and_types_agree(name):
    table = TABLES[name]
    found = rows(name)
    assert [r[0] for r in found] == [c.name for c in table.columns]
    for (column_name, required, kind, meaning), column in zip(found, table.columns,
                                                             strict=True):
        assert required == written_required(column), (name, column_name)
        assert kind == written_type(table, column), (name, column_name)
        assert meaning, (name, column_name)


@pytest.mark.parametrize("name", list(TABLES))
def test_unique_keys_agree(name):
    table, text = TABLES[name], section(name)
    stated = re.findall(r"^\(([\w, ]+)\) is unique\.", text, flags=re.MULTILINE)
    if len(table.key) > 1:
        assert stated == [", ".join(table.key)]
    else:
        assert stated == []  # a one-column key is written "unique" in its type


@pytest.mark.parametrize("name", list(TABLES))
def test_the_heading_says_whether_the_table_is_required(name):
    heading = DICTIONARY.split(f"\n### {name} — ", 1)[1].split("\n", 1)[0]
    assert ("(required;" in heading) == TABLES[name].required


def test_a_drift_is_caught():
    """The check fails on a column whose bound differs (the schema's rule is the truth)."""
    seats = TABLES["accounts"].column("licensed_seats")
    loose = Column(seats.name, seats.kind, required=False, blank_ok=True)
    assert written_type(TABLES["accounts"], seats) == "integer ≥ 1"
    assert written_type(TABLES["accounts"], loose) == "integer ≥ 0"
    assert dict((r[0], r[2]) for r in rows("accounts"))["licensed_seats"] == "integer ≥ 1"


DATE_RULE = re.compile(r"≥ `(\w+)`")


def test_every_date_order_rule_is_stated_and_no_other():
    """Each rule of ``DATE_ORDER`` (one date must not come before another) is stated in
    the later column's row as "≥ `earlier`"; a date row states no rule the loader does
    not enforce."""
    from csmodels.inputs.schema import DATE_ORDER

    stated = set()
    for name in TABLES:
        for column_name, _, kind, meaning in rows(name):
            if kind == "date":
                stated |= {(name, earlier, column_name) for earlier in DATE_RULE.findall(meaning)}
    assert stated == set(DATE_ORDER)
    assert DATE_ORDER  # the check compares something
