"""The ``csmodels`` command line.

Every subcommand exits 0 on success and 2 with a short message (file, column,
rows, what to do) on input the reader can fix; it never prints a traceback for
such input and never writes into the data folder.
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import os
import signal
import sys
from collections.abc import Sequence

from . import __version__
from ._checks import is_number, shown
from .book import visible
from .exceptions import CsModelsError, ParameterError, printable
from .inputs.limits import MAX_AMOUNT
from .inputs.months import MONTH as _MONTH
from .summary import UNITS

# The modules of each command are imported where it runs: `csmodels metrics` on a
# Parquet folder or a DuckDB file needs neither pandas nor the in-memory loader.

EXIT_BAD_INPUT = 2

# The metrics chapter's parameters that set only its sections (the health check at
# renewal, the cohorts), not its top-level figures, which are all the engine computes.
SECTIONS_ONLY = ("cohort_freq", "health_weights", "contract_term_months",
                 "health_lead_months", "health_window_months", "health_min_renewals")


def _month(text: str) -> str:
    if not _MONTH.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month written YYYY-MM")
    return text


def build_parser(metrics_only: bool = False) -> argparse.ArgumentParser:
    """The parser of every command; ``metrics_only``, of ``metrics`` alone, which parses
    a ``metrics`` command line the same way without importing the modules whose
    settings the other commands' options are built from (pandas among them)."""
    parser = argparse.ArgumentParser(
        prog="csmodels",
        description="Models of the Customer Success organisation handbook, on your own data.")
    parser.add_argument("--version", action="version", version=f"csmodels {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    metrics = commands.add_parser(
        "metrics", help="retention, churn, NPS and the other CS metrics of a data folder",
        description="Compute the metrics chapter's figures (NRR, GRR, logo and revenue churn, "
        "NPS, adoption, time to value, QBR coverage, expansion pipeline influenced, health-score "
        "AUC at renewal) for the company in a data folder. --json writes the keys of "
        "csmodels.MetricsSummary: the movements of ARR are new_arr, reactivation_arr, "
        "expansion_arr, contraction_arr and churn_arr over lookback_months (they were "
        "new_arr_12m and so on), and the chapter's detail comes in nested objects (health, "
        "benchmark, choices, cohorts, nps_detail, ttv_detail, and settings and ex: the "
        "settings and exercises the chapter states; null from a Parquet folder or a "
        "DuckDB file, where only the top-level figures are computed).")
    metrics.add_argument("--data", required=True, metavar="PATH",
                         help="folder with arr_monthly.csv and any optional tables, a Parquet "
                         "dataset folder (one sub-folder per table) or a DuckDB database file")
    metrics.add_argument("--as-of", type=_month, metavar="YYYY-MM",
                         help="the month to report on (default: the last month in the data)")
    metrics.add_argument("--profile", metavar="FILE",
                         help="a profile.yml (default: the one in --data, if any); its acv "
                         "places the company in the benchmark section, as in the chapter "
                         "(on a Parquet folder or a DuckDB file, which give no sections, "
                         "the profile is only checked)")
    metrics.add_argument(
        "-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
        help="set a parameter of the metrics chapter, as csmodels rerun does: NAME one of "
        f"{_parameter_names('metrics')}; VALUE read as a plain value (text, a number, "
        "True/False, None, a list or a dict), never run as code. -p as_of is --as-of. "
        f"{', '.join(SECTIONS_ONLY)} set only the chapter's sections (the health check "
        "and the cohorts), which a Parquet folder or a DuckDB file does not give: there "
        "they are checked and change nothing")
    metrics.add_argument("--json", action="store_true",
                         help="print one JSON object instead of a table: amounts of money "
                         "rounded to the cent, ratios as fractions to "
                         f"{UNITS['ratio'][2]} decimals (0.0001 percentage points), NPS and "
                         f"days to {UNITS['nps'][2]} decimals, null where the data cannot "
                         "give a figure")
    metrics.set_defaults(run=_run_metrics)
    if not metrics_only:
        _add_recommend_command(commands)
        _add_summary_commands(commands)
        _add_rerun_commands(commands)
    return parser


