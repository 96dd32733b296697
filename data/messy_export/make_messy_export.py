"""Regenerate the messy-export example company in this folder.

Run from anywhere::

    python data/messy_export/make_messy_export.py

It writes a second fictional company, Fjällbacka Software, the way a CRM and a
billing system really export it, plus the ``mapping.yml`` that tells csmodels how
to read it: semicolons and Windows-1252 names, ``Account ID``/``Month``/``MRR``
headers, months like ``Jan 2024``, amounts like ``1.234,50 €`` (decimal comma,
monthly), day-first dates, an Excel workbook, a Parquet file, a UTF-16 tab
file with month-first dates and a pipe-separated file with ``$1,234.50``
amounts. It has no onboarding or handoffs table, so the chapters that need them
say so. Same seed, same files.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))  # the checkout's csmodels, even if an older one is installed

import pandas as pd  # noqa: E402

from csmodels.inputs import neutralise_formulas  # noqa: E402
from csmodels.synth import (  # noqa: E402
    CompanyShape,
    _profile_yaml,
    company_profile,
    generate_company,
)

SEED = 1905
SHAPE = CompanyShape(company="Fjällbacka Software", currency="EUR", funding_stage="series-a",
                     touch="low", buyer="technical", product_led=True, start_month="2023-01",
                     months=30, n_initial_accounts=160, new_accounts_per_month=9,
                     tables=("accounts", "arr_monthly", "nps_responses", "usage_monthly",
                             "qbrs", "opportunities"))
NORDIC = ("Björk", "Ålund", "Nørre", "Öberg", "Sjöström", "Lindqvist & Søn")
MAPPING = """\
# How csmodels reads this folder (see the book's "Run it on your company" page).
# Defaults for every file; a table below may override any of them.
encoding: auto        # auto (UTF-8, UTF-16 or Windows-1252), utf-8, utf-16, cp1252, latin-1
delimiter: auto       # auto, ",", ";", tab, "|"
decimal: ","          # the decimal separator of amounts: "." or ","
date_order: dmy       # for dates like 03/04/2024: dmy, mdy, or auto (decided from the data)

tables:
  accounts:
    file: Account list.csv
    columns:          # canonical name: the column in your file
      account_id: Account ID
      name: Account Name
      segment: Segment
      csm: Customer Success Manager
      contract_start: Contract Start
      licensed_seats: Seats
  arr_monthly:
    file: MRR by month.csv
    amounts_are_mrr: true   # the file holds MRR; csmodels uses ARR = 12 x MRR
    columns:
      account_id: Account ID
      month: Month
      arr: MRR
  nps_responses:
    file: NPS survey.xlsx
    sheet: Responses
    columns:
      date: Response Date
      score: How likely to recommend
      account_id: Account ID
      respondent_id: Respondent
  usage_monthly:
    file: usage.parquet
    columns:
      account_id: Account ID
      month: Month Start
      active_users: Active Users
      licensed_seats: Licensed Seats
  qbrs:
    file: QBR log.tsv
    date_order: mdy   # this export writes 01/31/2024
    columns:
      account_id: Account ID
      date: Meeting Date
  opportunities:
    file: Opportunities.csv
    decimal: "."      # this one writes $1,234.50
    columns:
      opportunity_id: Opportunity ID
      account_id: Account ID
      type: Type
      amount: Amount
      created_date: Created
      close_date: Close Date
      status: Stage
      owner_team: Owner Team
      cs_sourced: CS Sourced
      cs_influenced: CS Influenced
