"""Where ``csmodels metrics`` reads its data: exports, a Parquet dataset folder or
a DuckDB database file, each checked before any figure is computed.

* A folder of exports (CSV, Parquet or Excel files, or a ``mapping.yml``) goes
  through :func:`csmodels.load_company` and its checks, then into DuckDB.
* A *Parquet dataset folder* holds one sub-folder per table, named as the table
  (``arr_monthly/``, ``accounts/``, ...), of ``.parquet`` files with the columns
  of ``data/README.md``. DuckDB reads them where they are, out of core.
* A *DuckDB database file* (``.duckdb``) holds tables named as the input tables.

For the last two, the loader's checks run as queries (required columns, types,
impossible values, duplicate keys, unknown accounts, dates out of order) and a
problem is reported as the loader reports it: file, column, rows, what to do.
Rows are counted as the loader counts them (the first data row is row 2), in
the order DuckDB reads the table. Nothing is written to the data.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ..exceptions import DataError, Problem
from ..inputs.limits import MAX_AMOUNT
from ..inputs.months import breaks_rules, month_number, month_problems, this_month
from ..inputs.schema import DATE_ORDER, TABLES, Column
from .inputs import INPUT_SCHEMAS
from .run import Engine

if TYPE_CHECKING:  # a folder of exports is loaded with pandas; the engine's sources are not
    import pyarrow as pa

    from ..inputs import Company

FIRST_YEAR, LAST_YEAR = 1970, 2100
_TRUE = ("true", "yes", "y", "1", "t")
_FALSE = ("false", "no", "n", "0", "f")
_TEXT_TYPES = ("varchar", "string", "text")
_INTEGER_TYPES = ("tinyint", "smallint", "integer", "bigint", "utinyint", "usmallint",
                  "uinteger", "ubigint")
_FLOAT_TYPES = ("float", "double")
_SQL_TYPES = {"string": "VARCHAR", "float64": "DOUBLE", "int64": "BIGINT", "boolean": "BOOLEAN",
              "date": "DATE"}
_SPARK_TYPES = {**_SQL_TYPES, "string": "STRING"}


def is_engine_source(path: str | Path) -> bool:
    """Whether ``path`` is a DuckDB database file or a Parquet dataset folder (one
    sub-folder per table), which only the engine reads; anything else is a folder of
    exports for :func:`csmodels.load_company`."""
    path = Path(path)
    return ((path.is_file() and path.suffix.lower() in (".duckdb", ".db"))
            or (path.is_dir() and (path / "arr_monthly").is_dir()))


def open_data(path: str | Path, as_of: str | None = None,
              lookback: int = 12) -> tuple[Engine, Company | None]:
    """An engine over the data at ``path``, and the loaded company for exports.

    For a Parquet dataset folder or a DuckDB file, the pass that checks
    ``arr_monthly`` also stores its account panel for the month ``as_of`` (``YYYY-MM``;
    default the last month) and ``lookback`` months, which :func:`summary` then reads
    instead of scanning the table again.

    Raises
    ------
    DataError
        As :func:`csmodels.load_company` does, for every kind of source.
    """
    path = Path(path)
    if is_engine_source(path):
        month = None if as_of is None else month_number(as_of)
        if path.is_file():
            return _from_duckdb_file(path, (month, lookback)), None
        return _from_parquet_folder(path, (month, lookback)), None
    from ..inputs import load_company

    company = load_company(path)
    return from_company(company), company


def from_company(company: Company) -> Engine:
    """An embedded DuckDB engine over a loaded company's tables (kept in memory)."""
    con = _connect()
    sources, columns = {}, {}
    for name in INPUT_SCHEMAS:
        frame = getattr(company, name)
        if frame is None:
            continue
        arrow = _to_arrow(frame)
        con.register(f"_company_{name}", arrow)
        sources[name] = f"_company_{name}"
        columns[name] = {f.name: str(f.type) for f in arrow.schema}
    present = [name for name in TABLES if getattr(company, name) is not None]
    return Engine(con, typed_views(sources, columns, spark=False), present)


def _to_arrow(frame) -> pa.Table:
    """A loaded table as Arrow, months (pandas periods) as the first day of the month."""
    import numpy as np
    import pyarrow as pa

    columns = {}
    for name in frame.columns:
        series = frame[name]
        if str(series.dtype) == "period[M]":
            days = np.asarray(series.array.asi8, dtype="datetime64[M]").astype("datetime64[D]")
            columns[name] = pa.array(days, type=pa.date32())
        elif str(series.dtype).startswith("datetime64"):
            columns[name] = pa.array(series.to_numpy(dtype="datetime64[us]"),
                                     mask=series.isna().to_numpy()).cast(pa.date32())
        else:
            columns[name] = pa.array(series, from_pandas=True)
    return pa.table(columns)


def _from_parquet_folder(folder: Path, panel: tuple[int | None, int]) -> Engine:
    con = _connect()
    sources, labels = {}, {}
    for name in TABLES:
        sub = folder / name
        if not sub.is_dir():
            continue
        files = sorted(sub.rglob("*.parquet"))
        if not files:
            raise DataError([Problem(str(sub), "The folder holds no .parquet file.",
                                     "Put the table's Parquet files in it, or remove it.")])
        listing = ", ".join(_literal(str(f)) for f in files)
        sources[name] = f"read_parquet([{listing}])"
        labels[name] = str(sub)
    return _checked(con, sources, labels, panel)