def _amount(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number (write 120000, without currency signs)") from None
    if not is_number(value, low=0):  # NaN and inf too
        raise argparse.ArgumentTypeError(f"{text!r} must be a number >= 0")
    if not is_number(value, high=MAX_AMOUNT):  # the loader's ceiling (data dictionary, "Budgets")
        raise argparse.ArgumentTypeError(f"{text!r} is above {MAX_AMOUNT:.0e}, the largest "
                                         "amount csmodels takes")
    return value


def _add_recommend_command(commands) -> None:
    """``recommend``: the maturity chapter's Summary (``csmodels.maturity.MaturitySummary``)."""
    from .profile import BUYERS, STAGES, TOUCH

    recommend = commands.add_parser(
        "recommend", help="which CS structure fits a company (the maturity chapter)",
        description="Recommend where Customer Success should report, who leads it and who "
        "owns renewals and expansion, from the company's profile and any facts given here "
        "(which override the profile's): the call the maturity chapter makes, with its "
        "parameters (the defaults of its parameters cell, and any -p), as csmodels rerun "
        "runs it. The facts come from these options (or -p), else the profile, else the "
        "data (--data), as in the chapter. A company with segments (the profile's "
        "'segments', or accounts.segment with --data) gets one recommendation per segment, "
        "then what they share and where they split; --acv or --touch, given for the whole "
        "company, places it as one. Without --json, the chapter's figures, labelled as the "
        "summary declares them, then the recommendation in words with the sources behind "
        "it and where they disagree. --json writes one object with the keys of "
        f"csmodels.maturity.MaturitySummary: {_json_keys('maturity')}.")
    recommend.add_argument("--profile", metavar="FILE", help="a profile.yml")
    recommend.add_argument("--stage", choices=STAGES, help="funding stage")
    recommend.add_argument("--arr", type=_amount, metavar="N", help="annual recurring revenue")
    recommend.add_argument("--acv", type=_amount, metavar="N", help="average contract value")
    recommend.add_argument("--touch", choices=TOUCH, help="touch model (default: from the ACV)")
    recommend.add_argument("--buyer", choices=BUYERS, help="who buys the product")
    recommend.add_argument("--product-led", action=argparse.BooleanOptionalAction,
                           default=None, help="customers try and buy without talking to anyone")
    recommend.add_argument("--data", metavar="DIR",
                           help="a data folder: its profile.yml (unless --profile), ARR and ACV "
                           "the profile lacks, and, when the profile lists no segments, the "
                           "segments of accounts.segment")
    _add_parameter_option(recommend, "maturity")
    recommend.add_argument("--json", action="store_true",
                           help="print one JSON object instead of the text; its 'sources' are "
                           "the sources' BibTeX keys (src003 is Source 003, as "
                           "csmodels/data/sources.csv lists them)")
    recommend.set_defaults(run=_run_recommend)


# The options of recommend that set a parameter of the maturity chapter: option -> name.
RECOMMEND_FACTS = {"stage": "funding_stage", "arr": "arr", "acv": "acv", "touch": "touch",
                   "buyer": "buyer", "product_led": "product_led"}


def _run_recommend(args: argparse.Namespace) -> int:
    """The maturity chapter's Summary: the same :func:`csmodels.maturity.summarise` call
    the chapter makes, so the two cannot recommend differently."""
    from .exceptions import ParameterError
    from .maturity import describe, describe_segments

    values = chapter_values("maturity", args.parameter)  # before reading any data
    given = {name for name, _ in args.parameter}
    for option, name in RECOMMEND_FACTS.items():
        value = getattr(args, option)
        if value is None:
            continue
        if name in given:
            flag = "--" + option.replace("_", "-")
            raise ParameterError(f"{flag} and -p {name} both set the {name}.",
                                 "Give it once.")
        values[name] = value
    summary = chapter_summary("maturity", args.data, args.profile, values)
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2, allow_nan=False))
        return 0
    where = (f" for the data in {printable(args.data)}" if args.data is not None else "")
    if summary.segmented is not None:
        words = describe_segments(summary.segmented, f"{printable(summary.currency)} ")
    else:
        words = describe(summary.recommendation) + (f"\n\n{summary.note}"
                                                    if summary.note else "")
    print(format_summary(summary, f"The maturity chapter's figures{where}")
          + "\n\nThe recommendation, in words:\n\n" + words)
    return 0


# ---------------------------------------------------------------- a chapter's Summary

