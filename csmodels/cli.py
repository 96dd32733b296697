"""The ``csmodels`` command line.

Every subcommand exits 0 on success and 2 with a short message (file, column,
rows, what to do) on input the reader can fix; it never prints a traceback for
such input and never writes into the data folder.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence

from . import __version__
from .exceptions import CsModelsError

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
    metrics.add_argument("--data", required=True, metavar="PATH",
                         help="folder with arr_monthly.csv and any optional tables, a Parquet "
                         "dataset folder (one sub-folder per table) or a DuckDB database file")
    metrics.add_argument("--as-of", type=_month, metavar="YYYY-MM",
                         help="the month to report on (default: the last month in the data)")
    metrics.add_argument("--json", action="store_true",
                         help="print one JSON object (ratios as fractions) instead of a table")
    metrics.set_defaults(run=_run_metrics)
    _add_recommend_command(commands)
    _add_rerun_commands(commands)
    return parser


def _amount(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number (write 120000, without currency signs)") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a number >= 0")
    return value


def _add_recommend_command(commands) -> None:
    """``recommend``: the maturity-fit recommendation (DESIGN.md's contract)."""
    from .profile import BUYERS, STAGES, TOUCH

    recommend = commands.add_parser(
        "recommend", help="which CS structure fits a company (the maturity chapter)",
        description="Recommend where Customer Success should report, who leads it and who "
        "owns renewals and expansion, from the company's profile and any facts given here "
        "(which override the profile's), with the sources behind it and where they disagree.")
    recommend.add_argument("--profile", metavar="FILE", help="a profile.yml")
    recommend.add_argument("--stage", choices=STAGES, help="funding stage")
    recommend.add_argument("--arr", type=_amount, metavar="N", help="annual recurring revenue")
    recommend.add_argument("--acv", type=_amount, metavar="N", help="average contract value")
    recommend.add_argument("--touch", choices=TOUCH, help="touch model (default: from the ACV)")
    recommend.add_argument("--buyer", choices=BUYERS, help="who buys the product")
    recommend.add_argument("--product-led", action=argparse.BooleanOptionalAction,
                           default=None, help="customers try and buy without talking to anyone")
    recommend.add_argument("--json", action="store_true", help="print one JSON object")
    recommend.set_defaults(run=_run_recommend)


def _run_recommend(args: argparse.Namespace) -> int:
    from .maturity import describe, recommend
    from .profile import load_profile

    result = recommend(load_profile(args.profile), funding_stage=args.stage, arr=args.arr,
                       acv=args.acv, touch=args.touch, buyer=args.buyer,
                       product_led=args.product_led)
    print(json.dumps(result.to_dict(), indent=2) if args.json else describe(result))
    return 0


def _add_rerun_commands(commands) -> None:
    """``rerun``, ``book`` and ``mapping-template``: the book on the reader's company."""
    rerun = commands.add_parser(
        "rerun", help="one chapter on your data: executed notebook and HTML page",
        description="Execute one chapter on the company in a data folder and build its page. "
        "Writes OUT/CHAPTER.ipynb, the page's site in OUT/html and OUT/index.html.")
    rerun.add_argument("chapter", metavar="CHAPTER",
                       help="functions, reporting, maturity, collaboration or metrics")
    rerun.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                       metavar=("NAME", "VALUE"),
                       help="set a chapter parameter; VALUE is read as a Python literal "
                       "(0.1, None, {'a': 1}) or else as text, never run as code")
    book = commands.add_parser(
        "book", help="the whole book on your data, as an offline site",
        description="Execute every chapter on the company in a data folder and build the "
        "whole book as a site that opens offline (OUT/index.html).")
    for command, run in ((rerun, _run_rerun), (book, _run_book)):
        command.add_argument("--data", required=True, metavar="DIR",
                             help="folder with arr_monthly (and a mapping.yml for exports)")
        command.add_argument("--profile", metavar="FILE",
                             help="a profile.yml (default: the one in --data, if any)")
        command.add_argument("--out", required=True, metavar="DIR",
                             help="output folder; must be new or empty unless --force")
        command.add_argument("--force", action="store_true",
                             help="replace the contents of a non-empty --out")
        command.add_argument("--book", metavar="DIR", help=argparse.SUPPRESS)
        command.set_defaults(run=run)
    template = commands.add_parser(
        "mapping-template", help="write a mapping.yml template for a folder of exports",
        description="Match the files and columns of a folder of exports to the canonical "
        "tables and write a mapping.yml to check, complete and save in the data folder.")
    template.add_argument("--data", required=True, metavar="DIR", help="the folder of exports")
    template.add_argument("--out", required=True, metavar="FILE",
                          help="where to write the template (- for the screen)")
    template.add_argument("--force", action="store_true", help="overwrite an existing FILE")
    template.set_defaults(run=_run_mapping_template)


def _run_rerun(args: argparse.Namespace) -> int:
    from .rerun import parse_value, rerun_chapter

    parameters = {name: parse_value(value) for name, value in args.parameter}
    out = rerun_chapter(args.chapter, args.data, args.out, args.profile, parameters,
                        args.force, args.book)
    print(f"{out}/index.html")
    return 0


def _run_book(args: argparse.Namespace) -> int:
    from .rerun import build_book

    out = build_book(args.data, args.out, args.profile, args.force, args.book)
    print(f"{out}/index.html")
    return 0


def _run_mapping_template(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .exceptions import DataError, Problem
    from .io import mapping_template

    if not Path(args.data).is_dir():
        raise DataError([Problem(args.data, "The data folder does not exist.",
                                 "Give the folder that holds your exports.")])
    text = mapping_template(args.data)
    if args.out == "-":
        print(text, end="")
        return 0
    out = Path(args.out)
    if out.exists() and not args.force:
        raise DataError([Problem(str(out), "The file exists.", "Give another --out, or "
                                 "--force to overwrite it.")])
    out.write_text(text, encoding="utf-8")
    print(f"Wrote {out}: check it, fill in what it could not find, save it as mapping.yml "
          "in the data folder.")
    return 0


def _run_metrics(args: argparse.Namespace) -> int:
    from .engine import open_data
    from .engine import summary as engine_summary
    from .engine.run import health_auc

    engine, company = open_data(args.data)
    summary = engine_summary(engine, args.as_of)
    if company is not None:
        summary["health_auc"] = health_auc(company, summary["as_of"])
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
    except BrokenPipeError:  # `csmodels metrics | head`: the reader stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
