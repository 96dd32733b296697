"""`csmodels metrics --json` rounds: money to the cent, ratios to a stated precision."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import write_tables

import csmodels as cs
from csmodels.cli import MONEY_DECIMALS, RATIO_DECIMALS, SCORE_DECIMALS, build_parser, json_ready

MONEY = {"arr", "retention_base_arr", "new_arr_12m", "reactivation_arr_12m",
         "expansion_arr_12m", "contraction_arr_12m", "churn_arr_12m"}
SCORES = {"nps", "time_to_value_median_days"}
COUNTS = {"nps_responses", "paying_accounts", "retention_base_accounts"}


def metrics_json(folder) -> tuple[str, dict]:
    done = subprocess.run([sys.executable, "-m", "csmodels", "metrics", "--data", str(folder),
                           "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout, json.loads(done.stdout)


def decimals(number_text: str) -> int:
    return len(number_text.split(".")[1]) if "." in number_text else 0


def test_sums_of_cents_print_without_float_noise(tmp_path):
    # 1000000.10 + 2000000.20 + 0.07 is 3000000.3699999996 in floating point
    write_tables(tmp_path, arr_monthly="""
        account_id,month,arr
        a,2024-01,1000000.10
        b,2024-01,2000000.20
        c,2024-01,0.07
        a,2025-01,1000000.10
        b,2025-01,2000000.20
        c,2025-01,0.07
    """)
    library = cs.metrics_summary(cs.load_company(tmp_path))
    assert library["arr"] != 3000000.37  # the noise is there before rounding
    text, out = metrics_json(tmp_path)
    assert out["arr"] == 3000000.37 and '"arr": 3000000.37,' in text
    assert out["nrr"] == 1.0 and out["grr"] == 1.0


def test_every_number_of_the_sample_has_the_stated_precision(sample_dir):
    text, out = metrics_json(sample_dir)
    library = cs.metrics_summary(cs.load_company(sample_dir))
    numbers = dict(re.findall(r'^\s*"(\w+)": (-?[0-9][0-9.e+-]*),?$', text, re.M))
    floats = {k for k, v in library.items() if isinstance(v, float)}
    assert floats <= MONEY | SCORES | (set(library) - COUNTS - {"as_of", "missing_tables"})
    assert MONEY | SCORES <= set(numbers) and "e" not in "".join(numbers.values())
    for key in floats:
        digits = (MONEY_DECIMALS if key in MONEY else SCORE_DECIMALS if key in SCORES
                  else RATIO_DECIMALS)
        assert decimals(numbers[key]) <= digits, (key, numbers[key])
        assert out[key] == pytest.approx(library[key], abs=0.5 * 10 ** -digits), key
    assert out["nrr"] == round(library["nrr"], RATIO_DECIMALS)
    assert decimals(numbers["nrr"]) == RATIO_DECIMALS  # 1.0435907... is cut, not kept
    for key in COUNTS:
        assert isinstance(out[key], int) and out[key] == library[key]


def test_rounding_never_prints_minus_zero():
    out = json_ready({"net_revenue_churn": -1e-9, "arr": -0.001, "nps": None, "as_of": "x"})
    assert json.dumps(out) == '{"net_revenue_churn": 0.0, "arr": 0.0, "nps": null, "as_of": "x"}'


def test_the_precision_is_stated_in_help_and_readme(root):
    metrics = build_parser()._subparsers._group_actions[0].choices["metrics"]
    help_text = " ".join(metrics.format_help().split())
    assert "rounded to the cent" in help_text
    assert f"ratios as fractions to {RATIO_DECIMALS} decimals" in help_text
    readme = " ".join((root / "README.md").read_text(encoding="utf-8").split())
    assert f"ratios as fractions to {RATIO_DECIMALS} decimals" in readme
    assert "money to the cent" in readme
