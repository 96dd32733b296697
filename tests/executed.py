"""Read what an executed chapter glued, as its page shows it (a helper of the tests).

:func:`run_chapter` executes a chapter through papermill, as a reader's kernel would;
:func:`glued_in` reads any executed notebook, such as the one ``csmodels rerun``
writes. The in-process runner (:mod:`inprocess`) keeps the glued objects themselves.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"


def glued_in(executed: Path) -> dict[str, str]:
    """The glued values of an executed notebook, as ``{glue:text}`` reads them."""
    glued = {}
    for cell in json.loads(Path(executed).read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if meta:
                # under papermill, glue prefixes the mime type with its own
                data = output["data"]
                plain = data.get(meta.get("mime_prefix", "") + "text/plain",
                                 data.get("text/plain"))
                glued[meta["name"]] = ast.literal_eval(plain)
    return glued


def run_chapter(name: str, out: Path, **parameters) -> dict[str, str]:
    """Execute the chapter ``name`` into ``out`` with ``parameters``; its glued values."""
    import papermill as pm  # only the slow tests need it

    pm.execute_notebook(str(CHAPTERS / f"{name}.ipynb"), str(out), parameters=parameters,
                        cwd=str(CHAPTERS), progress_bar=False, kernel_name="python3")
    return glued_in(out)
