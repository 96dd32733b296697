"""Write the bad-input corpus: small data folders, each broken in one way (or
unusual but acceptable), with an ``expect.yml`` saying what ``csmodels`` must answer.

Every case starts from the same small valid company (all eight tables) and changes
one thing. ``expect.yml`` holds the exit code and, for a refusal, the file and the
column the message must name. Deterministic: running it twice writes the same bytes.

    python tests/bad_inputs/make_corpus.py        # rewrites tests/bad_inputs/<case>/
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
MONTHS = [f"2024-{m:02d}" for m in range(1, 13)] + ["2025-01", "2025-02"]

BASE: dict[str, list[list[str]]] = {
    "accounts": [["account_id", "name", "segment", "csm", "contract_start", "licensed_seats"],
                 ["A1", "Acme", "SMB", "Kim", "2024-01-01", "20"],
                 ["A2", "Borealis", "Enterprise", "Lee", "2024-01-15", "200"]],
    "arr_monthly": [["account_id", "month", "arr"]]
    + [["A1", m, "12000"] for m in MONTHS] + [["A2", m, "90000"] for m in MONTHS[:-1]],
    "nps_responses": [["date", "score", "account_id", "respondent_id"],
                      ["2024-11-03", "9", "A1", "r1"], ["2025-01-20", "4", "A2", "r2"]],
    "usage_monthly": [["account_id", "month", "active_users", "licensed_seats"],
                      ["A1", "2025-01", "15", "20"], ["A2", "2025-01", "120", "200"]],
    "onboarding": [["account_id", "contract_date", "first_value_date", "kickoff_date",
                    "go_live_date"],
                   ["A1", "2024-01-01", "2024-02-10", "2024-01-08", "2024-02-01"],
                   ["A2", "2024-01-15", "2024-03-30", "2024-01-25", "2024-03-15"]],
    "qbrs": [["account_id", "date"], ["A1", "2025-01-10"], ["A2", "2024-12-05"]],
    "opportunities": [["opportunity_id", "account_id", "type", "amount", "created_date",
                       "close_date", "status", "owner_team", "cs_sourced", "cs_influenced"],
                      ["O1", "A1", "new", "12000", "2023-11-01", "2024-01-01", "won", "sales",
                       "false", "false"],
                      ["O2", "A2", "expansion", "15000", "2024-10-01", "2025-01-15", "open",
                       "cs", "true", "true"]],
    "handoffs": [["account_id", "closed_won_date", "handoff_date", "goals_documented",
                  "stakeholders_documented", "success_criteria_documented",
                  "commitments_documented", "kickoff_date"],
                 ["A1", "2024-01-01", "2024-01-03", "true", "true", "false", "true",
                  "2024-01-08"],
                 ["A2", "2024-01-15", "2024-01-22", "true", "false", "false", "false",
                  "2024-01-25"]],
}


def csv_text(rows: list[list[str]], sep: str = ",") -> str:
    return "".join(sep.join(row) + "\n" for row in rows)


def write_base(folder: Path, tables: dict[str, list[list[str]]] | None = None) -> None:
    folder.mkdir(parents=True)
    for name, rows in (tables or BASE).items():
        (folder / f"{name}.csv").write_text(csv_text(rows), encoding="utf-8")


def edit(table: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    """Set one cell (row 1 is the first data row)."""
    def apply(folder: Path) -> None:
        rows = [list(r) for r in BASE[table]]
        rows[row][rows[0].index(column)] = value
        (folder / f"{table}.csv").write_text(csv_text(rows), encoding="utf-8")
    return apply


def rename_column(table: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        rows = [list(r) for r in BASE[table]]
        rows[0][rows[0].index(old)] = new
        (folder / f"{table}.csv").write_text(csv_text(rows), encoding="utf-8")
    return apply


def drop_column(table: str, column: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        i = BASE[table][0].index(column)
        rows = [r[:i] + r[i + 1:] for r in BASE[table]]
        (folder / f"{table}.csv").write_text(csv_text(rows), encoding="utf-8")
    return apply


def add_row(table: str, row: list[str]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / f"{table}.csv").write_text(csv_text([*BASE[table], row]), encoding="utf-8")
    return apply


def replace_file(table: str, content: bytes, suffix: str = ".csv") -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / f"{table}.csv").unlink()
        (folder / f"{table}{suffix}").write_bytes(content)
    return apply


def remove(table: str) -> Callable[[Path], None]:
    return lambda folder: (folder / f"{table}.csv").unlink()


def folder_for(table: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        (folder / f"{table}.csv").unlink()
        (folder / f"{table}.csv").mkdir()
        (folder / f"{table}.csv" / "part-0.csv").write_text(csv_text(BASE[table]))
    return apply


def encoded(table: str, encoding: str, sep: str = ",") -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        rows = [list(r) for r in BASE[table]]
        rows[1][1] = "Café Açores"
        (folder / f"{table}.csv").write_bytes(csv_text(rows, sep).encode(encoding))
    return apply


def text(table: str, content: str) -> Callable[[Path], None]:
    return lambda folder: (folder / f"{table}.csv").write_text(content, encoding="utf-8")


def also_parquet(table: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        import pandas as pd

        rows = BASE[table]
        pd.DataFrame(rows[1:], columns=rows[0]).to_parquet(folder / f"{table}.parquet")
    return apply


ARR_HEADER = "account_id,month,arr\n"
# name: (change, exit code, file the message names, column it names)
CASES: dict[str, tuple[Callable[[Path], None], int, str | None, str | None]] = {
    # arr_monthly, the one required table
    "arr_missing_file": (remove("arr_monthly"), 2, "arr_monthly.csv", None),
    "arr_misspelt_file": (lambda f: (f / "arr_monthly.csv").rename(f / "arr_montly.csv"),
                          2, "arr_monthly.csv", None),
    "arr_missing_column": (drop_column("arr_monthly", "arr"), 2, "arr_monthly.csv", "arr"),
    "arr_misspelt_header": (rename_column("arr_monthly", "month", "mnth"), 2,
                            "arr_monthly.csv", "month"),
    "arr_empty_file": (text("arr_monthly", ""), 2, "arr_monthly.csv", None),
    "arr_header_only": (text("arr_monthly", ARR_HEADER), 2, "arr_monthly.csv", None),
    "arr_text_amount": (edit("arr_monthly", 3, "arr", "twelve"), 2, "arr_monthly.csv", "arr"),
    "arr_negative_amount": (edit("arr_monthly", 3, "arr", "-500"), 2, "arr_monthly.csv", "arr"),
    "arr_infinite_amount": (edit("arr_monthly", 3, "arr", "inf"), 2, "arr_monthly.csv", "arr"),
    "arr_nan_amount": (edit("arr_monthly", 3, "arr", "NaN"), 2, "arr_monthly.csv", "arr"),
    "arr_blank_amount": (edit("arr_monthly", 3, "arr", ""), 2, "arr_monthly.csv", "arr"),
    "arr_currency_amount": (edit("arr_monthly", 3, "arr", "$12,000"), 2, "arr_monthly.csv",
                            None),
    "arr_month_13": (edit("arr_monthly", 2, "month", "2024-13"), 2, "arr_monthly.csv",
                     "month"),
    "arr_month_as_date": (edit("arr_monthly", 2, "month", "02/2024"), 2, "arr_monthly.csv",
                          "month"),
    "arr_month_year_1800": (edit("arr_monthly", 2, "month", "1800-01"), 2, "arr_monthly.csv",
                            "month"),
    "arr_blank_account": (edit("arr_monthly", 2, "account_id", ""), 2, "arr_monthly.csv",
                          "account_id"),
    "arr_duplicate_key": (add_row("arr_monthly", ["A1", "2024-03", "15000"]), 2,
                          "arr_monthly.csv", "month"),
    "arr_unknown_account": (add_row("arr_monthly", ["ZZ9", "2024-03", "100"]), 2,
                            "arr_monthly.csv", "account_id"),
    "arr_binary_garbage": (replace_file("arr_monthly", bytes(range(256)) * 8), 2,
                           "arr_monthly.csv", None),
    "arr_utf16": (encoded("arr_monthly", "utf-16"), 2, "arr_monthly.csv", None),
    "arr_semicolons": (encoded("arr_monthly", "utf-8", ";"), 2, "arr_monthly.csv", None),
    "arr_ragged_row": (text("arr_monthly", ARR_HEADER + "A1,2024-01,12000\nA1,2024-02,1,2\n"),
                       2, "arr_monthly.csv", None),
    "arr_is_a_folder": (folder_for("arr_monthly"), 2, "arr_monthly.csv", None),
    "arr_given_twice": (also_parquet("arr_monthly"), 2, "arr_monthly", None),
    "arr_garbage_xlsx": (replace_file("arr_monthly", b"PK\x03\x04 not really a workbook",
                                      ".xlsx"), 2, "arr_monthly.xlsx", None),
    "arr_garbage_parquet": (replace_file("arr_monthly", b"PAR1 broken", ".parquet"), 2,
                            "arr_monthly.parquet", None),
    "arr_duplicate_header": (text("arr_monthly", "account_id,month,arr,arr\nA1,2024-01,1,2\n"),
                             2, "arr_monthly.csv", None),
    # accounts
    "accounts_missing_name": (drop_column("accounts", "name"), 2, "accounts.csv", "name"),
    "accounts_duplicate_id": (add_row("accounts", ["A1", "Acme again", "SMB", "Kim",
                                                   "2024-01-01", "25"]),
                              2, "accounts.csv", "account_id"),
    "accounts_negative_seats": (edit("accounts", 1, "licensed_seats", "-3"), 2, "accounts.csv",
                                "licensed_seats"),
    "accounts_fractional_seats": (edit("accounts", 1, "licensed_seats", "2.5"), 2,
                                  "accounts.csv", "licensed_seats"),
    "accounts_impossible_date": (edit("accounts", 1, "contract_start", "2024-02-30"), 2,
                                 "accounts.csv", "contract_start"),
    "accounts_latin1": (encoded("accounts", "latin-1"), 2, "accounts.csv", None),
    # nps_responses
    "nps_score_11": (edit("nps_responses", 1, "score", "11"), 2, "nps_responses.csv", "score"),
    "nps_score_negative": (edit("nps_responses", 1, "score", "-1"), 2, "nps_responses.csv",
                           "score"),
    "nps_score_text": (edit("nps_responses", 1, "score", "ten"), 2, "nps_responses.csv",
                       "score"),
    "nps_score_fraction": (edit("nps_responses", 1, "score", "7.5"), 2, "nps_responses.csv",
                           "score"),
    "nps_impossible_date": (edit("nps_responses", 1, "date", "2024-13-01"), 2,
                            "nps_responses.csv", "date"),
    "nps_missing_score_column": (drop_column("nps_responses", "score"), 2, "nps_responses.csv",
                                 "score"),
    "nps_unknown_account": (edit("nps_responses", 1, "account_id", "NOPE"), 2,
                            "nps_responses.csv", "account_id"),
    # usage_monthly
    "usage_negative_users": (edit("usage_monthly", 1, "active_users", "-4"), 2,
                             "usage_monthly.csv", "active_users"),
    "usage_bad_month": (edit("usage_monthly", 1, "month", "2025-00"), 2, "usage_monthly.csv",
                        "month"),
    "usage_duplicate_key": (add_row("usage_monthly", ["A1", "2025-01", "3", "20"]), 2,
                            "usage_monthly.csv", "month"),
    # onboarding
    "onboarding_value_before_contract": (edit("onboarding", 1, "first_value_date",
                                              "2023-12-01"), 2, "onboarding.csv",
                                         "first_value_date"),
    "onboarding_bad_date": (edit("onboarding", 2, "contract_date", "15/01/2024"), 2,
                            "onboarding.csv", "contract_date"),
    "onboarding_header_only": (text("onboarding", ",".join(BASE["onboarding"][0]) + "\n"), 0,
                               None, None),
    # qbrs
    "qbrs_missing_date_column": (drop_column("qbrs", "date"), 2, "qbrs.csv", "date"),
    "qbrs_unknown_account": (edit("qbrs", 1, "account_id", "A7"), 2, "qbrs.csv", "account_id"),
    "qbrs_empty_file": (text("qbrs", ""), 2, "qbrs.csv", None),
    # opportunities
    "opps_unknown_type": (edit("opportunities", 1, "type", "upsell"), 2, "opportunities.csv",
                          "type"),
    "opps_unknown_status": (edit("opportunities", 1, "status", "pending"), 2,
                            "opportunities.csv", "status"),
    "opps_negative_amount": (edit("opportunities", 1, "amount", "-1"), 2, "opportunities.csv",
                             "amount"),
    "opps_duplicate_id": (add_row("opportunities", ["O1", "A2", "renewal", "9000", "2024-10-01",
                                                    "2025-01-01", "won", "cs", "true",
                                                    "false"]),
                          2, "opportunities.csv", "opportunity_id"),
    "opps_bad_bool": (edit("opportunities", 1, "cs_sourced", "maybe"), 2, "opportunities.csv",
                      "cs_sourced"),
    "opps_closed_before_created": (edit("opportunities", 1, "close_date", "2023-01-01"), 2,
                                   "opportunities.csv", "close_date"),
    # handoffs
    "handoffs_bad_bool": (edit("handoffs", 1, "goals_documented", "perhaps"), 2,
                          "handoffs.csv", "goals_documented"),
    "handoffs_before_close": (edit("handoffs", 1, "handoff_date", "2023-12-20"), 2,
                              "handoffs.csv", "handoff_date"),
    "handoffs_missing_column": (drop_column("handoffs", "handoff_date"), 2, "handoffs.csv",
                                "handoff_date"),
    # unusual but acceptable
    "ok_utf8_bom": (lambda f: (f / "arr_monthly.csv").write_bytes(
        b"\xef\xbb\xbf" + csv_text(BASE["arr_monthly"]).encode()), 0, None, None),
    "ok_crlf": (lambda f: (f / "arr_monthly.csv").write_bytes(
        csv_text(BASE["arr_monthly"]).replace("\n", "\r\n").encode()), 0, None, None),
    "ok_extra_column": (lambda f: (f / "qbrs.csv").write_text(
        "account_id,date,notes\nA1,2025-01-10,fine\nA2,2024-12-05,\n"), 0, None, None),
    "ok_only_arr": (lambda f: [p.unlink() for p in f.glob("*.csv") if p.stem != "arr_monthly"],
                    0, None, None),
    "ok_padded_values": (edit("arr_monthly", 2, "arr", "  12000 "), 0, None, None),
    "ok_quoted_names": (edit("accounts", 1, "name", '"Acme, Inc."'), 0, None, None),
}


def main() -> None:
    for old in HERE.iterdir():
        if old.is_dir() and (old / "expect.yml").exists():
            shutil.rmtree(old)
    for name, (change, code, file, column) in CASES.items():
        folder = HERE / name
        write_base(folder)
        change(folder)
        expect = {"exit": code, "file": file, "column": column}
        (folder / "expect.yml").write_text(yaml.safe_dump(expect, sort_keys=True))
    print(f"wrote {len(CASES)} cases to {HERE}")


if __name__ == "__main__":
    main()
