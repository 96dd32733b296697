"""Real exports: mapping.yml, delimiters, encodings, dates, months, amounts, MRR, Excel,
Parquet, the mapping template and formula-safe writing."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import csmodels as cs
from csmodels.cli import main
from csmodels.exceptions import DataError
from csmodels.inputs import mapping_template, neutralise_formulas, safe_cell
from csmodels.inputs.cells import normalise_amounts, normalise_dates
from csmodels.synth import CompanyShape, generate_company

MESSY_MAPPING = "tables:\n  arr_monthly:\n    file: {file}\n{extra}    columns:\n" \
    "      account_id: Account ID\n      month: Month\n      arr: {amount}\n"


def mapped(folder, body: bytes, *, file="export.csv", amount="MRR", extra="    amounts_are_mrr: "
           "true\n", top=""):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / file).write_bytes(body)
    (folder / "mapping.yml").write_text(top + MESSY_MAPPING.format(file=file, amount=amount,
                                                                   extra=extra), encoding="utf-8")
    return folder


def arr_of(folder) -> list[float]:
    return cs.load_company(folder).arr_monthly["arr"].tolist()


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])
def test_any_common_delimiter_and_encoding(tmp_path, delimiter, encoding):
    text = delimiter.join(["Account ID", "Month", "MRR"]) + "\n" + \
        delimiter.join(["Café Müller", "2024-01", "100"]) + "\n"
    mapped(tmp_path, text.encode(encoding))
    company = cs.load_company(tmp_path)
    assert company.arr_monthly["account_id"].tolist() == ["Café Müller"]
    assert company.arr_monthly["arr"].tolist() == [1200.0]  # ARR = 12 x MRR


def test_an_encoding_it_cannot_tell_names_the_file(tmp_path):
    mapped(tmp_path, b"Account ID,Month,MRR\n\x81\x8d,2024-01,5\n")
    with pytest.raises(DataError, match=r"export\.csv.*cannot tell this file's encoding"):
        cs.load_company(tmp_path)


def test_an_ambiguous_delimiter_is_refused_not_guessed(tmp_path):
    mapped(tmp_path, b"Account ID;x,Month;y,MRR\na;1,2024-01;2,5\n")
    with pytest.raises(DataError, match="cannot tell the delimiter"):
        cs.load_company(tmp_path)


@pytest.mark.parametrize("month", ["2024-01", "Jan 2024", "January 2024", "2024-01-01",
                                   "01/2024", "2024/01", "2024-01-01 00:00:00"])
def test_common_month_formats(tmp_path, month):
    mapped(tmp_path, f"Account ID,Month,MRR\na,{month},5\n".encode())
    assert str(cs.load_company(tmp_path).arr_monthly["month"][0]) == "2024-01"


@pytest.mark.parametrize("values, decimal, expected", [
    (['"$1,234.50"', "USD 7", "1234.5"], ".", [1234.5, 7, 1234.5]),
    (['"1.234,50 €"', '"EUR 7,25"', "12"], ",", [1234.5, 7.25, 12]),
])
def test_amounts_with_currency_and_separators(tmp_path, values, decimal, expected):
    rows = "".join(f"a{i},2024-01,{v}\n" for i, v in enumerate(values))
    mapped(tmp_path, ("Account ID,Month,ARR\n" + rows).encode(), amount="ARR", extra="",
           top=f'decimal: "{decimal}"\n' + ("delimiter: ','\n" if decimal == "," else ""))
    assert arr_of(tmp_path) == pytest.approx(expected, abs=1e-9)


def test_decimal_comma_is_not_misread_without_the_mapping_saying_so(tmp_path):
    mapped(tmp_path, b'Account ID;Month;ARR\na;2024-01;"1.234,50"\n', amount="ARR",
           extra="")
    with pytest.raises(DataError, match="column 'arr', row 2"):
        cs.load_company(tmp_path)


QBRS = "tables:\n  qbrs:\n    file: q.csv\n{order}    columns:\n      account_id: Acc\n" \
    "      date: When\n"


@pytest.mark.parametrize("dates, order, expected", [
    (["31/01/2024", "02/03/2024"], "", ["2024-01-31", "2024-03-02"]),
    (["01/31/2024", "02/03/2024"], "", ["2024-01-31", "2024-02-03"]),
    (["02/03/2024"], "    date_order: dmy\n", ["2024-03-02"]),
    (["02/03/2024"], "    date_order: mdy\n", ["2024-02-03"]),
    (["2024-01-31", "2024/02/03"], "", ["2024-01-31", "2024-02-03"]),
])
def test_day_month_order_is_decided_from_the_data_or_the_mapping(tmp_path, dates, order,
                                                                  expected):
    (tmp_path / "arr_monthly.csv").write_text("account_id,month,arr\na,2024-01,5\n")
    (tmp_path / "q.csv").write_text("Acc,When\n" + "".join(f"a,{d}\n" for d in dates))
    (tmp_path / "mapping.yml").write_text(QBRS.format(order=order))
    got = cs.load_company(tmp_path).qbrs["date"].dt.strftime("%Y-%m-%d").tolist()
    assert got == expected


def test_ambiguous_dates_are_never_guessed(tmp_path):
    (tmp_path / "arr_monthly.csv").write_text("account_id,month,arr\na,2024-01,5\n")
    (tmp_path / "q.csv").write_text("Acc,When\na,02/03/2024\na,04/05/2024\n")
    (tmp_path / "mapping.yml").write_text(QBRS.format(order=""))
    with pytest.raises(DataError, match="date_order: dmy"):
        cs.load_company(tmp_path)


def test_excel_and_parquet_exports(tmp_path):
    frame = pd.DataFrame({"Account ID": ["a", "b"], "Month": pd.to_datetime(["2024-01-01"] * 2),
                          "MRR": [10.0, 20.5]})
    frame.to_excel(tmp_path / "export.xlsx", index=False, sheet_name="Data")
    mapped(tmp_path / "x", b"", file="unused.csv")  # a folder to hold the mapping
    shutil.move(tmp_path / "export.xlsx", tmp_path / "x" / "export.xlsx")
    (tmp_path / "x" / "unused.csv").unlink()
    (tmp_path / "x" / "mapping.yml").write_text(MESSY_MAPPING.format(
        file="export.xlsx", amount="MRR", extra="    sheet: Data\n    amounts_are_mrr: true\n"))
    assert arr_of(tmp_path / "x") == [120.0, 246.0]
    frame.to_parquet(tmp_path / "p.parquet")
    mapped(tmp_path / "p", (tmp_path / "p.parquet").read_bytes(), file="export.parquet")
    assert arr_of(tmp_path / "p") == [120.0, 246.0]


@pytest.mark.parametrize("mapping, fragment", [
    ("decimal: ';'\n", "'decimal' is ';'"),
    ("tables:\n  arr_monthy:\n    file: x.csv\n", "Unknown table 'arr_monthy'"),
    ("tables:\n  arr_monthly:\n    file: ../x.csv\n", "in the data folder itself"),
    ("tables:\n  arr_monthly:\n    file: nothere.csv\n", "not in the data folder"),
    ("tables:\n  arr_monthly:\n    columns:\n      revenue: X\n", "does not have"),
    ("colums: {}\n", "Unknown key 'colums'"),
    ("[1, 2\n", "not valid YAML"),
])
def test_bad_mapping_files_say_what_to_fix(tmp_path, sample_dir, mapping, fragment):
    shutil.copy(sample_dir / "arr_monthly.csv", tmp_path / "arr_monthly.csv")
    (tmp_path / "mapping.yml").write_text(mapping)
    with pytest.raises(DataError, match=r"mapping\.yml") as err:
        cs.load_company(tmp_path)
    assert fragment in str(err.value)


def test_a_mapped_column_the_file_lacks(tmp_path):
    mapped(tmp_path, b"Account,Month,MRR\na,2024-01,5\n")
    with pytest.raises(DataError, match="'Account ID' this file does not have"):
        cs.load_company(tmp_path)


def test_the_messy_example_loads_as_the_company_it_was_made_from(root):
    """The shipped export holds the generator's company: ARR within rounding of MRR cents."""
    from importlib import util

    spec = util.spec_from_file_location("make", root / "data/messy_export/make_messy_export.py")
    make = util.module_from_spec(spec)
    spec.loader.exec_module(make)
    truth = generate_company(make.SHAPE, seed=make.SEED)
    company = cs.load_company(root / "data" / "messy_export")
    assert len(company.arr_monthly) == len(truth["arr_monthly"])
    assert company.arr_monthly["arr"].to_numpy() == pytest.approx(
        truth["arr_monthly"]["arr"].to_numpy(), abs=0.06)
    assert company.accounts["name"].str.contains("Björk").any()
    assert (company.qbrs["date"].to_numpy() == truth["qbrs"]["date"].to_numpy()).all()
    assert company.missing_tables == ("onboarding", "handoffs")


