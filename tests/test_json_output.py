"""`csmodels metrics --json` rounds: money to the cent, ratios to a stated precision."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import write_tables

import csmodels as cs
from csmodels.cli import build_parser
from csmodels.kpis import MetricsSummary
from csmodels.summary import UNITS


def _top_level(unit: str) -> set[str]:
    """The top-level figures of MetricsSummary with ``unit``: what each key is, read from
    the Summary's own declarations instead of a list kept here."""
    return {f.name for f in MetricsSummary.fields() if f.metadata.get("unit") == unit}


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
    """ + "".join(f"a,2024-{m:02d},1000000.10\n" for m in range(2, 13)) + """
        a,2025-01,1000000.10
        b,2025-01,2000000.20
        c,2025-01,0.07
    """)
    library = cs.metrics_summary(cs.load_company(tmp_path))
    assert library.arr != 3000000.37  # the noise is there before rounding
    text, out = metrics_json(tmp_path)
    assert out["arr"] == 3000000.37 and '"arr": 3000000.37,' in text
    assert out["nrr"] == 1.0 and out["grr"] == 1.0


def test_every_number_of_the_sample_has_the_stated_precision(sample_dir):
    text, out = metrics_json(sample_dir)
    library = cs.metrics_summary(cs.load_company(sample_dir))
    numbers = dict(re.findall(r'^\s{2}"(\w+)": (-?[0-9][0-9.e+-]*),?$', text, re.M))
    money = _top_level("money")
    assert {"arr", "new_arr", "churn_arr", "retention_base_arr"} <= money <= set(numbers)
    assert "e" not in "".join(numbers.values())
    for unit in ("money", "ratio", "nps", "days"):
        digits = UNITS[unit][2]
        for key in _top_level(unit):
            value = getattr(library, key)
            assert decimals(numbers[key]) <= digits, (key, numbers[key])
            assert out[key] == pytest.approx(value, abs=0.5 * 10 ** -digits), key
    assert out["nrr"] == round(library.nrr, UNITS["ratio"][2])
    assert decimals(numbers["nrr"]) == UNITS["ratio"][2]  # 1.0435907... is cut, not kept
    for key in _top_level("count"):
        assert isinstance(out[key], int) and out[key] == getattr(library, key)
    assert out["lookback_months"] == 12 and "new_arr_12m" not in out


def test_rounding_never_prints_minus_zero():
    out = MetricsSummary(as_of="x", lookback_months=12, base_month="y", arr=-0.001,
                         paying_accounts=0, net_revenue_churn=-1e-9).to_dict()
    assert (out["net_revenue_churn"], out["arr"], out["nps"]) == (0.0, 0.0, None)
    assert '"arr": 0.0' in json.dumps(out) and "-0.0" not in json.dumps(out)


def test_the_precision_is_stated_in_help_and_readme(root):
    metrics = build_parser()._subparsers._group_actions[0].choices["metrics"]
    help_text = " ".join(metrics.format_help().split())
    assert "rounded to the cent" in help_text
    assert f"ratios as fractions to {UNITS['ratio'][2]} decimals" in help_text
    assert "new_arr" in help_text and "lookback_months" in help_text
    readme = " ".join((root / "README.md").read_text(encoding="utf-8").split())
    assert f"ratios as fractions to {UNITS['ratio'][2]} decimals" in readme
    assert "money to the cent" in readme