def _from_duckdb_file(path: Path, panel: tuple[int | None, int]) -> Engine:
    con = _connect()
    try:
        con.execute(f"ATTACH {_literal(str(path))} AS src (READ_ONLY)")
    except duckdb.Error as err:
        raise DataError([Problem(str(path), f"The file is not a DuckDB database ({err}).",
                                 "Give a database written by DuckDB, or a folder of exports.")
                         ]) from None
    found = {row[0].lower(): row[0] for row in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'src'"
    ).fetchall()}
    sources = {name: f'src."{found[name]}"' for name in TABLES if name in found}
    labels = {name: f"{path} (table {name})" for name in sources}
    if "arr_monthly" not in sources:
        raise DataError([Problem(str(path), "The database has no table arr_monthly.",
                                 "Add a table arr_monthly (account_id, month, arr).")])
    return _checked(con, sources, labels, panel)


def _connect():
    """An in-memory DuckDB connection that draws no progress bar on the terminal."""
    con = duckdb.connect()
    # Parquet footers are read once per run, not once per query
    con.execute("SET enable_progress_bar = false; SET parquet_metadata_cache = true")
    return con


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ------------------------------------------------------------------------ the checks
# Each table is read once for its checks: one aggregate query counts the rows that
# break each rule (per account where the account is the table's key or part of it, so
# that duplicate keys and blank ids are decided once per account; row by row where it
# is not: NPS answers, QBRs, opportunities); only a rule that fails is read again, to
# name its rows. Columns with few values (months, dates, flags, choices) are checked
# once per distinct value. The account ids of every table are then looked up among
# the accounts in one anti-join (:func:`_with_unknown_ids`).
_KNOWN = "_csm_known_accounts"
_PANEL = "_csm_panel"
_DISTINCT = "_csm_distinct"  # a table's distinct values of its columns with few values


def _checked(con, sources: dict[str, str], labels: dict[str, str],
             panel: tuple[int | None, int] = (None, 12)) -> Engine:
    """The engine over ``sources`` once every check passed; a DataError otherwise.
    ``panel`` (month or None for the last, lookback): the account panel the pass that
    checks ``arr_monthly`` stores as well, where it can."""
    if "arr_monthly" not in sources:
        raise DataError([Problem(next(iter(labels.values()), "the data"),
                                 "There is no arr_monthly table.",
                                 "Add arr_monthly (account_id, month, arr).")])
    described = {name: con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
                 for name, source in sources.items()}
    columns = {name: {row[0].lower(): row[1].lower() for row in rows}
               for name, rows in described.items()}
    problems: list[Problem] = []
    ids: dict[str, str] = {}  # table -> the SELECT of its account ids, to look up
    known, bounds = False, None
    exact: set[tuple[str, str]] = set()  # month columns without spaces to trim
    padded: set[tuple[str, str]] = set()  # and with
    described_names: dict[str, dict[str, str]] = {}
    stored = None  # (month, lookback, table) of the stored account panel
    now_rows = {}  # table -> (month, view) of its rows of that month, stored
    for name, source in sources.items():  # accounts first (the order of TABLES)
        names = {row[0].lower(): row[0] for row in described[name]}
        fold = (panel if name == "arr_monthly" else
                (stored[0], 0) if name == "usage_monthly" and stored else None)
        usable, selected, months = _check_table(con, TABLES[name], source, columns[name],
                                                names, labels[name], problems, fold)
        if fold and months.get("_panel"):
            if name == "arr_monthly":
                stored = months.pop("_panel")
            else:
                now_rows[name] = months.pop("_panel")[:2]
        if name == "arr_monthly" and "month" in months:
            bounds = months["month"][2:]
        exact |= {(name, column) for column, facts in months.items() if not facts[1]}
        padded |= {(name, column) for column, facts in months.items() if facts[1]}
        described_names[name] = names
        if name == "accounts" and usable:
            # usable: no blank and no duplicate id, so every row is one account
            con.execute(f"CREATE TEMPORARY TABLE {_KNOWN} AS SELECT "
                        f"CAST({_ident(names['account_id'])} AS VARCHAR) AS id FROM {source}")
            known = True
        if usable and selected and name != "accounts":
            ids[name] = selected
    for name in _with_unknown_ids(con, ids) if known else ():
        ref = _ident(described_names[name]["account_id"])
        problems.append(Problem(
            labels[name], "Some account ids are not in accounts.",
            "Add those accounts to accounts, or correct the ids.",
            column="account_id", rows=_rows(con, sources[name], (
                f"{ref} IS NOT NULL AND CAST({ref} AS VARCHAR) NOT IN "
                f"(SELECT id FROM {_KNOWN})"))))
    if problems:
        raise DataError(problems)
    maps = {name: _month_map(con, name, sources[name], described_names[name], columns[name])
            for name, _ in sorted(exact | padded) if name in INPUT_SCHEMAS}
    maps = {name: table for name, table in maps.items() if table}
    return Engine(con, typed_views({n: s for n, s in sources.items() if n in INPUT_SCHEMAS},
                                   columns, spark=False, exact=exact, month_maps=maps), sources,
                  bounds if bounds and None not in bounds else None, stored, now_rows)