# The commands that print a chapter's Summary: chapter -> (help, what the Summary holds).
SUMMARY_COMMANDS = {
    "functions": ("the functions chapter's figures: the revenue base, lifetime value and the "
                  "retention model", "csmodels.functions.FunctionsSummary"),
    "collaboration": ("the collaboration chapter's figures: handoffs, the first days, "
                      "crediting and pay, the self-assessment",
                      "csmodels.collaboration.CollaborationSummary"),
    "reporting": ("the reporting chapter's figures: where CS reports, and quota pressure",
                  "csmodels.reporting.ReportingSummary"),
}


def _summary_class(chapter: str):
    from .collaboration import CollaborationSummary
    from .functions import FunctionsSummary
    from .maturity import MaturitySummary
    from .reporting import ReportingSummary

    return {"functions": FunctionsSummary, "collaboration": CollaborationSummary,
            "reporting": ReportingSummary, "maturity": MaturitySummary}[chapter]


def _json_keys(chapter: str) -> str:
    """What ``--json`` writes, read from the Summary's own declarations."""
    fields = _summary_class(chapter).fields()
    figures = [f.name for f in fields if "unit" in f.metadata]
    sections = [f.name for f in fields if "section" in f.metadata]
    return (f"the figures {', '.join(figures)}; and the sections {', '.join(sections)}, as "
            "nested objects (null where the data cannot support one)")


def _add_summary_commands(commands) -> None:
    """``functions``, ``collaboration``, ``reporting``: a chapter's Summary, as ``metrics``."""
    for chapter, (help_text, cls) in SUMMARY_COMMANDS.items():
        command = commands.add_parser(
            chapter, help=help_text,
            description=f"Compute every figure of the {chapter} chapter for the company in a "
            "data folder: the call the chapter makes, with its parameters (the defaults of "
            "its parameters cell, and any -p), as csmodels rerun runs it. Without --json, "
            "a table of the figures, labelled as the summary declares them, one block per "
            f"section. --json writes one object with the keys of {cls}: "
            f"{_json_keys(chapter)}.")
        command.add_argument("--data", required=True, metavar="DIR",
                             help="folder with arr_monthly.csv and any optional tables")
        command.add_argument("--profile", metavar="FILE",
                             help="a profile.yml (default: the one in --data, if any)")
        _add_parameter_option(command, chapter)
        command.add_argument("--json", action="store_true",
                             help="print one JSON object instead of a table: amounts of money "
                             "rounded to the cent, ratios as fractions to "
                             f"{UNITS['ratio'][2]} decimals, null where the data cannot "
                             "give a figure")
        command.set_defaults(run=_run_summary)


def _add_parameter_option(command, chapter: str) -> None:
    command.add_argument(
        "-p", "--parameter", nargs=2, action="append", default=[],
        metavar=("NAME", "VALUE"),
        help="set a parameter of the chapter, as csmodels rerun does: NAME one of "
        f"{_parameter_names(chapter)}; VALUE read as a plain value (text, a number, "
        "True/False, None, a list or a dict), never run as code")


def _parameter_names(chapter: str) -> str:
    """The names ``-p`` takes, for ``--help`` (the chapter's own words if its notebook
    cannot be found: the command then says so when it runs)."""
    from .parameters import RESERVED

    try:
        names = [n for n in chapter_parameters(chapter) if n not in RESERVED]
    except CsModelsError:
        return "the names in the chapter's parameters cell"
    return ", ".join(names)


def chapter_parameters(chapter: str) -> dict[str, tuple[str | None, object]]:
    """The chapter's parameters as its ``parameters`` cell declares them:
    ``name -> (type, default)``, the names, types and defaults ``csmodels rerun`` checks
    ``-p`` against (read here as plain JSON, without papermill or nbformat, which only
    ``rerun`` and ``book`` need: ``csmodels metrics`` on a Parquet folder imports neither
    them nor pandas).

    >>> chapter_parameters("functions")["years"]
    ('int', 5)
    """
    return copy.deepcopy(_declared_parameters(chapter))  # the cache stays as read


@functools.cache
def _declared_parameters(chapter: str) -> dict[str, tuple[str | None, object]]:
    import ast

    from ._book_root import book_root

    path = book_root() / "chapters" / f"{chapter}.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    cell = next(c for c in cells if "parameters" in c.get("metadata", {}).get("tags", []))
    source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    declared = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            declared[node.target.id] = (ast.unparse(node.annotation),
                                        ast.literal_eval(node.value))
    return declared


