"""Write the bad-input corpus: small data folders, each broken in one way (or
unusual but acceptable), with an ``expect.yml`` saying what ``csmodels`` must answer.

Every case starts from the same small valid company (all eight tables) and changes
one thing. ``expect.yml`` holds the exit code and, for a refusal, the file and the
column the message must name, and what else it must say (``says``). ``run`` says which
command answers the case: ``metrics`` (the default), ``recommend`` (on the folder's
``profile.yml``) or ``mapping-template``. Deterministic: running it twice writes the
same bytes (workbooks are written by hand, with fixed dates). Cases that need large
files, links, pipes or odd file names are made at test time (tests/test_bad_inputs.py).

    python tests/bad_inputs/make_corpus.py        # rewrites tests/bad_inputs/<case>/
"""

from __future__ import annotations

import json
import shutil
import zipfile
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


# ------------------------------------------------------------------ hand-made workbooks

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _cell(ref: str, value: str) -> str:
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml(rows: list[list[str]]) -> bytes:
    """A worksheet of inline strings (no shared-strings part needed)."""
    body = "".join(
        f'<row r="{i}">' + "".join(_cell(f"{chr(65 + j)}{i}", v) for j, v in enumerate(row))
        + "</row>" for i, row in enumerate(rows, 1))
    return f'<worksheet xmlns="{_MAIN}"><sheetData>{body}</sheetData></worksheet>'.encode()


def write_inline_string_xlsx(path: Path, megabytes: int = 300) -> None:
    """An arr_monthly workbook whose one extra cell is an inline string of ``megabytes``
    million letters: about 300 KB on disk that would unpack to 300 MB (a zip bomb)."""
    import io

    head, tail = sheet_xml(BASE["arr_monthly"]).split(b"</sheetData>")
    base = zipfile.ZipFile(io.BytesIO(xlsx_bytes([("Data", b"")])))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in base.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(info, base.read(info))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(head + b'<row r="99"><c r="A99" t="inlineStr"><is><t>')
            for _ in range(megabytes):
                part.write(b"A" * 1_000_000)
            part.write(b"</t></is></c></row></sheetData>" + tail)


