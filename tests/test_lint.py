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
