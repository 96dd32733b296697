"""The canonical input tables, as data.

One :class:`Table` per file a practitioner brings (the data dictionary,
``data/README.md``, describes them for readers). The loader (:mod:`csmodels.inputs`)
checks every file against these specs, so the rules a reader's data must follow live
in one readable place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["id", "text", "month", "date", "amount", "count", "score", "bool", "choice"]


@dataclass(frozen=True)
class Column:
    """One column of an input table.

    ``kind`` says how its text is parsed: ``id``/``text`` stay strings, ``month`` is
    ``YYYY-MM``, ``date`` is ``YYYY-MM-DD``, ``amount`` is a finite number >= 0,
    ``count`` an integer >= 0, ``score`` an integer from 0 to 10, ``bool`` is
    true/false (also yes/no, 1/0), ``choice`` one of ``choices``. A ``positive``
    amount or count must be above 0 (seats, an opportunity's amount). Amounts and
    counts have ceilings too (:data:`csmodels.inputs.limits.MAX_AMOUNT`, ``MAX_COUNT``).
    """

    name: str
    kind: Kind
    required: bool = True
    blank_ok: bool = False
    choices: tuple[str, ...] = ()
    meaning: str = ""
    positive: bool = False


@dataclass(frozen=True)
class Table:
    """One input table: its columns, its unique key and what it feeds."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = False
    feeds: str = ""

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name: str, kind: Kind, meaning: str, **kw) -> Column:
    return Column(name, kind, meaning=meaning, **kw)


def _opt(name: str, kind: Kind, meaning: str, **kw) -> Column:
    return Column(name, kind, required=False, blank_ok=True, meaning=meaning, **kw)


# the columns that link the tables, declared once
ACCOUNT = _c("account_id", "id", "the account")
MONTH = _c("month", "month", "the month, YYYY-MM")

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "accounts",
            (
                _c("account_id", "id", "the account's identifier, the same in every table"),
                _c("name", "text", "the account's name (shown as text, never run)"),
                _opt("segment", "text", "a customer segment such as Enterprise or SMB"),
                _opt("csm", "text", "the Customer Success Manager who owns the account"),
                _opt("contract_start", "date", "the first contract's start date"),
                _opt("licensed_seats", "count", "seats the account pays for (at least 1)",
                     positive=True),
            ),
            key=("account_id",),
            feeds="everything",
        ),
        Table(
            "arr_monthly",
            (
                ACCOUNT,
                MONTH,
                _c("arr", "amount", "annual recurring revenue in that month (>= 0)"),
            ),
            key=("account_id", "month"),
            required=True,
            feeds="retention, churn, ARR movements, cohorts, CLV",
        ),
        Table(
            "nps_responses",
            (
                _c("date", "date", "when the survey was answered"),
                _c("score", "score", "the answer to 'how likely are you to recommend', 0-10"),
                _opt("account_id", "id", "the respondent's account"),
                _opt("respondent_id", "id", "the respondent"),
            ),
            key=(),
            feeds="NPS",
        ),
        Table(
            "usage_monthly",
            (
                ACCOUNT,
                MONTH,
                _c("active_users", "count", "users active in the month"),
                _opt("licensed_seats", "count", "seats licensed in the month (at least 1)",
                     positive=True),
            ),
            key=("account_id", "month"),
            feeds="adoption, health score",
        ),
        Table(
            "onboarding",
            (
                ACCOUNT,
                _c("contract_date", "date", "the contract's signature date"),
                _c("first_value_date", "date", "first value reached; blank if not yet",
                   blank_ok=True),
                _opt("kickoff_date", "date", "onboarding kickoff"),
                _opt("go_live_date", "date", "go-live"),
            ),
            key=("account_id",),
            feeds="time to value",
        ),
        Table(
            "qbrs",
            (
                ACCOUNT,
                _c("date", "date", "the date of the business review"),
            ),
            key=(),
            feeds="QBR coverage, health score",
        ),
        Table(
            "opportunities",
            (
                _c("opportunity_id", "id", "the opportunity"),
                ACCOUNT,
                _c("type", "choice", "new, renewal or expansion",
                   choices=("new", "renewal", "expansion")),
                _c("amount", "amount", "ARR at stake (> 0)", positive=True),
                _c("created_date", "date", "when the opportunity was opened"),
                _c("close_date", "date", "when it closed (or is expected to)"),
                _c("status", "choice", "open, won or lost", choices=("open", "won", "lost")),
                _opt("owner_team", "text", "the team that owns it, e.g. sales or cs"),
                _opt("cs_sourced", "bool", "Customer Success found the opportunity"),
                _opt("cs_influenced", "bool", "Customer Success helped win it"),
            ),
            key=("opportunity_id",),
            feeds="expansion pipeline, ownership and compensation models",
        ),
        Table(
            "handoffs",
            (
                ACCOUNT,
                _c("closed_won_date", "date", "the deal's close date"),
                _c("handoff_date", "date", "when Sales handed the account to CS"),
                _opt("goals_documented", "bool", "customer goals written down"),
                _opt("stakeholders_documented", "bool", "stakeholders written down"),
                _opt("success_criteria_documented", "bool", "success criteria written down"),
                _opt("commitments_documented", "bool", "promises made in the sale written down"),
                _opt("kickoff_date", "date", "the kickoff meeting"),
            ),
            key=("account_id",),
            feeds="handoff quality, 90-day SLA",
        ),
    )
}

# Pairs of date columns that must be in order: (table, earlier, later).
DATE_ORDER: tuple[tuple[str, str, str], ...] = (
    ("onboarding", "contract_date", "first_value_date"),
    ("onboarding", "kickoff_date", "go_live_date"),
    ("opportunities", "created_date", "close_date"),
    ("handoffs", "closed_won_date", "handoff_date"),
    ("handoffs", "handoff_date", "kickoff_date"),
)