"""


def euro(value: float) -> str:
    """1234.5 -> '1.234,50 €' (German style)."""
    text = f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{text} €"


def dmy(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%d/%m/%Y").fillna("")


def write_csv(frame: pd.DataFrame, name: str, **kw) -> None:
    neutralise_formulas(frame).to_csv(HERE / name, index=False, lineterminator="\r\n", **kw)


def fixed_xlsx(path: Path) -> None:
    """Make an .xlsx byte-reproducible: fixed zip entry times and document dates."""
    with zipfile.ZipFile(path) as book:
        entries = [(info.filename, book.read(info)) for info in book.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2025-06-30T00:00:00Z",
                              data)
            book.writestr(zipfile.ZipInfo(name, date_time=(2025, 6, 30, 0, 0, 0)), data,
                          compress_type=zipfile.ZIP_DEFLATED)


def main() -> None:
    tables = generate_company(SHAPE, seed=SEED)
    accounts = tables["accounts"].copy()
    accounts["name"] = [f"{n} {NORDIC[i % len(NORDIC)]}" if i % 4 == 0 else n
                        for i, n in enumerate(accounts["name"])]
    write_csv(pd.DataFrame({
        "Account ID": accounts["account_id"], "Account Name": accounts["name"],
        "Segment": accounts["segment"], "Customer Success Manager": accounts["csm"],
        "Contract Start": dmy(accounts["contract_start"]), "Seats": accounts["licensed_seats"],
    }), "Account list.csv", sep=";", encoding="cp1252")
    arr = tables["arr_monthly"]
    months = pd.to_datetime(arr["month"], format="%Y-%m").dt.strftime("%b %Y")
    write_csv(pd.DataFrame({"Account ID": arr["account_id"], "Month": months,
                            "MRR": (arr["arr"] / 12).map(euro)}),
              "MRR by month.csv", sep=";", encoding="cp1252")
    nps = tables["nps_responses"]
    with pd.ExcelWriter(HERE / "NPS survey.xlsx", engine="openpyxl") as book:
        neutralise_formulas(pd.DataFrame({
            "Response Date": nps["date"], "How likely to recommend": nps["score"],
            "Account ID": nps["account_id"], "Respondent": nps["respondent_id"],
        })).to_excel(book, sheet_name="Responses", index=False)
    fixed_xlsx(HERE / "NPS survey.xlsx")
    usage = tables["usage_monthly"]
    pd.DataFrame({"Account ID": usage["account_id"],
                  "Month Start": pd.to_datetime(usage["month"], format="%Y-%m").dt.date,
                  "Active Users": usage["active_users"],
                  "Licensed Seats": usage["licensed_seats"]}).to_parquet(
        HERE / "usage.parquet", index=False)
    qbrs = tables["qbrs"]
    write_csv(pd.DataFrame({"Account ID": qbrs["account_id"],
                            "Meeting Date": qbrs["date"].dt.strftime("%m/%d/%Y")}),
              "QBR log.tsv", sep="\t", encoding="utf-16")
    opp = tables["opportunities"]
    write_csv(pd.DataFrame({
        "Opportunity ID": opp["opportunity_id"], "Account ID": opp["account_id"],
        "Type": opp["type"].str.title(), "Amount": opp["amount"].map("${:,.2f}".format),
        "Created": opp["created_date"].dt.strftime("%Y-%m-%d"),
        "Close Date": opp["close_date"].dt.strftime("%Y-%m-%d"), "Stage": opp["status"].str.title(),
        "Owner Team": opp["owner_team"], "CS Sourced": opp["cs_sourced"].map({True: "Yes",
                                                                              False: "No"}),
        "CS Influenced": opp["cs_influenced"].map({True: "Yes", False: "No"}),
    }), "Opportunities.csv", sep="|", encoding="utf-8-sig")
    (HERE / "mapping.yml").write_text(MAPPING, encoding="utf-8", newline="\n")
    header = ("Company profile of Fjällbacka Software (fictional). "
              "Generated by make_messy_export.py.")
    (HERE / "profile.yml").write_text(_profile_yaml(company_profile(tables, SHAPE), header),
                                      encoding="utf-8", newline="\n")
    print(f"Messy export of {SHAPE.company} written to {HERE}")


if __name__ == "__main__":
    main()
