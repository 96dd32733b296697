"""Build hook: the wheel carries the book's sources, so ``csmodels rerun`` and
``csmodels book`` work from an installed package, without a clone.

The book (``_config.yml``, ``_toc.yml``, ``chapters/``, the pages, ``data/`` with the
sample the chapters default to, ...) stays at the top of the repository; at build time
:class:`BuildWithBook` copies it into ``csmodels/_book/`` of the wheel, where
:func:`csmodels.rerun.book_root` finds it when there is no clone around the package.
Everything else is configured in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent

# The book's sources, relative to the repository: what a book build reads.
BOOK_FILES = ("_config.yml", "_toc.yml", "intro.md", "glossary.md", "bibliography.md",
              "references.bib", "rerun.md")
BOOK_FOLDERS = ("chapters", "appendix", "cases", "teaching", "data", "benchmarks")
SKIP = ("_build", ".jupyter_cache", "__pycache__", ".ipynb_checkpoints", ".*", "*.pyc")


def copy_book(root: Path, target: Path) -> list[Path]:
    """Copy the book's sources from ``root`` into ``target``; the files copied."""
    missing = [name for name in (*BOOK_FILES, *BOOK_FOLDERS) if not (root / name).exists()]
    if missing:
        raise SystemExit(f"csmodels build: the book's sources are incomplete in {root}: "
                         f"{', '.join(missing)} missing.")
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in BOOK_FILES:
        shutil.copy2(root / name, target / name)
    for name in BOOK_FOLDERS:
        shutil.copytree(root / name, target / name, ignore=shutil.ignore_patterns(*SKIP))
    return [p for p in target.rglob("*") if p.is_file()]


class BuildWithBook(build_py):
    """``build_py`` that also puts the book's sources in ``csmodels/_book``."""

    def run(self) -> None:
        super().run()
        if not self.dry_run:
            copy_book(ROOT, Path(self.build_lib) / "csmodels" / "_book")


setup(cmdclass={"build_py": BuildWithBook})
