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
:func:`csmodels.metrics_summary`, whose functions (:mod:`csmodels.metrics`) run the
same definitions one at a time on an embedded DuckDB over the loaded tables, so the
chapters' tables and charts and the command line share one definition of each metric
(``tests/test_definitions.py`` and ``tests/test_engine.py`` tie both to a brute-force
computation).

>>> from csmodels.engine import open_data, summary
>>> engine, company = open_data("data/sample")
>>> summary(engine).as_of
'2025-12'
"""

from .run import Engine, metrics_on, summary
from .sources import is_engine_source, open_data

__all__ = ["Engine", "is_engine_source", "metrics_on", "open_data", "summary"]
