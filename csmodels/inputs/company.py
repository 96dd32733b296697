"""A company's data folder, read in one direction: find, read, map, validate.

:func:`load_company` reads every table it finds, checks each against its spec and
either returns a :class:`Company` of clean, typed tables or raises one
:class:`~csmodels.exceptions.DataError` listing every problem (file, column, rows
and what to do). It only ever reads: the folder is never written to.

For each table it finds the file (:mod:`~csmodels.inputs.files`), reads it as text
(:mod:`~csmodels.inputs.read`), applies the folder's ``mapping.yml`` if there is one
(:mod:`~csmodels.inputs.mapping`: the reader's file and column names, any common
delimiter and encoding, dates, months and amounts in common formats, MRR instead of
ARR) and validates it (:mod:`~csmodels.inputs.validate`). Without a mapping, files must
be in the canonical format, and clean CSV files take the fast path
(:mod:`~csmodels.inputs.fastpath`), which gives the same tables or hands the file back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from ..exceptions import DataError, Problem
from .fastpath import read_clean_table
from .files import check_utf8_name, table_files
from .mapping import apply_mapping, load_mapping
from .months import this_month
from .read import read_raw
from .schema import TABLES
from .validate import check_across_tables, check_months, check_panel_size, check_table


@dataclass(frozen=True)
class Company:
    """A company's validated input tables.

    Every table is a :class:`pandas.DataFrame` with the canonical columns of
    :data:`csmodels.inputs.schema.TABLES` (optional columns the file lacked are present
    and empty; their names are in ``absent_columns``), or ``None`` when the folder
    had no such file. Months are ``period[M]``, dates ``datetime64``, amounts floats.
    """

    folder: Path
    arr_monthly: pd.DataFrame
    accounts: pd.DataFrame | None = None
    nps_responses: pd.DataFrame | None = None
    usage_monthly: pd.DataFrame | None = None
    onboarding: pd.DataFrame | None = None
    qbrs: pd.DataFrame | None = None
    opportunities: pd.DataFrame | None = None
    handoffs: pd.DataFrame | None = None
    absent_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def has(self, table: str, column: str | None = None) -> bool:
        """Whether the folder had ``table`` (and, if given, a ``column`` in it)."""
        if getattr(self, table) is None:
            return False
        return column is None or column not in self.absent_columns.get(table, ())

    @property
    def missing_tables(self) -> tuple[str, ...]:
        """The optional tables the folder did not have."""
        return tuple(name for name in TABLES if getattr(self, name) is None)


def load_company(folder: str | Path, today: date | None = None) -> Company:
    """Read and validate every input table in ``folder``.

    Parameters
    ----------
    folder : str or Path
        A folder holding ``arr_monthly.csv`` and any of the optional tables, each
        as ``.csv`` (UTF-8), ``.parquet`` or ``.xlsx``; or real exports described by a
        ``mapping.yml`` in the folder (:mod:`csmodels.inputs.mapping`).
    today : datetime.date, optional
        The run's date (default: today, UTC); ARR of a later month is refused.

    Returns
    -------
    Company

    Raises
    ------
    DataError
        With one :class:`~csmodels.exceptions.Problem` per thing to fix.

    Examples
    --------
    >>> from csmodels import load_company
    >>> company = load_company("data/sample")
    >>> company.arr_monthly.columns.tolist()
    ['account_id', 'month', 'arr']
    """
    folder = Path(folder)
    check_utf8_name(folder, "data folder")
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is a file, not a folder"
        raise DataError([Problem(str(folder), f"The data folder {what}.",
                                 "Give the folder that holds arr_monthly.csv.")])
    mapping = load_mapping(folder)
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    absent: dict[str, tuple[str, ...]] = {}
    paths: dict[str, Path] = {}  # each table's file, as the folder (or its mapping) names it
    for table, path, options in table_files(folder, mapping, problems):
        paths[table.name] = path
        clean = read_clean_table(path, table) if path.suffix == ".csv" and not mapping else None
        if clean is not None:  # the fast path; anything unusual takes the general one below
            tables[table.name], present = clean
            absent[table.name] = tuple(c.name for c in table.columns if c.name not in present)
            continue
        raw = read_raw(path, problems, options)
        if raw is None:
            continue
        if options is not None:
            raw = apply_mapping(raw, table, options, path, problems)
            if raw is None:
                continue
        parsed = check_table(raw, table, path, problems)
        if parsed is not None:
            tables[table.name] = parsed
            absent[table.name] = tuple(c.name for c in table.columns if c.name not in raw.columns)
    check_across_tables(tables, paths, problems)
    if "arr_monthly" in tables:
        check_panel_size(tables["arr_monthly"], paths["arr_monthly"], problems)
        check_months(tables["arr_monthly"], paths["arr_monthly"], problems, this_month(today))
    if problems:
        raise DataError(problems)
    return Company(folder=folder, absent_columns=absent, **tables)


def load_company_if_any(folder: str | Path | None, *, required: bool = False) -> Company | None:
    """The company in ``folder``, or ``None`` where there are no data to read.

    No data: no folder given, a folder that does not exist, or one that holds nothing
    but a ``profile.yml`` (a company described by its profile alone). Any other folder
    is read by :func:`load_company`, whose :class:`~csmodels.exceptions.DataError` it
    raises: a folder of broken data is never taken for one without data. With
    ``required`` (the command line's ``--data``), "no data" is an error too.

    >>> load_company_if_any(None) is None
    True
    >>> load_company_if_any("data/sample").arr_monthly.columns.tolist()
    ['account_id', 'month', 'arr']
    """
    if folder is None:
        if required:
            raise DataError([Problem("--data", "No data folder was given.",
                                     "Give the folder that holds arr_monthly.csv.")])
        return None
    path = Path(folder)
    if not required and (not path.exists() or (path.is_dir() and all(
            f.name == "profile.yml" or f.name.startswith(".") for f in path.iterdir()))):
        return None
    return load_company(path)