def once_each(given: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The ``-p NAME VALUE`` pairs, refused when a NAME is given twice (the last would
    silently win).

    >>> once_each([("nrr", "1.05"), ("grr", "0.9")])
    [('nrr', '1.05'), ('grr', '0.9')]
    """
    from .book import visible
    from .exceptions import ParameterError

    seen = set()
    for name, _ in given:
        if name in seen:
            raise ParameterError(f"-p {visible(name)} is given more than once.",
                                 "Give each parameter once.")
        seen.add(name)
    return list(given)


def chapter_values(chapter: str, given: Sequence[tuple[str, str]]) -> dict:
    """The chapter's parameters for one run: its defaults, with the ``-p NAME VALUE``
    pairs ``given`` read (never run) and checked as ``csmodels rerun`` checks them."""
    from .book import visible
    from .exceptions import ParameterError
    from .parameters import RESERVED, check_value, parse_value

    declared = chapter_parameters(chapter)
    values = {name: default for name, (_, default) in declared.items()
              if name not in RESERVED}
    for name, text in once_each(given):
        if name in RESERVED:
            raise ParameterError(f"-p {name} is set by --data/--profile; use those options.")
        if name not in values:
            listing = ", ".join(f"{n} ({declared[n][0]})" for n in values)
            raise ParameterError(f"The chapter {chapter} has no parameter '{visible(name)}'. "
                                 f"Its parameters are: {listing}.")
        kind, default = declared[name]
        values[name] = check_value(name, parse_value(text), kind, repr(default))
    return values


def chapter_summary(chapter: str, data: str | None, profile: str | None, values: dict):
    """The Summary of ``chapter`` for the company in ``data``: the call its notebook makes,
    with the parameters ``values`` (:func:`chapter_values`). A data folder given must
    hold usable data; only the maturity chapter (``recommend``) also works without one."""
    if chapter == "metrics":
        return metrics_chapter_summary(data, profile, values)
    if chapter == "maturity":
        from .maturity import summarise

        return summarise(data, profile, require_data=data is not None, **values)
    if chapter == "functions":
        from .functions import summarise

        return summarise(data, profile, **values)
    if chapter == "collaboration":
        from .collaboration import summarise

        values = dict(values)
        answers = values.pop("self_assessment")
        return summarise(data, profile, self_assessment_answers=answers, **values)
    from .reporting import reporting_summary

    return reporting_summary(data, profile, require_data=True, **values)


def _run_summary(args: argparse.Namespace) -> int:
    values = chapter_values(args.command, args.parameter)  # before reading any data
    summary = chapter_summary(args.command, args.data, args.profile, values)
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2, allow_nan=False))
    else:
        print(format_summary(summary, f"The {args.command} chapter's figures for the data "
                             f"in {printable(args.data)}"))
    return 0


def format_summary(summary, title: str) -> str:
    """The readable table of a chapter's Summary: its figures, labelled as the summary
    declares them (:meth:`csmodels.summary.Summary.rows`), then one block per section."""
    currency = getattr(summary, "currency", None)
    lines = [title + (f" (amounts in {printable(currency)})" if currency else "")]
    _summary_block(summary, "", lines, currency=currency)
    return "\n".join(lines)


def _summary_block(summary, heading: str, lines: list[str], path: str = "",
                   currency: str | None = None) -> None:
    direct = {f.name for f in summary.fields() if "unit" in f.metadata}
    rows = [(label, shown) for key, label, shown in summary.rows(currency) if key in direct]
    lines += ["", heading] if heading else [""]
    if rows:
        width = max(len(label) for label, _ in rows)
        # printable(): text from the reader's data is shown as text, escapes and all
        lines += [f"  {label:<{width}}  {printable(shown)}" for label, shown in rows]
    for f in summary.fields():
        if "section" in f.metadata:
            key, about = f"{path}{f.name}", f.metadata["help"]
            value = getattr(summary, f.name)
            if value is None:
                lines += ["", f"[{key}] n/a" + (f" ({about.rstrip('.')})" if about else "")]
            else:
                _summary_block(value, f"[{key}] {about}".rstrip(), lines, f"{key}.", currency)


def _add_rerun_commands(commands) -> None:
    """``rerun``, ``book`` and ``mapping-template``: the book on the reader's company."""
    rerun = commands.add_parser(
        "rerun", help="one chapter on your data: executed notebook and HTML page",
        description="Execute one chapter on the company in a data folder and build its page. "
        "Writes OUT/CHAPTER.ipynb, the page's site in OUT/html and OUT/index.html.")
    rerun.add_argument("chapter", metavar="CHAPTER",
                       help="functions, reporting, maturity, collaboration or metrics")
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
                             help="replace a non-empty --out, if csmodels wrote it (it holds "
                             "a .csmodels-output file)")
        command.add_argument("--book", metavar="DIR", help=argparse.SUPPRESS)
        command.add_argument(
            "-p", "--parameter", nargs=2, action="append", default=[],
            metavar=("NAME", "VALUE"),
            help="set a chapter parameter; VALUE is read as a plain value (text, a number, "
            "True/False, None, a list or a dict: 0.1, None, {'a': 1}) or else as text, "
            "never run as code" + ("" if command is rerun else "; NAME applies to every "
                                  "chapter that has it, CHAPTER.NAME to one chapter"))
        command.set_defaults(run=run)
    template = commands.add_parser(
        "mapping-template", help="write a mapping.yml template for a folder of exports",
        description="Match the files and columns of a folder of exports to the canonical "
        "tables and write a mapping.yml to check, complete and save in the data folder.")
    template.add_argument("--data", required=True, metavar="DIR", help="the folder of exports")
    template.add_argument("--out", required=True, metavar="FILE",
                          help="where to write the template (- for the screen); never in "
                          "the data folder")
    template.add_argument("--force", action="store_true", help="overwrite an existing FILE")
    template.set_defaults(run=_run_mapping_template)


