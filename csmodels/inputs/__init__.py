"""Reading a company's data folder: find, read, map, validate, in that order.

One job per module, each importing only the ones above it in this list:

- :mod:`~csmodels.inputs.limits`: the budgets of reading (file sizes, columns, cells,
  amounts, years), opening only regular files, and :class:`Unreadable`, how a reader
  refuses a file it cannot read as it is;
- :mod:`~csmodels.inputs.yamlfile`: a reader's small YAML files (``mapping.yml``,
  ``profile.yml``), aliases refused, every failure one clear message;
- :mod:`~csmodels.inputs.schema`: the canonical input tables, as data;
- :mod:`~csmodels.inputs.cells`: messy cells (dates, months, amounts) in canonical form;
- :mod:`~csmodels.inputs.mapping`: the ``mapping.yml`` of real exports, and applying it
  to a table (its column names, then its cells);
- :mod:`~csmodels.inputs.files`: finding each table's file, checked before it is read;
  the files a run reads and their fingerprint;
- :mod:`~csmodels.inputs.read`: reading one file (CSV, ``.xlsx``, Parquet) as text;
- :mod:`~csmodels.inputs.fastpath`: clean canonical CSV files read and checked in bulk;
- :mod:`~csmodels.inputs.months`: the rules on the months of ``arr_monthly`` (none after
  the run's month, none without rows between the first and the last), decided and
  worded once for the loader and the engine's checks, without pandas;
- :mod:`~csmodels.inputs.validate`: checking a table against its spec;
- :mod:`~csmodels.inputs.company`: :func:`load_company`, which runs them in that order
  and returns a :class:`Company` (:func:`load_company_if_any`: or ``None`` where a
  chapter is given no data);
- :mod:`~csmodels.inputs.write`: writing safely (:func:`neutralise_formulas`) and the
  draft ``mapping.yml`` (:func:`mapping_template`).

>>> from csmodels.inputs import load_company
>>> load_company("data/sample").arr_monthly.columns.tolist()
['account_id', 'month', 'arr']
"""

from importlib import import_module as _import_module

# Each name is imported on first use (PEP 562), so that reading the schema or the
# limits (the engine, the command line) does not import pandas with the loader.
_WHERE = {"Company": "company", "load_company": "company",
          "load_company_if_any": "company", "folder_fingerprint": "files",
          "input_files": "files", "Unreadable": "limits", "mapping_template": "write",
          "neutralise_formulas": "write", "safe_cell": "write"}

__all__ = [
    "Company",
    "Unreadable",
    "folder_fingerprint",
    "input_files",
    "load_company",
    "load_company_if_any",
    "mapping_template",
    "neutralise_formulas",
    "safe_cell",
]


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
