"""The code passes ruff's checks (pyproject.toml holds the rules)."""

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_check():
    ruff = shutil.which("ruff")
    assert ruff, "ruff is installed by requirements.txt"
    # the whole repository, as the README says (ruff skips what .gitignore ignores)
    result = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_notebook_is_committed_valid_with_cell_ids_and_no_outputs():
    import json

    files = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    assert files, "git lists no notebook"
    for name in files:
        cells = json.loads((ROOT / name).read_text(encoding="utf-8"))["cells"]
        assert all("id" in cell for cell in cells), f"{name}: a cell has no id (nbformat 4.5)"
        assert not any(cell.get("outputs") for cell in cells), f"{name} has outputs"
