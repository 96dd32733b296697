"""The metrics of ``csmodels metrics`` as Ibis expressions, run where the data live.

* :mod:`csmodels.engine.definitions`: each metric, written once in Ibis, over the
  input tables of :mod:`csmodels.engine.inputs`.
* :mod:`csmodels.engine.sources`: exports, a Parquet dataset folder or a DuckDB
  database file, checked, as typed views for the definitions.
* :mod:`csmodels.engine.run`: compiles the definitions to DuckDB's or Spark's SQL
  (cached, so a later run need not import Ibis) and runs them there;
  :func:`metrics_on` for a connection or Spark session.

``csmodels metrics`` uses the engine for a Parquet dataset folder or a DuckDB file
(:func:`is_engine_source`); a folder of exports goes through the in-memory loader and
:func:`csmodels.metrics_summary`, which is faster on one machine and gives the same
figures (``tests/test_engine.py`` ties the two together to the cent).

>>> from csmodels.engine import open_data, summary
>>> engine, company = open_data("data/sample")
>>> summary(engine).as_of
'2025-12'
"""

from .run import Engine, metrics_on, summary
from .sources import is_engine_source, open_data

__all__ = ["Engine", "is_engine_source", "metrics_on", "open_data", "summary"]