# What `rerun` and `book` import to run chapters and build pages: the [book] extra.
BOOK_TOOLS = {"papermill": "papermill", "nbclient": "nbclient", "ipykernel": "ipykernel",
              "jupyter_client": "jupyter-client",
              "jupyter_book": "jupyter-book", "myst_nb": "myst-nb",
              "sphinxcontrib.bibtex": "sphinxcontrib-bibtex",
              "sphinx_exercise": "sphinx-exercise", "mathjax": "django-static-mathjax"}


def require_book_tools() -> None:
    """Stop with what to install when a tool of the ``[book]`` extra is missing."""
    from importlib.util import find_spec

    def missing(module: str) -> bool:
        try:
            return find_spec(module) is None
        except (ImportError, ValueError):  # a parent package missing, or set to None
            return True

    absent = [dist for module, dist in BOOK_TOOLS.items() if missing(module)]
    if absent:
        raise CsModelsError("This command runs the book's chapters and builds its pages, "
                            f"which needs {', '.join(absent)}: not installed. Install the "
                            'book\'s tools with pip install "csmodels[book]" (in a clone: '
                            "pip install -r requirements.txt).")


def _run_rerun(args: argparse.Namespace) -> int:
    require_book_tools()
    from .book import visible
    from .parameters import parse_value
    from .rerun import rerun_chapter

    parameters = {name: parse_value(value) for name, value in once_each(args.parameter)}
    out = rerun_chapter(args.chapter, args.data, args.out, args.profile, parameters,
                        args.force, args.book)
    print(visible(f"{out}/index.html"))  # no raw control characters from a name
    return 0


def _run_book(args: argparse.Namespace) -> int:
    require_book_tools()
    from .book import visible
    from .parameters import parse_value
    from .rerun import build_book

    parameters = {name: parse_value(value) for name, value in once_each(args.parameter)}
    out = build_book(args.data, args.out, args.profile, args.force, args.book,
                     parameters=parameters)
    print(visible(f"{out}/index.html"))  # no raw control characters from a name
    return 0


def _run_mapping_template(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ._fs import check_file_target, write_file
    from .exceptions import DataError, Problem
    from .inputs import mapping_template

    if not Path(args.data).is_dir():
        raise DataError([Problem(args.data, "The data folder does not exist.",
                                 "Give the folder that holds your exports.")])
    out = Path(args.out)
    if args.out != "-":
        check_file_target(out, Path(args.data), args.force)  # before reading anything
    text = mapping_template(args.data)
    if args.out == "-":
        print(text, end="")
        return 0
    write_file(out, text)
    print(f"Wrote {out}: check it, fill in what it could not find, save it as mapping.yml "
          "in the data folder.")
    return 0


def _run_metrics(args: argparse.Namespace) -> int:
    values = chapter_values("metrics", args.parameter)  # before reading any data
    given = {name for name, _ in args.parameter}
    if args.as_of is not None:
        if "as_of" in given:
            raise ParameterError("The month is given twice, by --as-of and by -p as_of.",
                                 "Give it once.")
        values["as_of"] = args.as_of
    summary = chapter_summary("metrics", args.data, args.profile, values)
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2, allow_nan=False))
    else:
        print(format_metrics(summary, args.data))
    return 0


