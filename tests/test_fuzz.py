"""Fuzzing the loaders and the metrics: whatever the bytes or the table, the only
exception that may escape is the package's own (which the CLI turns into exit 2)."""

from __future__ import annotations

import shutil
import string
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csmodels.exceptions import CsModelsError
from csmodels.inputs import load_company
from csmodels.kpis import metrics_summary

FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def run(folder: Path) -> None:
    try:
        metrics_summary(load_company(folder))
    except CsModelsError:
        pass


def fresh(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


@FUZZ
@given(st.binary(max_size=400))
def test_raw_bytes_as_arr_monthly(tmp_path, data):
    folder = fresh(tmp_path)
    (folder / "arr_monthly.csv").write_bytes(b"account_id,month,arr\n" + data)
    run(folder)


@FUZZ
@given(st.sampled_from(["accounts", "nps_responses", "usage_monthly", "onboarding", "qbrs",
                        "opportunities", "handoffs"]), st.binary(max_size=300))
def test_raw_bytes_as_an_optional_table(tmp_path, sample_dir, table, data):
    folder = fresh(tmp_path)
    shutil.copy(sample_dir / "arr_monthly.csv", folder)
    (folder / f"{table}.csv").write_bytes(data)
    run(folder)


CELL = st.one_of(st.text(string.printable, max_size=12), st.sampled_from(
    ["2024-01", "2024-13", "2025-02", "0", "-1", "1e308", "inf", "nan", "", "A1", "A2",
     "2024-02-30", "2024-01-15", "true", "10", "11"]))


@FUZZ
@given(st.sampled_from(["arr_monthly", "nps_responses", "usage_monthly", "opportunities"]),
       st.lists(st.lists(CELL, min_size=3, max_size=10), min_size=1, max_size=8))
def test_generated_tables(tmp_path, sample_dir, table, rows):
    folder = fresh(tmp_path)
    if table != "arr_monthly":
        shutil.copy(sample_dir / "arr_monthly.csv", folder)
    from csmodels.inputs.schema import TABLES

    names = [c.name for c in TABLES[table].columns]
    frame = pd.DataFrame([(r + [""] * len(names))[:len(names)] for r in rows], columns=names)
    frame.to_csv(folder / f"{table}.csv", index=False)
    run(folder)


# Any YAML value where a mapping or a profile expects one: only the package's own error.
YAML_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
              st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
              st.sampled_from(["arr_monthly.csv", "arr_monthly", "0", "-1", "Sheet1", "..",
                               "/etc/passwd.csv", "\udc80", "\x1b[2J"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=6) | st.sampled_from(
                                ["file", "sheet", "columns", "arr", "tables"]), inner,
                                max_size=3)),
    max_leaves=8)
MAPPING_KEY = st.sampled_from(["tables", "encoding", "delimiter", "decimal", "date_order",
                               "file", "sheet", "columns", "amounts_are_mrr"])


def _yaml(value) -> str:
    import yaml

    return yaml.safe_dump(value, allow_unicode=False)


@FUZZ
@given(st.dictionaries(MAPPING_KEY, YAML_VALUE, max_size=4),
       st.dictionaries(MAPPING_KEY, YAML_VALUE, max_size=4))
def test_mapping_fields_of_any_type(tmp_path, sample_dir, top, entry):
    folder = fresh(tmp_path)
    shutil.copy(sample_dir / "arr_monthly.csv", folder)
    top.setdefault("tables", {"arr_monthly": entry})  # or any value at all
    (folder / "mapping.yml").write_text(_yaml(top), encoding="utf-8")
    run(folder)


@FUZZ
@given(st.dictionaries(st.sampled_from(["company", "currency", "funding_stage", "arr", "acv",
                                        "touch", "buyer", "product_led", "reporting_weights",
                                        "self_assessment"]), YAML_VALUE, max_size=4))
def test_profile_fields_of_any_type(tmp_path, profile):
    from csmodels.maturity import recommend
    from csmodels.profile import load_profile

    path = tmp_path / "profile.yml"
    path.write_text(_yaml(profile), encoding="utf-8")
    try:
        recommend(load_profile(path))
    except CsModelsError:
        pass
