"""Same input, same output: metrics JSON byte for byte, chart specifications and the
sample generator's files, each compared across two separate processes."""

from __future__ import annotations

import subprocess
import sys

from conftest import folder_digest

CHART_SPECS = r"""
import hashlib, json, sys
import csmodels as cs
from csmodels import charts
company = cs.load_company(sys.argv[1])
panel = cs.ArrPanel.from_frame(company.arr_monthly)
check = cs.metrics_summary(company).frames.health
specs = [
    charts.arr_bridge_chart(cs.arr_bridge(panel)),
    charts.retention_trend_chart(cs.retention_series(panel, 12)),
    charts.cohort_heatmap(cs.cohort_retention(panel), "revenue"),
    charts.nps_distribution_chart(company.nps_responses, str(panel.last_month)),
    charts.health_outcome_chart(check),
    charts.revenue_base_explorer(cs.RevenueBase()),
]
for spec in specs:
    text = json.dumps(spec.to_dict(), sort_keys=True)
    print(hashlib.sha256(text.encode()).hexdigest())
"""


def run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True)
    return done.stdout


def test_metrics_json_is_byte_identical(sample_dir):
    command = ("-m", "csmodels", "metrics", "--data", str(sample_dir), "--json")
    first = run(*command)
    assert '"nrr"' in first and run(*command) == first


def test_chart_specifications_are_identical(sample_dir):
    first = run("-c", CHART_SPECS, str(sample_dir))
    assert len(first.split()) == 6 and run("-c", CHART_SPECS, str(sample_dir)) == first


def test_the_generator_writes_identical_files(tmp_path):
    script = ("import sys; from pathlib import Path; from csmodels.synth import CompanyShape, "
              "generate_company, write_company; "
              "write_company(generate_company(CompanyShape(n_initial_accounts=40, months=18), "
              "seed=11), Path(sys.argv[1]), {'company': 'Twice Co'})")
    run("-c", script, str(tmp_path / "a"))
    run("-c", script, str(tmp_path / "b"))
    assert folder_digest(tmp_path / "a") == folder_digest(tmp_path / "b")
    assert len(list((tmp_path / "a").glob("*.csv"))) >= 2
