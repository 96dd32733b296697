"""What `csmodels recommend` prints reads as words: no internal codes, no file names."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from csmodels.maturity import company_types
from csmodels.profile import STAGES

ROOT = Path(__file__).resolve().parents[1]
PROFILES = [ROOT / "data" / "sample" / "profile.yml",
            *sorted((ROOT / "data" / "cases").glob("*/profile.yml"))]
CODE_COLUMNS = ["cs_leader", "reports_to", "renewal_owner", "expansion_owner", "compensation"]


def codes() -> set[str]:
    """The codes of the maturity tables and the funding stages that are not also words."""
    table = company_types().reset_index()
    found = {*table["segment"], *STAGES, *(v for c in CODE_COLUMNS for v in table[c])}
    return {code for code in found if "-" in code or code in ("ceo", "cro", "coo", "cco")}


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.parent.name)
def test_recommend_prints_words_not_codes(profile):
    done = subprocess.run([sys.executable, "-m", "csmodels", "recommend", "--profile",
                           str(profile)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert ".txt" not in text and not re.search(r"\b\d{3}_[0-9a-f]{16}\b", text)
    shown = {code for code in codes() - {"product-led"}
             if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text)}
    assert shown == set(), text
    # one block per segment when the profile lists segments (the sample's does)
    kinds = re.findall(r"^\s*Company type: (.+?)\.\n", text, re.M)
    assert kinds and set(kinds) <= set(company_types()["company_type"])
    assert re.search(r"^\s*Sources \(.*\n(\s+Source \d{3}, .+\n)+", text, re.M)
