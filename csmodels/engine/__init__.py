"""The metrics of ``csmodels metrics`` as Ibis expressions, run where the data live.

* :mod:`csmodels.engine.definitions`: each metric, written once in Ibis.
* :mod:`csmodels.engine.sources`: exports, a Parquet dataset folder or a DuckDB
  database file, checked, as typed views for the definitions.
* :mod:`csmodels.engine.run`: compiles the definitions to DuckDB's or Spark's SQL
  and runs them there; :func:`metrics_on` for a connection or Spark session.

>>> from csmodels.engine import open_data, summary
>>> engine, company = open_data("data/sample")
>>> summary(engine)["as_of"]
'2025-12'
"""

from .run import Engine, metrics_on, summary
from .sources import open_data

__all__ = ["Engine", "metrics_on", "open_data", "summary"]