def _check_table(con, table, source: str, columns: dict[str, str], names: dict[str, str],
                 label: str, problems: list[Problem],
                 panel: tuple[int | None, int] | None = None) -> tuple[bool, str, dict]:
    """Append the table's problems. Whether its columns allow the other checks,
    the SELECT of its account ids as text (``_csm_id``; "" without ``account_id``),
    which :func:`_with_unknown_ids` looks up among the accounts, and for each month column
    (bad values, values with spaces, first month, last month). Given ``panel``
    (month or None for the last, lookback), the checks of ``arr_monthly`` group it
    by account in the pass that builds its account panel, stored as a table
    (named, with its month and lookback, under ``"_panel"`` in the months returned);
    those of ``usage_monthly``, in the pass that stores its rows of that month (the
    month and the view holding them, under ``"_panel"``).
    """
    before = len(problems)
    for name in table.required_columns:
        if name not in columns:
            problems.append(Problem(label, "A required column is missing.",
                                    f"Add a column '{name}' ({table.column(name).meaning}).",
                                    column=name))
    if len(problems) > before:
        return False, "", {}
    by_account = "account_id" in columns
    tests: list[tuple[str, str, str, str]] = []  # (sql, column, message, hint)
    months: dict[str, tuple] = {}  # month column -> (bad, padded, first, last)
    present = [c for c in table.columns if c.name in columns]
    few = _distinct_facts(con, source, [(_ident(names[c.name]), c, columns[c.name])
                                        for c in present if c.kind in _FEW_VALUES])
    for column in present:
        ref = _ident(names[column.name])
        blank = _blank(ref, columns[column.name])
        bad, rule = _bad_value(ref, column, columns[column.name])
        blanks, bads = 1, 1  # unknown: checked on every row
        if column.kind == "month":  # read once per distinct value: few months, many rows
            *months[column.name], blanks = few[column.name]
            bads = months[column.name][0]
        elif column.kind in _FEW_VALUES:
            blanks, bads = few[column.name]
        if blanks and not column.blank_ok:
            tests.append((blank, column.name, "Some values are blank.",
                          f"Fill them in ({column.meaning}) or remove those rows."))
        if not bads:
            continue
        if bad:
            tests.append((f"(NOT {blank} AND ({bad}))", column.name,
                          f"Some values are not {rule}.", "Correct them or remove those rows."))
    if table.name == "arr_monthly" and "month" in months and not months["month"][0]:
        tests += _month_rules(con, source, _ident(names["month"]), columns["month"],
                              months["month"], few[("distinct", "month")])
    for tname, earlier, later in DATE_ORDER:
        if tname == table.name and earlier in columns and later in columns:
            tests.append((f"({_as_date(names, earlier, columns)} > "
                          f"{_as_date(names, later, columns)})", later,
                          f"Some dates are before their {earlier}.",
                          "Correct the dates or remove those rows."))
    id_test = next((i for i, t in enumerate(tests) if t[1] == "account_id"), None)
    row_counts = [f"count(*) FILTER (WHERE {sql}) AS _c{i}" for i, (sql, *_) in enumerate(tests)
                  if not (by_account and i == id_test)]
    key_dup = "0"
    keyed = by_account and table.key[:1] == ("account_id",)  # the query counts the duplicates
    if by_account:
        idref, scanned = _ident(names["account_id"]), source
        inner = ["count(*) AS _n", *row_counts]
        if table.key == ("account_id", "month") and not months["month"][0]:
            bad, padded, lo, hi = months["month"]
            month_map = _month_map(con, table.name, source, names, columns,
                                   few.get(("values", "month")))
            if panel and lo is not None:  # the checks in the pass of the account panel
                store = _store_panel if table.name == "arr_monthly" else _store_month_rows
                stored = store(con, source, columns, names, tests, id_test, month_map, padded,
                               lo, hi, panel)
                months["_panel"] = stored
                inner, scanned, idref = None, stored[-1], "account_id"
            elif month_map and lo is not None:  # each distinct month parsed once, then joined
                idref = f"_csm_s.{idref}"
                scanned = (f"{source} AS _csm_s LEFT JOIN {month_map} AS _csm_m ON "
                           f"_csm_s.{_ident(names['month'])} = _csm_m._csm_text")
                inner += _month_bits("_csm_m._csm_index", lo, hi)
            elif lo is not None:
                inner += _month_bits(_month_index(_ident(names["month"]), columns["month"],
                                                  padded), lo, hi)
            if lo is not None:  # else every month is blank: reported as blank
                # the stored pass counted each account's distinct months as _d
                distinct = "_d" if inner is None else _months_set(lo, hi)
                key_dup = f"count(*) FILTER (WHERE _n <> {distinct})"
        elif table.key == ("account_id",):
            key_dup = "count(*) FILTER (WHERE _n > 1)"
        id_type = "varchar" if inner is None else columns["account_id"]  # the panel's: text
        outer = [f"sum(_n) FILTER (WHERE {_blank('_id', id_type)})" if i == id_test
                 else "0" if inner is None else f"sum(_c{i})" for i in range(len(tests))]
        if inner is None:  # the stored pass counted the rows breaking any rule, as one
            outer.append(f"sum(_c{len(tests)})")
        grouped = (f"(SELECT {idref} AS _id, {', '.join(inner)} FROM {scanned} GROUP BY {idref})"
                   if inner is not None else f"(SELECT {idref} AS _id, * FROM {scanned})")
        sql = f"SELECT {', '.join([*outer, key_dup])} FROM {grouped}"
        if table.key != ("account_id", "month") and not any(c.startswith("_csm_")
                                                              for c in columns):
            # no key on the account (NPS answers, QBRs, opportunities) or one row per
            # account (accounts, onboarding, handoffs): nothing to decide per account, so
            # no GROUP BY; a key of one column on two rows makes one distinct value fewer
            # than values (about a quarter less CPU than grouping a million accounts)
            counts = [f"count(*) FILTER (WHERE {test})" for test, *_ in tests]
            ref = _ident(names[table.key[0]]) if len(table.key) == 1 else None
            keyed = ref is not None
            dup = f"count({ref}) - count(DISTINCT {ref})" if keyed else "0"
            sql = f"SELECT {', '.join([*counts, dup])} FROM {source}"
    else:
        sql = f"SELECT {', '.join([*row_counts, '0'])} FROM {source}" if tests else ""
    *counts, dups = con.execute(sql).fetchone() if sql else (0,)
    if len(counts) > len(tests):  # some row breaks a rule: which
        counts, broken = counts[:len(tests)], counts[-1]
        if broken:
            counts = [count if i == id_test else by_rule for i, (count, by_rule) in
                      enumerate(zip(counts, _counts_by_rule(con, source, tests, id_test),
                                    strict=True))]
    for (sql, column, message, hint), count in zip(tests, counts, strict=True):
        if count:
            problems.append(Problem(label, message, hint, column=column,
                                    rows=_rows(con, source, sql)))
    if table.key and len(problems) == before:
        key = ", ".join(_month_index(_ident(names[k]), columns[k])  # ' 2024-01' = '2024-01'
                        if table.column(k).kind == "month" else _ident(names[k])
                        for k in table.key)
        if not keyed:
            dups = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {source} GROUP BY {key} "
                               "HAVING count(*) > 1)").fetchone()[0]
        if dups:
            joined = " + ".join(table.key)
            problems.append(Problem(
                label, f"The same {joined} appears on more than one row.",
                f"Keep one row per {joined} (add the amounts up if they are parts of one).",
                column=table.key[-1],
                rows=_rows(con, source, f"count(*) OVER (PARTITION BY {key}) > 1",
                           window=True)))
    selected = ""  # the ids to look up: the stored table's (one per account) or each row's
    if by_account:
        selected = (f"SELECT account_id AS _csm_id FROM {scanned}" if inner is None else
                    f"SELECT CAST({_ident(names['account_id'])} AS VARCHAR) AS _csm_id "
                    f"FROM {source}")
    return len(problems) == before, selected, months


