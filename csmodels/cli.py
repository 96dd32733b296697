"""The ``csmodels`` command line.

Every subcommand exits 0 on success and 2 with a short message (file, column,
rows, what to do) on input the reader can fix; it never prints a traceback for
such input and never writes into the data folder.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence

from . import __version__
from .exceptions import CsModelsError
from .io import load_company
from .report import metrics_summary

EXIT_BAD_INPUT = 2

# (key, label, format) for the readable table of `csmodels metrics`.
_METRIC_ROWS = (
    ("arr", "ARR", "money"),
    ("paying_accounts", "Paying accounts", "int"),
    ("nrr", "Net revenue retention (NRR)", "pct"),
    ("grr", "Gross revenue retention (GRR)", "pct"),
    ("logo_churn", "Logo churn", "pct"),
    ("gross_revenue_churn", "Gross revenue churn", "pct"),
    ("net_revenue_churn", "Net revenue churn", "pct"),
    ("nps", "NPS", "nps"),
    ("adoption", "Product adoption (median seat use)", "pct"),
    ("time_to_value_median_days", "Time to value (median days)", "days"),
    ("qbr_coverage", "QBR coverage", "pct"),
    ("expansion_pipeline_influenced", "Expansion pipeline influenced", "pct"),
    ("health_auc", "Health score AUC (churn)", "ratio"),
)


def _month(text: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month written YYYY-MM")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="csmodels",
        description="Models of the Customer Success organisation handbook, on your own data.")
    parser.add_argument("--version", action="version", version=f"csmodels {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    metrics = commands.add_parser(
        "metrics", help="retention, churn, NPS and the other CS metrics of a data folder",
        description="Compute the metrics chapter's figures (NRR, GRR, logo and revenue churn, "
        "NPS, adoption, time to value, QBR coverage, expansion pipeline influenced, health-score "
        "AUC) for the company in a data folder.")
    metrics.add_argument("--data", required=True, metavar="DIR",
                         help="folder with arr_monthly.csv and any optional tables")
    metrics.add_argument("--as-of", type=_month, metavar="YYYY-MM",
                         help="the month to report on (default: the last month in the data)")
    metrics.add_argument("--json", action="store_true",
                         help="print one JSON object (ratios as fractions) instead of a table")
    metrics.set_defaults(run=_run_metrics)
    return parser


def _run_metrics(args: argparse.Namespace) -> int:
    summary = metrics_summary(load_company(args.data), args.as_of)
    if args.json:
        print(json.dumps(summary, indent=2, allow_nan=False))
    else:
        print(format_metrics(summary, args.data))
    return 0


def format_metrics(summary: dict, data: str) -> str:
    """The readable table of ``csmodels metrics``."""
    lines = [f"Metrics as of {summary['as_of']} for the data in {data}", ""]
    width = max(len(label) for _, label, _ in _METRIC_ROWS)
    for key, label, kind in _METRIC_ROWS:
        lines.append(f"  {label:<{width}}  {_format(summary.get(key), kind):>12}")
    if summary["missing_tables"]:
        lines += ["", "Not in the data folder (their metrics show as n/a): "
                  + ", ".join(summary["missing_tables"])]
    return "\n".join(lines)


def _format(value, kind: str) -> str:
    if value is None:
        return "n/a"
    spec = {"money": ",.0f", "int": ",d", "pct": ".1%", "nps": "+.0f", "days": ".0f",
            "ratio": ".2f"}[kind]
    return format(value, spec)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``csmodels`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CsModelsError as err:
        print(f"csmodels {args.command}: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