def test_the_template_reads_the_messy_export_back(tmp_path, root):
    folder = tmp_path / "data"
    shutil.copytree(root / "data" / "messy_export", folder)
    (folder / "mapping.yml").unlink()
    assert main(["mapping-template", "--data", str(folder), "--out", str(tmp_path / "m.yml")]) == 0
    text = (tmp_path / "m.yml").read_text()
    assert "file: MRR by month.csv" in text and "amounts_are_mrr: true" in text
    assert main(["mapping-template", "--data", str(folder), "--out", str(tmp_path / "m.yml")]) == 2
    # the shipped mapping sets what the template cannot know (the date order, the decimal
    # point of one file); with those filled in it reads the same company
    assert "arr_monthly:" in mapping_template(folder)


def test_metrics_cli_on_the_messy_export(root, capsys):
    assert main(["metrics", "--data", str(root / "data" / "messy_export"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert 0 < summary["nrr"] < 2 and summary["missing_tables"] == ["onboarding", "handoffs"]


def test_written_cells_cannot_run_as_formulas():
    frame = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "+1", "@SUM(A1)", "\tx", "\rx", "ok"],
                          "arr": [-5.0, 1, 2, 3, 4, 5]})
    safe = neutralise_formulas(frame)
    assert all(v.startswith("'") for v in safe["name"][:5]) and safe["name"][5] == "ok"
    assert safe["arr"].tolist() == frame["arr"].tolist()  # numbers stay numbers
    assert safe_cell(None) is None