def _with_unknown_ids(con, ids: dict[str, str]) -> list[str]:
    """The tables of ``ids`` (table -> the SELECT of its account ids as text,
    ``_csm_id``) holding an id that is not in accounts. One anti-join for every
    table, so that the accounts' hash table is built once, not once per table (about
    0.1 s of CPU each at a million accounts)."""
    if not ids:
        return []
    union = " UNION ALL ".join(f"SELECT {i} AS _csm_t, _csm_id FROM ({sql})"
                               for i, sql in enumerate(ids.values()))
    found = {t for (t,) in con.execute(
        f"SELECT DISTINCT _csm_t FROM ({union}) WHERE _csm_id IS NOT NULL AND "
        f"_csm_id NOT IN (SELECT id FROM {_KNOWN})").fetchall()}
    return [name for i, name in enumerate(ids) if i in found]


_FEW_VALUES = ("month", "date", "bool", "choice")
_FEW_MONTHS = 5000  # distinct values of a month column passed back to build its table


def _flagged_rows(name: str, source: str, columns: dict[str, str], tests: list[tuple],
                  id_test: int | None, month_map: str, padded: bool,
                  flag: str = "BIGINT") -> tuple[str, tuple]:
    """The SELECT of a monthly table's typed rows (cast leniently: a value that breaks
    a rule reads as null) with one column ``_t{k}`` (0/1, or ``flag`` BOOLEAN: true or
    false), ``k = len(tests)``: whether
    the row breaks any rule of ``tests`` (the account id's blanks aside: they are
    decided per account), and ``(k,)``. One flag, not one per rule: the pass sums
    one column per account instead of one per rule (about 0.2 s of CPU less on 22.5
    million rows); where some row breaks a rule, each rule is counted again
    (:func:`_counts_by_rule`) to say which."""
    rules = [tests[i][0] for i in range(len(tests)) if i != id_test]
    any_rule = " OR ".join(f"({sql})" for sql in rules) or "false"
    flags = [f"CAST(coalesce({any_rule}, false) AS {flag}) AS _t{len(tests)}"]
    rows = typed_views({name: source}, {name: columns}, spark=False,
                       exact=set() if padded else {(name, "month")},
                       month_maps={name: month_map} if month_map else None,
                       lenient=True, extra=flags)[name]
    return rows, (len(tests),)