def metrics_chapter_summary(data: str, profile: str | None, values: dict):
    """The metrics chapter's :class:`csmodels.MetricsSummary` for the data at ``data``,
    with its parameters ``values`` (:func:`chapter_values`): on exports, the chapter's
    own call (:func:`csmodels.kpis.summarise`); on a Parquet folder or a DuckDB file, the
    engine's top-level figures with the same settings (the parameters of
    :data:`SECTIONS_ONLY` and the profile are checked there, with the same refusals, and
    change nothing)."""
    from .engine import is_engine_source

    as_of = values["as_of"]
    if as_of is not None and not _MONTH.fullmatch(str(as_of)):
        raise ParameterError(f"-p as_of: {visible(shown(as_of))} is not a month written "
                             "YYYY-MM.", "Give the month as 2025-06, or None for the last.")
    if not is_engine_source(data):  # exports: loaded and checked in memory
        from .kpis import summarise

        return summarise(data, profile, **values)
    # a Parquet dataset folder or a DuckDB database file: without pandas, unless the
    # health weights differ from the chapter's (checked by the health model)
    from dataclasses import fields
    from pathlib import Path

    from ._kpi_summary import MetricSettings
    from .engine import open_data
    from .engine import summary as engine_summary

    settings = MetricSettings(**{f.name: values[f.name] for f in fields(MetricSettings)
                                 if f.name in values})
    if values["health_weights"] != chapter_parameters("metrics")["health_weights"][1]:
        from .health import HealthModel

        HealthModel(weights=values["health_weights"])
    if profile is not None or (Path(data) / "profile.yml").is_file():
        from .profile import default_profile_path, load_profile

        load_profile(default_profile_path(data, profile))  # checked, as on exports
    engine, _ = open_data(data, as_of, settings.lookback_months)
    return engine_summary(engine, as_of, settings)


def format_metrics(summary, data: str) -> str:
    """The readable table of ``csmodels metrics``: every figure of a
    :class:`csmodels.MetricsSummary`, labelled as the summary declares it."""
    rows = list(summary.rows())
    lines = [f"Metrics as of {summary.as_of} for the data in {printable(data)}", ""]
    width = max(len(label) for _, label, _ in rows)
    # a text figure may come from the reader (the company: the profile's, or the folder's
    # name): shown escaped, as every string from outside is (printable)
    lines += [f"  {label:<{width}}  {printable(shown):>12}" for _, label, shown in rows]
    if summary.missing_tables:
        lines += ["", "Not in the data folder (their metrics show as n/a): "
                  + ", ".join(summary.missing_tables)]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``csmodels`` console script.

    Input the reader can fix, a file-system fault and SIGINT or SIGTERM each end
    with one line on stderr and no traceback: exit 2 for the first two, 128 plus
    the signal's number (130, 143) for a signal, after the run has removed its
    temporary files and kernels.
    """
    from ._fs import os_error_message, shown
    from ._signals import Interrupted, handled_signals

    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(metrics_only=argv[:1] == ["metrics"]).parse_args(argv)
    try:
        with handled_signals():
            return args.run(args)
    except CsModelsError as err:
        lines = str(err).split("\n")  # a message's own line breaks; the rest shown escaped
        print(f"csmodels {args.command}: " + "\n".join(map(printable, lines)), file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `csmodels metrics | head`: the reader stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:
        print(f"csmodels {args.command}: {os_error_message(err, 'a file')}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (Interrupted, KeyboardInterrupt) as err:
        name, code = ((err.name, err.exit_code) if isinstance(err, Interrupted)
                      else ("SIGINT", 128 + signal.SIGINT))
        left = (f"; {shown(args.out)} was left as it was" if getattr(args, "out", "-") != "-"
                else "")
        print(f"csmodels {args.command}: stopped by {name}; its temporary files were "
              f"removed{left}.", file=sys.stderr, flush=True)
        return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
