"""The tables shipped with the package in ``csmodels/data``."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import pandas as pd


@cache
def package_table(name: str, text: bool = False) -> pd.DataFrame:
    """``csmodels/data/<name>.csv``, read once; blank cells stay empty strings.

    With ``text``, every column is read as text. The frame is shared between
    callers: copy it before changing it.

    >>> package_table("maturity_funding_stages", text=True).columns[0]
    'funding_stage'
    """
    with files("csmodels").joinpath(f"data/{name}.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, keep_default_na=False, dtype=str if text else None)