def _counts_by_rule(con, source: str, tests: list[tuple], id_test: int | None) -> list[int]:
    """Each rule's rows in ``source`` (0 for the account id's blanks: decided per
    account), where the pass that stored a table found some row breaking one."""
    picks = [f"count(*) FILTER (WHERE {sql})" if i != id_test else "0"
             for i, (sql, *_) in enumerate(tests)]
    return list(con.execute(f"SELECT {', '.join(picks)} FROM {source}").fetchone())


_NOW = "_csm_usage_now"


def _store_month_rows(con, source: str, columns: dict[str, str], names: dict[str, str],
                      tests: list[tuple], id_test: int | None, month_map: str, padded: bool,
                      lo: int, hi: int, fold: tuple[int, int]) -> tuple[int, str, str]:
    """Check ``usage_monthly`` in the pass that keeps its rows of month ``fold[0]``: a
    table with, per account, the aggregates its checks need (as :func:`_store_panel`)
    and its row of that month, and a view of those rows with the table's typed columns,
    which the figures read instead of the whole table (an account-month has one row:
    the checks refuse duplicates, and the figures are computed only if they pass).
    (month, view, table)."""
    month = fold[0]
    rows, rules = _flagged_rows("usage_monthly", source, columns, tests, id_test, month_map,
                                padded, flag="BOOLEAN")
    schema = INPUT_SCHEMAS["usage_monthly"]
    values = [c for c in schema if c not in ("account_id", "month")]
    held = [c for c in values if c in columns]  # the others read as nulls, not aggregated
    # the month's row is the bit of the month in the account's month bits (cheaper
    # than counting them again); a month outside the table's has no row
    word, bit = divmod(month - lo, MONTH_WORD)
    now = f"(_w{word} >> {bit}) & 1" if lo <= month <= hi else "0"
    con.execute(
        f"CREATE OR REPLACE TEMPORARY TABLE {_NOW}_checks AS SELECT account_id, _n, "
        + "".join(f"_c{i}, " for i in rules)
        + f"{_months_set(lo, hi)} AS _d, {now} AS _now"
        + "".join(f', "{c}"' for c in held)
        + " FROM (SELECT account_id, count(*) AS _n, "
        + "".join(f"count(*) FILTER (WHERE _t{i}) AS _c{i}, " for i in rules)
        + ", ".join(_month_bits("month", lo, hi))
        + "".join(f', max("{c}") FILTER (WHERE month = {month}) AS "{c}"' for c in held)
        + f" FROM ({rows}) GROUP BY account_id)")
    con.execute(f"CREATE OR REPLACE TEMPORARY VIEW {_NOW} AS SELECT account_id, "
                f"CAST({month} AS BIGINT) AS month, "
                + ", ".join(f'"{c}"' if c in held else f'CAST(NULL AS {_SQL_TYPES[schema[c]]}) '
                            f'AS "{c}"' for c in values)
                + f" FROM {_NOW}_checks WHERE _now > 0")
    return month, _NOW, f"{_NOW}_checks"


def _store_panel(con, source: str, columns: dict[str, str], names: dict[str, str],
                 tests: list[tuple], id_test: int | None, month_map: str, padded: bool,
                 lo: int, hi: int, panel: tuple[int | None, int]) -> tuple[int, int, str]:
    """Store ``arr_monthly``'s account panel (:func:`csmodels.engine.run.checked_panel_sql`)
    as a table, with each account's rows, rows breaking any rule of ``tests`` (the
    account id's blanks aside: they are decided per account) and distinct months, so
    that the checks and every ARR figure read the table once. Values are cast leniently
    (a value that breaks a rule reads as null): the figures are computed only if
    every check passes. (month, lookback, table name)."""
    from .run import checked_panel_sql

    month, lookback = panel
    month = hi if month is None else month
    rows, rules = _flagged_rows("arr_monthly", source, columns, tests, id_test, month_map,
                                padded)
    query = checked_panel_sql("_csm_arr_rows", month, lookback, rules, lo, hi)
    con.execute(f"CREATE OR REPLACE TEMPORARY TABLE {_PANEL} AS "
                f"WITH _csm_arr_rows AS ({rows}) {query}")
    return month, lookback, _PANEL


def _blank(ref: str, sql_type: str) -> str:
    """SQL true for a blank value: null, or text that ``trim`` leaves empty. ``trim``
    removes the space and Unicode's other spaces (none of them ASCII), so a blank text
    starts with a space or a character beyond ASCII: only those texts are trimmed (a
    trim of every value cost 0.12 s of CPU per 2 million ids)."""
    if sql_type not in _TEXT_TYPES:
        return f"({ref} IS NULL)"
    return (f"({ref} IS NULL OR CASE WHEN {ref} < '!' OR {ref} >= chr(128) "
            f"THEN trim({ref}) = '' ELSE false END)")