def xlsx_bytes(sheets: list[tuple[str, bytes]]) -> bytes:
    """A minimal .xlsx holding ``(sheet name, worksheet XML)`` pairs, byte-reproducible."""
    import io

    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}'
                        f'.worksheet+xml"/>' for i in range(1, len(sheets) + 1))
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'{overrides}</Types>',
        "_rels/.rels": f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>' + "".join(
            f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
            for i, (name, _) in enumerate(sheets, 1)) + "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PKG}">' + "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" '
            f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1))
        + "</Relationships>",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), text)
        for i, (_, xml) in enumerate(sheets, 1):
            info = zipfile.ZipInfo(f"xl/worksheets/sheet{i}.xml", (2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, xml)
    return buffer.getvalue()


def workbook(table: str, sheets: list[tuple[str, bytes]] | None = None
             ) -> Callable[[Path], None]:
    """Replace ``table``'s CSV by a workbook (by default its rows on one sheet)."""
    def apply(folder: Path) -> None:
        (folder / f"{table}.csv").unlink()
        content = sheets or [("Data", sheet_xml(BASE[table]))]
        (folder / f"{table}.xlsx").write_bytes(xlsx_bytes(content))
    return apply


def mapping(text: str) -> Callable[[Path], None]:
    return lambda folder: (folder / "mapping.yml").write_text(text, encoding="utf-8")


def profile(text: str) -> Callable[[Path], None]:
    return lambda folder: (folder / "profile.yml").write_text(text, encoding="utf-8")


def raw_bytes(table: str, content: bytes) -> Callable[[Path], None]:
    return lambda folder: (folder / f"{table}.csv").write_bytes(content)


def both(*changes: Callable[[Path], None]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        for change in changes:
            change(folder)
    return apply


def parquet_with_unknown_dtype(folder: Path) -> None:
    """arr_monthly as Parquet whose pandas metadata names a dtype no pandas knows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = BASE["arr_monthly"]
    table = pa.table({name: [r[i] for r in rows[1:]] for i, name in enumerate(rows[0])})
    columns = [{"name": n, "field_name": n, "pandas_type": "unicode", "numpy_type": "object",
                "metadata": None} for n in rows[0]]
    columns[2].update(pandas_type="evil", numpy_type="evil_dtype[zz]")
    meta = {"index_columns": [], "column_indexes": [], "columns": columns,
            "creator": {"library": "pyarrow"}, "pandas_version": "2.0.0"}
    table = table.replace_schema_metadata({b"pandas": json.dumps(meta).encode()})
    (folder / "arr_monthly.csv").unlink()
    pq.write_table(table, folder / "arr_monthly.parquet")


# 396 bytes of nested YAML aliases: nine to the ninth power of "lol" if expanded.
ALIAS_BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n"
    for a, b in zip("abcdefgh", "bcdefghi", strict=True))

ARR_HEADER = "account_id,month,arr\n"
# name: (change, exit code, file the message names, column it names[, what else it must
# say[, the command that answers it]])
CASES: dict[str, tuple] = {
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
    # --- issue 14: bounded work and clear messages for hostile or odd files
    "mapping_alias_bomb": (mapping(ALIAS_BOMB), 2, "mapping.yml", None, ["anchor or alias"]),
    "mapping_tables_list": (mapping("tables: [arr_monthly, accounts]\n"), 2, "mapping.yml",
                            None, ["'tables' must hold one entry per table", "a list"]),
    "mapping_tables_int": (mapping("tables: 7\n"), 2, "mapping.yml", None,
                           ["'tables' must hold one entry per table"]),
    "mapping_file_int": (mapping("tables:\n  arr_monthly:\n    file: 123\n"), 2,
                         "mapping.yml", None, ["'tables.arr_monthly.file' is 123"]),
    "mapping_sheet_list": (mapping("tables:\n  arr_monthly:\n    file: arr_monthly.csv\n"
                                   "    sheet: [0, 1]\n"), 2, "mapping.yml", None,
                           ["'tables.arr_monthly.sheet' is a list"]),
    "mapping_sheet_negative": (mapping("tables:\n  arr_monthly:\n    file: arr_monthly.csv\n"
                                       "    sheet: -1\n"), 2, "mapping.yml", None,
                               ["'tables.arr_monthly.sheet' is -1"]),
    "mapping_sheet_mapping": (mapping("tables:\n  arr_monthly:\n    file: arr_monthly.csv\n"
                                      "    sheet: {a: 1}\n"), 2, "mapping.yml", None,
                              ["'tables.arr_monthly.sheet' is a mapping"]),
    "mapping_sheet_missing": (both(workbook("arr_monthly"), mapping(
        "tables:\n  arr_monthly:\n    file: arr_monthly.xlsx\n    sheet: Nope\n")), 2,
        "arr_monthly.xlsx", None, ["cannot be read", "Nope"]),
    "mapping_columns_list": (mapping("tables:\n  arr_monthly:\n    columns: [a, b]\n"), 2,
                             "mapping.yml", None, ["must map canonical names"]),
    "mapping_column_is_list": (mapping("tables:\n  arr_monthly:\n    columns:\n"
                                       "      arr: [a, b]\n"), 2, "mapping.yml", None,
                               ["'tables.arr_monthly.columns.arr' is a list"]),
    "mapping_file_outside": (mapping("tables:\n  accounts:\n    file: ../accounts.csv\n"), 2,
                             "mapping.yml", None, ["in the data folder itself"]),
    "mapping_file_absolute": (mapping("tables:\n  accounts:\n    file: /etc/passwd.csv\n"),
                              2, "mapping.yml", None, ["in the data folder itself"]),
    "mapping_python_tag": (mapping("tables: !!python/object/apply:os.system [echo pwned]\n"),
                           2, "mapping.yml", None, ["not valid YAML"]),
    "mapping_control_character": (mapping('tables:\n  arr_monthly:\n    file: "a\\e[2J.csv"\n'),
                                  2, "mapping.yml", None, ["U+001B"]),
    "mapping_surrogate": (mapping('tables:\n  arr_monthly:\n    file: "a\\udc80.csv"\n'), 2,
                          "mapping.yml", None, ["U+DC80"]),
    "mapping_unknown_encoding": (mapping("encoding: ebcdic\n"), 2, "mapping.yml", None,
                                 ["'encoding' is 'ebcdic'"]),
    "mapping_mrr_as_text": (mapping("tables:\n  arr_monthly:\n    amounts_are_mrr: maybe\n"),
                            2, "mapping.yml", None, ["amounts_are_mrr"]),
    "mapping_is_a_folder": (lambda f: (f / "mapping.yml").mkdir(), 2, "mapping.yml", None,
                            ["a folder, not a file"]),
    "mapping_tabs_not_yaml": (mapping("tables:\n\tarr_monthly: x\n"), 2, "mapping.yml", None,
                              ["not valid YAML"]),
    "xlsx_cut_sheet": (workbook("arr_monthly", [("Data", sheet_xml(BASE["arr_monthly"])[
        :400])]), 2, "arr_monthly.xlsx", None, ["cannot be read"]),
    "xlsx_doctype": (workbook("arr_monthly", [("Data", b'<?xml version="1.0"?><!DOCTYPE w ['
                                               b'<!ENTITY a "12000">]>'
                                               + sheet_xml(BASE["arr_monthly"]))]),
                     2, "arr_monthly.xlsx", None, ["DOCTYPE"]),
    "xlsx_doctype_after_padding": (workbook("arr_monthly", [("Data", b'<?xml version="1.0"?>'
                                                             b"<!--" + b"x" * 70_000 + b"-->"
                                                             b'<!DOCTYPE w [<!ENTITY a "1">]>'
                                                             + sheet_xml(BASE["arr_monthly"]))]),
                                   2, "arr_monthly.xlsx", None, ["first 64 KiB"]),
    "xlsx_zip_bomb": (workbook("arr_monthly", [("Data", sheet_xml(BASE["arr_monthly"])
                                                .replace(b"</sheetData>", b"<!--" + b"0" * (
                                                    3 << 20) + b"--></sheetData>"))]),
                      2, "arr_monthly.xlsx", None, ["times its size"]),
    "xlsx_empty_sheet": (workbook("arr_monthly", [("Data", sheet_xml([]))]), 2,
                         "arr_monthly.xlsx", "account_id", ["required column is missing"]),
    "xlsx_formula_cells": (workbook("arr_monthly", [("Data", sheet_xml(
        [["account_id", "month", "arr"], ["=cmd|' /C calc'!A0", "2024-01", "=1+1"]]))]), 2,
        "arr_monthly.xlsx", "arr", ["'=1+1'"]),
    "ok_xlsx_two_sheets": (workbook("arr_monthly", [("Data", sheet_xml(BASE["arr_monthly"])),
                                                    ("Data 2", sheet_xml([["junk"]]))]),
                           0, None, None),
    "ok_parquet_unknown_dtype": (parquet_with_unknown_dtype, 0, None, None),
    "arr_huge_amounts": (text("arr_monthly", ARR_HEADER + "".join(
        f"{a},{m},1e308\n" for a in ("A1", "A2") for m in MONTHS)), 2, "arr_monthly.csv",
        "arr", ["at most 1e+15"]),
    "arr_amount_1e400": (edit("arr_monthly", 3, "arr", "1e400"), 2, "arr_monthly.csv", "arr"),
    "arr_amount_hex": (edit("arr_monthly", 3, "arr", "0x10"), 2, "arr_monthly.csv", "arr"),
    "arr_amount_underscore": (edit("arr_monthly", 3, "arr", "12_000"), 2, "arr_monthly.csv",
                              "arr"),
    "arr_amount_formula": (edit("arr_monthly", 3, "arr", "=1+1"), 2, "arr_monthly.csv", "arr",
                           ["'=1+1'"]),
    "ok_negative_zero": (edit("arr_monthly", 3, "arr", "-0"), 0, None, None),
    "ok_amount_exponent": (edit("arr_monthly", 3, "arr", "1.2e4"), 0, None, None),
    "accounts_zero_seats": (edit("accounts", 1, "licensed_seats", "0"), 2, "accounts.csv",
                            "licensed_seats", ["whole numbers from 1"]),
    "usage_zero_seats": (edit("usage_monthly", 1, "licensed_seats", "0"), 2,
                         "usage_monthly.csv", "licensed_seats", ["whole numbers from 1"]),
    "opps_zero_amount": (edit("opportunities", 1, "amount", "0"), 2, "opportunities.csv",
                         "amount", ["> 0"]),
    "opps_amount_above_ceiling": (edit("opportunities", 1, "amount", "2e15"), 2,
                                  "opportunities.csv", "amount"),
    "usage_users_above_a_trillion": (edit("usage_monthly", 1, "active_users", "1e13"), 2,
                                     "usage_monthly.csv", "active_users"),
    "arr_month_0000_00": (edit("arr_monthly", 2, "month", "0000-00"), 2, "arr_monthly.csv",
                          "month"),
    "arr_month_9999_12": (edit("arr_monthly", 2, "month", "9999-12"), 2, "arr_monthly.csv",
                          "month", ["between 1970 and 2100"]),
    "arr_month_excel_serial": (edit("arr_monthly", 2, "month", "45323"), 2, "arr_monthly.csv",
                               "month"),
    "arr_month_with_time": (edit("arr_monthly", 2, "month", "2024-02-01T00:00"), 2,
                            "arr_monthly.csv", "month"),
    "handoffs_date_0000": (edit("handoffs", 1, "handoff_date", "0000-00-00"), 2,
                           "handoffs.csv", "handoff_date"),
    "qbrs_date_9999": (edit("qbrs", 1, "date", "9999-12-31"), 2, "qbrs.csv", "date"),
    "nps_score_bool": (edit("nps_responses", 1, "score", "true"), 2, "nps_responses.csv",
                       "score"),
    "ok_two_boms": (raw_bytes("arr_monthly", b"\xef\xbb\xbf\xef\xbb\xbf"
                              + csv_text(BASE["arr_monthly"]).encode()), 0, None, None),
    "arr_bom_inside_header": (text("arr_monthly", "account_id,\ufeffmonth,arr\nA1,2024-01,1\n"),
                              2, "arr_monthly.csv", "month", ["\\ufeffmonth"]),
    "arr_nul_byte": (raw_bytes("arr_monthly", csv_text(BASE["arr_monthly"]).replace(
        "12000", "12\x0000", 1).encode()), 2, "arr_monthly.csv", None, ["binary data"]),
    "ok_crlf_mixed": (raw_bytes("arr_monthly", "".join(
        ",".join(r) + ("\r\n" if i % 2 else "\n")
        for i, r in enumerate(BASE["arr_monthly"])).encode()), 0, None, None),
    "arr_escape_in_header": (text("arr_monthly", "account_id,month,arr,\x1b]0;pwned\x07\x1b[2J,"
                                  "\x1b]0;pwned\x07\x1b[2J\nA1,2024-01,1,x,y\n"), 2,
                             "arr_monthly.csv", None, ["\\x1b]0;pwned\\x07"]),
    "arr_escape_in_cell": (edit("arr_monthly", 3, "arr", "1\x1b[31m"), 2, "arr_monthly.csv",
                           "arr", ["\\x1b[31m"]),
    "arr_rtl_override_id": (edit("arr_monthly", 3, "account_id", "A1\u202e9ZZ"), 2,
                            "arr_monthly.csv", "account_id", ["\\u202e"]),
    "arr_newline_in_id": (edit("arr_monthly", 3, "account_id", '"A\n1"'), 2,
                          "arr_monthly.csv", "account_id", ["\\n"]),
    "ok_formula_name": (edit("accounts", 1, "name", "\"=cmd|' /C calc'!A0\""), 0, None, None),
    "ok_rtl_name": (edit("accounts", 1, "name", "Acme \u202eevil"), 0, None, None),
    "arr_unclosed_quote": (text("arr_monthly", ARR_HEADER + 'A1,2024-01,"12000\nA1,2024-02,1\n'),
                           2, "arr_monthly.csv", None),
    "arr_tabs": (encoded("arr_monthly", "utf-8", "\t"), 2, "arr_monthly.csv", None, ["tabs"]),
    "arr_shift_jis": (lambda f: (f / "arr_monthly.csv").write_bytes(
        (ARR_HEADER + "A1,2024-01,12000\nＡ１,2024-02,1\n").encode("shift_jis")), 2,
        "arr_monthly.csv", None, ["not UTF-8"]),
    "arr_overlong_utf8": (raw_bytes("arr_monthly", ARR_HEADER.encode()
                                    + b"A1,2024-01,12000\n\xc0\xaf,2024-02,1\n"), 2,
                          "arr_monthly.csv", None, ["not UTF-8"]),
    "arr_duplicate_header_case": (text("arr_monthly", "account_id,month,arr,ARR \nA1,2024-01,"
                                       "1,2\n"), 2, "arr_monthly.csv", None, ["appear twice"]),
    "profile_alias_bomb": (profile(ALIAS_BOMB), 2, "profile.yml", None, ["anchor or alias"],
                           "recommend"),
    "profile_surrogate": (profile('company: "Acme \\udc80"\n'), 2, "profile.yml", None,
                          ["U+DC80"], "recommend"),
    "profile_escape_sequence": (profile('company: "Acme \\e]0;pwned\\a"\n'), 2, "profile.yml",
                                None, ["U+001B"], "recommend"),
    "profile_arr_1e308": (profile("arr: 1.0e+308\n"), 2, "profile.yml", None, ["'arr'"],
                          "recommend"),
    "profile_python_tag": (profile("company: !!python/object/apply:os.system [echo x]\n"), 2,
                           "profile.yml", None, ["not valid YAML"], "recommend"),
    "profile_a_list": (profile("- company\n- Acme\n"), 2, "profile.yml", None,
                       ["'key: value' lines"], "recommend"),
    # a month with no rows between the first and the last, and a month not yet come
    "arr_month_gap": (add_row("arr_monthly", ["A1", "2026-01", "9300"]), 2, "arr_monthly.csv",
                      "month", ["2025-03 to 2025-12", "row 29", "export the missing months"]),
    "arr_month_gap_early": (add_row("arr_monthly", ["A1", "2014-05", "9300"]), 2,
                            "arr_monthly.csv", "month",
                            ["2014-06 to 2023-12", "row 29", "Fix the month"]),
    "arr_month_future": (add_row("arr_monthly", ["A1", "2099-05", "9300"]), 2,
                         "arr_monthly.csv", "month", ["'2099-05'", "row 29", "not happened"]),
    # an unknown column close to an absent optional one is a misspelling of it
    "accounts_misspelt_optional": (rename_column("accounts", "licensed_seats", "licenced_seats"),
                                   2, "accounts.csv", "licenced_seats",
                                   ["did you mean licensed_seats?", "mapping.yml"]),
    "usage_misspelt_optional": (rename_column("usage_monthly", "licensed_seats", "Licensed_Seat"),
                                2, "usage_monthly.csv", "licensed_seat",
                                ["did you mean licensed_seats?"]),
    "ok_accounts_unlike_column": (rename_column("accounts", "licensed_seats", "region"), 0,
                                  None, None),
    "profile_currency_html": (profile('currency: "<b>XX</b>"\n'), 2, "profile.yml", None,
                              ["ISO 4217", "currency: EUR"], "recommend"),
    "profile_currency_lower": (profile("currency: usd\n"), 2, "profile.yml", None,
                               ["'usd'", "ISO 4217"], "recommend"),
    "template_cut_xlsx": (lambda f: (f / "Billing.xlsx").write_bytes(
        xlsx_bytes([("Data", sheet_xml(BASE["arr_monthly"]))])[:300]), 2, "Billing.xlsx", None,
        ["cannot be read"], "mapping-template"),
    "template_doctype_xlsx": (lambda f: (f / "Billing.xlsx").write_bytes(xlsx_bytes([(
        "Data", b'<!DOCTYPE w [<!ENTITY a "b">]>' + sheet_xml(BASE["arr_monthly"]))])), 2,
        "Billing.xlsx", None, ["DOCTYPE"], "mapping-template"),
}


def main() -> None:
    for old in HERE.iterdir():
        if old.is_dir() and (old / "expect.yml").exists():
            shutil.rmtree(old)
    for name, (change, code, file, column, *more) in CASES.items():
        says = more[0] if more else []
        run = more[1] if len(more) > 1 else "metrics"
        folder = HERE / name
        write_base(folder)
        change(folder)
        expect = {"exit": code, "file": file, "column": column, "says": says, "run": run}
        (folder / "expect.yml").write_text(yaml.safe_dump(expect, sort_keys=True))
    print(f"wrote {len(CASES)} cases to {HERE}")


if __name__ == "__main__":
    main()