def test_the_loader_does_not_change_the_canonical_fast_path(sample_dir):
    """No mapping file: the canonical sample still loads exactly as before."""
    company = cs.load_company(sample_dir)
    assert company.arr_monthly.dtypes.astype(str).tolist() == ["string", "period[M]", "float64"]


def test_generated_company_roundtrip_through_a_mapped_semicolon_export(tmp_path):
    tables = generate_company(CompanyShape(n_initial_accounts=20, new_accounts_per_month=1,
                                           months=13), seed=3)
    arr = tables["arr_monthly"]
    out = pd.DataFrame({"Account ID": arr["account_id"], "Month": arr["month"],
                        "MRR": (arr["arr"] / 12).map(lambda v: f"{v:,.4f}".replace(",", " ")
                                                     .replace(".", ",").replace(" ", "."))})
    mapped(tmp_path, out.to_csv(sep=";", index=False).encode("cp1252"),
           top='decimal: ","\n')
    assert arr_of(tmp_path) == pytest.approx(arr["arr"].tolist(), abs=1e-3)



@given(st.decimals(min_value=0, max_value=10**9, places=2), st.sampled_from([".", ","]),
       st.sampled_from(["", "$", "€ ", " EUR"]))
def test_amounts_in_either_convention_read_back_exactly(value, decimal, sign):
    english = f"{value:,.2f}"
    text = english if decimal == "." else english.translate(str.maketrans(",.", ".,"))
    text = sign + text if sign in ("$", "€ ") else text + sign
    got = normalise_amounts(pd.Series([text]), decimal)[0]
    assert float(got) == pytest.approx(float(value), abs=1e-9)


@given(st.dates(min_value=pd.Timestamp("1990-01-01").date(),
                max_value=pd.Timestamp("2090-12-31").date()), st.sampled_from(["dmy", "mdy"]))
def test_dates_in_a_stated_order_read_back_exactly(date, order):
    text = date.strftime("%d/%m/%Y" if order == "dmy" else "%m/%d/%Y")
    assert normalise_dates(pd.Series([text]), order, "f", "d")[0] == date.isoformat()