def _distinct_facts(con, source: str, specs: list[tuple[str, Column, str]]) -> dict[str, tuple]:
    """For each (reference, column, SQL type) of a column with few values, its
    checks decided on its distinct values, all in one scan of the table: (blank
    values, values breaking the rule), and for a month (values breaking the rule,
    values with spaces to trim, first and last valid month, blank values).

    The scan stores each column's distinct values in a one-row temporary table; each
    column's checks then read its values there, in a query of its own. (One query
    holding every column's checks as subqueries of the scan took DuckDB about 0.1 s to
    plan for the six such columns of opportunities, whatever the size of the table.)"""
    if not specs:
        return {}
    lists = [f"list(DISTINCT {ref}) AS _l{i}, count(*) FILTER (WHERE {ref} IS NULL) AS _z{i}"
             for i, (ref, _, _) in enumerate(specs)]
    con.execute(f"CREATE OR REPLACE TEMPORARY TABLE {_DISTINCT} AS SELECT {', '.join(lists)} "
                f"FROM {source}")
    facts = {}
    for i, (ref, column, sql_type) in enumerate(specs):
        blank = _blank(ref, sql_type)
        bad = _bad_value(ref, column, sql_type)[0] or "false"
        aggregates = [f"count(*) FILTER (WHERE NOT {blank} AND ({bad}))",
                      f"count(*) FILTER (WHERE {blank})"]
        if column.kind == "month":
            index = _month_index(ref, sql_type, cast="TRY_CAST")
            good = f"NOT {blank} AND NOT ({bad})"
            padded = (f"count(*) FILTER (WHERE {ref} <> trim({ref}))"
                      if sql_type in _TEXT_TYPES else "count(*) * 0")
            aggregates += [padded, f"min({index}) FILTER (WHERE {good})",
                           f"max({index}) FILTER (WHERE {good})",
                           f"count(DISTINCT {index}) FILTER (WHERE {good} AND "
                           f"{index} <= {this_month()})"]
        listed = column.kind == "month" and sql_type in _TEXT_TYPES
        # a text month's values, for its table of months, where they are few
        values = f", CASE WHEN len(_l{i}) <= {_FEW_MONTHS} THEN _l{i} END" if listed else ""
        nulls, broken, blanks, *month = con.execute(
            f"SELECT _z{i}, _a.*{values} FROM {_DISTINCT}, (SELECT {', '.join(aggregates)} "
            f"FROM (SELECT unnest(_l{i}) AS {ref} FROM {_DISTINCT})) AS _a").fetchone()
        if listed:
            facts[("values", column.name)], month = month[-1], month[:-1]
        blanks = (nulls or 0) + (blanks or 0)
        facts[column.name] = ((broken, bool(month[0]), month[1], month[2], blanks)
                              if column.kind == "month" else (blanks, broken))
        if column.kind == "month":  # how many months up to this one have rows
            facts[("distinct", column.name)] = month[3]
    con.execute(f"DROP TABLE {_DISTINCT}")  # values of any number: not kept for the run
    return facts


def _month_rules(con, source: str, ref: str, sql_type: str, facts: tuple,
                 distinct: int | None) -> list[tuple[str, str, str, str]]:
    """The loader's rules on the months of ``arr_monthly`` (:mod:`csmodels.inputs.months`)
    as (SQL, column, message, hint) tests of the table's pass. Decided first on the
    months the checks already counted; the rows of each month are counted only where a
    rule is broken, to say which and where."""
    _, padded, first, last = facts
    now = this_month()
    if first is None or (distinct is not None
                         and not breaks_rules(first, last, distinct, now)):
        return []
    index = _month_index(ref, sql_type, padded, cast="TRY_CAST")  # null where blank
    rows = dict(con.execute(f"SELECT {index} AS m, count(*) FROM {source} GROUP BY m "
                            "HAVING m IS NOT NULL").fetchall())
    tests = []
    for problem in month_problems(rows, now):
        bounds = [f"{index} >= {problem.low}"] * (problem.low is not None) + [
            f"{index} <= {problem.high}"] * (problem.high is not None)
        tests.append((f"({' AND '.join(bounds)})", "month", problem.message, problem.hint))
    return tests


def _month_index(ref: str, sql_type: str, padded: bool = True, cast: str = "CAST") -> str:
    """SQL for a checked month as ``year * 12 + month - 1`` (``TRY_CAST``: null for
    text that is not a month)."""
    if sql_type in _TEXT_TYPES:
        text = f"trim({ref})" if padded else ref
        return (f"{cast}(substr({text}, 1, 4) AS INTEGER) * 12 "
                f"+ {cast}(substr({text}, 6, 2) AS INTEGER) - 1")
    return f"year(CAST({ref} AS DATE)) * 12 + month(CAST({ref} AS DATE)) - 1"


