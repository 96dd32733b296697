"""Where the book's sources are (``_toc.yml``, ``chapters/``): the clone around the
package, or the copy an installed wheel carries. Kept apart from :mod:`csmodels.rerun`
so that reading a chapter's ``parameters`` cell (``csmodels metrics -p``) imports
neither pandas nor the notebook tools."""

from __future__ import annotations

from pathlib import Path

from .exceptions import RunError


def book_root(source: str | Path | None = None) -> Path:
    """The folder holding the book's sources (``_toc.yml``, ``chapters/``): ``source``
    if given, else the clone around this package, else the copy an installed wheel
    carries in ``csmodels/_book`` (put there by the build hook in ``setup.py``).

    >>> (book_root() / "_toc.yml").is_file()
    True
    """
    if source:
        root = Path(source)
    else:
        here = Path(__file__).resolve().parent
        clone, installed = here.parent, here / "_book"
        root = installed if not _has_book(clone) and _has_book(installed) else clone
    if not _has_book(root):
        raise RunError(f"The book's sources are not in {root} (no _toc.yml and chapters/). "
                       "Install csmodels from a wheel or a clone of the book's repository, "
                       "or give --book.")
    return root


def _has_book(root: Path) -> bool:
    return (root / "_toc.yml").is_file() and (root / "chapters").is_dir()