def _month_map(con, name: str, source: str, names: dict[str, str],
                columns: dict[str, str], values: list[str] | None = None) -> str:
    """A temporary table of a checked text ``month`` column's distinct values and
    their index (``_csm_text``, ``_csm_index``), so that each month is parsed once
    and joined to the rows; its name, or "" where the column is not text or a
    column of the data could clash with the join's names. ``values``: the column's
    distinct values where the checks already read them (else the table is read)."""
    if columns.get("month") not in _TEXT_TYPES or any(c.startswith("_csm_") for c in columns):
        return ""
    ref, table = _ident(names["month"]), f"_csm_months_{name}"
    index = _month_index("_csm_text", columns["month"], cast="TRY_CAST")
    if values is None:
        con.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {table} AS SELECT _csm_text, "
                    f"{index} AS _csm_index FROM (SELECT DISTINCT {ref} AS _csm_text "
                    f"FROM {source} WHERE {ref} IS NOT NULL)")
    else:  # values of the data, passed as a parameter: never read as SQL
        con.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {table} AS SELECT _csm_text, "
                    f"{index} AS _csm_index FROM (SELECT DISTINCT unnest(?::VARCHAR[]) AS "
                    "_csm_text) WHERE _csm_text IS NOT NULL",
                    [[v for v in values if v is not None]])
    return table


MONTH_WORD = 64  # months per word of an account's month bits (a UBIGINT)


def month_words(lo: int, hi: int) -> range:
    """The first month of each word of the month bits over months ``lo`` to ``hi``,
    counted from ``lo``."""
    return range(0, hi - lo + 1, MONTH_WORD)


def _month_bits(index: str, lo: int, hi: int) -> list[str]:
    """The aggregates ``_w0``, ``_w1``, ... of the months an account has rows in
    (``index``, valid months from ``lo`` to ``hi``: checked before) as bits: one
    UBIGINT per 64 months, with the bit of each month set (``bit_or`` of ``1 <<
    offset``). :func:`_months_set` counts them: the account's distinct months. DuckDB's
    ``bitstring_agg`` holds the same bits, but OR-ing integers takes about a quarter
    less CPU in a pass that groups 22.5 million rows by account (1.0 s against 1.4 s).
    ``csmodels.engine.run`` writes the same words in Ibis for the account panel."""
    offset = f"({index} - {lo})"
    bit = f"CAST(1 AS UBIGINT) << CAST({offset} % {MONTH_WORD} AS UBIGINT)"
    many = hi - lo >= MONTH_WORD
    return [f"bit_or({bit})" + (f" FILTER (WHERE {offset} >= {start} AND {offset} < "
                                f"{start + MONTH_WORD})" if many else "") + f" AS _w{k}"
            for k, start in enumerate(month_words(lo, hi))]


def _months_set(lo: int, hi: int) -> str:
    """SQL of the number of bits set in the words of :func:`_month_bits` (a word
    without a month is null: 0; ``bit_count`` is a TINYINT: cast before adding)."""
    return " + ".join(f"coalesce(CAST(bit_count(_w{k}) AS BIGINT), 0)"
                      for k, _ in enumerate(month_words(lo, hi)))


def _as_date(names, column: str, columns) -> str:
    ref = _ident(names[column])
    if columns[column] in _TEXT_TYPES:
        return f"try_strptime(nullif(trim({ref}), ''), '%Y-%m-%d')"
    return f"CAST({ref} AS DATE)"


def _bad_value(ref: str, column: Column, sql_type: str) -> tuple[str, str]:
    """SQL true for a present value the column cannot take, and the rule it breaks."""
    text = sql_type in _TEXT_TYPES
    years = f"BETWEEN {FIRST_YEAR} AND {LAST_YEAR}"
    if column.kind == "month":
        rule = f"months written YYYY-MM between {FIRST_YEAR} and {LAST_YEAR}"
        if text:
            return (f"NOT regexp_full_match(trim({ref}), '\\d{{4}}-(0[1-9]|1[0-2])') OR "
                    f"NOT TRY_CAST(substr(trim({ref}), 1, 4) AS INTEGER) {years}"), rule
        return f"NOT year(CAST({ref} AS DATE)) {years}", rule
    if column.kind == "date":
        rule = f"dates written YYYY-MM-DD between {FIRST_YEAR} and {LAST_YEAR}"
        value = f"try_strptime(trim({ref}), '%Y-%m-%d')" if text else f"CAST({ref} AS DATE)"
        return f"{value} IS NULL OR NOT year({value}) {years}", rule
    number = f"try_cast({'trim(' + ref + ')' if text else ref} AS DOUBLE)"
    whole = sql_type in _INTEGER_TYPES
    if whole or sql_type in _FLOAT_TYPES:  # typed already: no cast on every row
        number = ref
    if column.kind in ("count", "score") and whole:  # whole and finite by type
        top = 10 if column.kind == "score" else 1e12
        rule = "whole numbers from 0 to 10" if top == 10 else "whole numbers from 0 to a trillion"
        return f"{ref} < 0 OR {ref} > {top:.0f}", rule
    if column.kind == "amount":  # the loader's rule (csmodels.inputs.validate)
        low = "> 0" if column.positive else ">= 0"
        return (f"{number} IS NULL OR NOT isfinite({number}) OR "
                f"{number} {'<=' if column.positive else '<'} 0 OR {number} > {MAX_AMOUNT:.0f}",
                f"finite numbers {low}, at most {MAX_AMOUNT:.0e} (no currency signs or "
                "separators)")
    if column.kind in ("count", "score"):
        top = 10 if column.kind == "score" else 1e12
        rule = "whole numbers from 0 to 10" if top == 10 else "whole numbers from 0 to a trillion"
        return (f"{number} IS NULL OR NOT isfinite({number}) OR {number} < 0 OR {number} > {top}"
                f" OR {number} <> floor({number})"), rule
    if column.kind == "bool":
        allowed = ", ".join(_literal(v) for v in _TRUE + _FALSE)
        return f"lower(trim(CAST({ref} AS VARCHAR))) NOT IN ({allowed})", "true or false"
    if column.kind == "choice":
        allowed = ", ".join(_literal(v) for v in column.choices)
        return (f"lower(trim(CAST({ref} AS VARCHAR))) NOT IN ({allowed})",
                "one of " + ", ".join(column.choices))
    return "", ""


def _rows(con, source: str, condition: str, window: bool = False, limit: int = 100_000):
    """The rows (header = row 1) where ``condition`` holds, the first ``limit`` of them."""
    numbered = f"SELECT *, row_number() OVER () + 1 AS _csm_row FROM {source}"
    if window:
        numbered = f"SELECT *, {condition} AS _csm_hit FROM ({numbered})"
        condition = "_csm_hit"
    return tuple(r[0] for r in con.execute(
        f"SELECT _csm_row FROM ({numbered}) WHERE {condition} ORDER BY _csm_row LIMIT {limit}"
    ).fetchall())


# ---------------------------------------------------------------- the typed views
def typed_views(sources: dict[str, str], columns: dict[str, dict[str, str]],
                spark: bool, exact: set[tuple[str, str]] = frozenset(),
                month_maps: dict[str, str] | None = None, lenient: bool = False,
                extra: list[str] | None = None) -> dict[str, str]:
    """The SELECT that reads each input table typed as the definitions expect.

    Months and dates may be text (``YYYY-MM``, ``YYYY-MM-DD``) or dates; months
    become the index ``year * 12 + month - 1`` the definitions count in; a missing
    optional column reads as nulls. Raises a DataError naming a missing required
    column (the full checks run before, in :func:`open_data`). ``exact`` names the
    (table, month column) pairs the checks found without spaces, read untrimmed;
    ``month_maps`` gives, for a table, a small table of its distinct months
    (``_csm_text``, ``_csm_index``) joined instead of parsing every row's month.
    ``lenient`` (DuckDB): a value that cannot be cast reads as null instead of
    failing the query; ``extra``: more SQL columns each view selects.
    """
    month_maps = month_maps or {}
    types = _SPARK_TYPES if spark else _SQL_TYPES
    cast = "TRY_CAST" if lenient and not spark else "CAST"
    q = (lambda n: f"`{n}`") if spark else _ident
    views, problems = {}, []
    for name, source in sources.items():
        if name not in INPUT_SCHEMAS:
            continue
        table, present = TABLES[name], columns[name]
        mapped = name in month_maps and present.get("month") in _TEXT_TYPES
        parts = []
        for column, kind in INPUT_SCHEMAS[name].items():
            if column not in present:
                if table.column(column).required:
                    problems.append(Problem(f"{source} ({name})", "A required column is missing.",
                                            f"Add a column '{column}'.", column=column))
                parts.append(f"CAST(NULL AS {types[kind]}) AS {q(column)}")
                continue
            ref, text = q(column), present[column] in _TEXT_TYPES
            ref = f"_csm_s.{ref}" if mapped else ref
            if table.column(column).kind == "month":  # as year * 12 + month - 1
                if mapped and column == "month":
                    value = "_csm_m._csm_index"
                elif text:  # checked YYYY-MM
                    value = ref if (name, column) in exact else f"nullif(trim({ref}), '')"
                    value = (f"{cast}(substr({value}, 1, 4) AS BIGINT) * 12 "
                             f"+ {cast}(substr({value}, 6, 2) AS BIGINT) - 1")
                else:
                    value = ref if spark else f"{cast}({ref} AS DATE)"
                    value = f"CAST(year({value}) * 12 + month({value}) - 1 AS BIGINT)"
            elif kind == "date" and text:
                fmt = "yyyy-MM-dd" if spark else "%Y-%m-%d"
                value = f"nullif(trim({ref}), '')"
                value = (f"to_date({value}, '{fmt}')" if spark
                         else f"{cast}({'try_' * lenient}strptime({value}, '{fmt}') AS DATE)")
            elif kind == "boolean" and text:
                value = f"lower(trim({ref})) IN ({', '.join(_literal(v) for v in _TRUE)})"
                value = f"CASE WHEN nullif(trim({ref}), '') IS NULL THEN NULL ELSE {value} END"
            elif kind in ("float64", "int64") and text:
                value = f"{cast}({cast}(nullif(trim({ref}), '') AS DOUBLE) AS {types[kind]})"
            elif not spark and present[column] == types[kind].lower():
                value = ref  # of the type already: no cast on every row
            else:
                value = f"{cast}({ref} AS {types[kind]})"
            parts.append(f"{value} AS {q(column)}")
        joined = (f"{source} AS _csm_s {'LEFT ' * lenient}JOIN {month_maps[name]} AS _csm_m "
                  f"ON _csm_s.{q('month')} = _csm_m._csm_text" if mapped else source)
        views[name] = f"SELECT {', '.join([*parts, *(extra or ())])} FROM {joined}"
    if problems:
        raise DataError(problems)
    return views
