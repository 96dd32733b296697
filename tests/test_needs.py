"""What each section needs (csmodels.needs), the page pruning, and the models that now
adapt to the data instead of stopping a book (issue 15)."""

from __future__ import annotations

import nbformat
import pandas as pd
import pytest

import csmodels as cs
from csmodels import needs
from csmodels.book import company_name
from csmodels.health import renewal_test
from csmodels.profile import Profile
from tests.conftest import arr_frame


def panel_of(spans: dict[str, tuple[str, int]], end: str | None = None) -> cs.ArrPanel:
    """Accounts paying 100 from a start month for n months."""
    rows = [(acc, str(m), 100.0) for acc, (start, n) in spans.items()
            for m in pd.period_range(start, periods=n, freq="M")]
    return cs.ArrPanel.from_frame(arr_frame(rows))


def test_retention_needs_a_year_before_the_as_of_month():
    short = panel_of({"a": ("2024-01", 12)})
    assert needs.retention(short, short.months[-1]) == (
        "Retention needs 12 months of history before the as-of month; these data hold 12 "
        "months (2024-01 to 2024-12), so it is skipped. Data going back to 2023-12 would "
        "enable it.")
    enough = panel_of({"a": ("2024-01", 13)})
    assert needs.retention(enough, enough.months[-1]) == "ok"


def test_retention_without_a_paying_base():
    p = panel_of({"a": ("2023-01", 1), "b": ("2023-03", 13)})
    month = p.months[-1]  # 2024-03, base 2023-03: b pays then, fine
    assert needs.retention(p, month) == "ok"
    assert needs.retention(p, month - 1).startswith("Retention is skipped: no account paid in "
                                                    "2023-02")


def test_cohorts_health_and_bookings():
    p = panel_of({"old": ("2023-01", 24), "new": ("2023-03", 22), "gone": ("2023-02", 14)})
    month = p.months[-1]
    assert needs.cohorts(p, month) == "ok"
    assert needs.cohorts(p, month, age=22) == "ok"  # "gone" started in the second month
    assert needs.cohorts(p, month, age=23) == (
        "The cohort table is skipped: it follows accounts that started after the first data "
        "month for 23 months, which takes 25 months of arr_monthly up to the as-of month; "
        "these data hold 24 months. A longer history would enable it.")
    # the health test now lives at renewals (tests/test_health.py); here, its sentences:
    # "new" renews in 2024-03, "left" churns at its first anniversary (2024-02), "gone"
    # renews in 2024-02 and leaves mid-term; "old" has no known start: no renewal
    q = panel_of({"old": ("2023-01", 24), "new": ("2023-03", 22), "gone": ("2023-02", 14),
                  "left": ("2023-02", 12)})
    company = cs.Company(folder=None, arr_monthly=pd.DataFrame({
        "account_id": q.accounts.repeat(len(q.months)),
        "month": list(q.months) * len(q.accounts),
        "arr": q.values.ravel()}).query("arr > 0"))
    test = renewal_test(company, None, "2024-01", "2024-02", lead_months=1)
    assert (test.renewals, test.churned) == (2, 1)
    assert needs.health(test, min_renewals=2) == "ok"
    assert "number 2, fewer than the 3" in needs.health(test, min_renewals=3)
    later = renewal_test(company, None, "2024-03", q.months[-1], lead_months=1)
    assert (later.renewals, later.churned) == (1, 0)
    assert "none churned, so there is nothing to tell apart" in needs.health(later, 1)
    assert needs.bookings(1.0) == "ok" and "booked no new ARR" in needs.bookings(0.0)
    assert needs.revenue_base(panel_of({"a": ("2024-01", 3)}), pd.Period("2024-03", "M"),
                              nrr=1.1, grr=0.9) == "ok"
    assert needs.revenue_base(panel_of({"a": ("2024-01", 3)}), pd.Period("2024-03", "M")
                              ).endswith("as would the chapter's nrr and grr parameters.")


def test_optional_tables(sample_dir, tmp_path):
    company = cs.load_company(sample_dir)
    assert needs.rows(company, "handoffs", "The handoff analysis") == "ok"
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "arr_monthly.csv").write_text("account_id,month,arr\na,2024-01,10\n")
    lone = cs.load_company(bare)
    assert needs.rows(lone, "handoffs", "The handoff analysis") == (
        "The handoff analysis is skipped: the data folder has no handoffs table. Add "
        "handoffs.csv (columns account_id, closed_won_date, handoff_date) to enable it.")
    assert needs.nps(lone, pd.Period("2024-01", "M"), 12).startswith(
        "The Net Promoter Score is skipped: the data folder has no nps_responses table.")


def _nb(markdown: str, glued: list[str]):
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("")
    code.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": "'x'"},
                                           metadata={"scrapbook": {"name": k}})
                    for k in glued]
    nb.cells = [nbformat.v4.new_markdown_cell(markdown), code]
    return nb


EXERCISES = """## Exercises

```{exercise}
:label: ex1

Rerun with {glue:text}`back` months.
```

```{solution} ex1
:class: dropdown

NRR was {glue:text}`then`.
```

```{exercise}
:label: ex2

Think about it.
```

```{solution} ex2
:class: dropdown

No figure here.
```"""


def test_pruning_drops_paragraphs_and_exercises_with_unglued_figures():
    nb = _nb("## Title\n\nGeneral prose.\n\nNRR is {glue:text}`nrr`.\n\nGRR is "
             "{glue:text}`grr`.", ["grr"])
    assert needs.prune_notebook(nb).cells[0].source == (
        "## Title\n\nGeneral prose.\n\nGRR is {glue:text}`grr`.")
    ex = needs.prune_notebook(_nb(EXERCISES, ["back"])).cells[0].source
    assert ":label: ex1" not in ex and "{solution} ex1" not in ex and ":label: ex2" in ex
    gone = needs.prune_notebook(_nb(EXERCISES.split("```{exercise}\n:label: ex2")[0], ["back"]))
    assert len(gone.cells) == 1  # no exercise left: the heading and the cell go too
    apart = _nb("Text.\n\n## Exercises", ["back"])  # the heading in a cell of its own
    apart.cells.append(nbformat.v4.new_markdown_cell(EXERCISES.split("## Exercises\n\n")[1]))
    shown = [c.source for c in needs.prune_notebook(apart).cells if c.cell_type == "markdown"]
    assert shown[0] == "Text.\n\n## Exercises"  # ex2 is left, so the heading stays
    apart.cells[2].source = apart.cells[2].source.split("```{exercise}\n:label: ex2")[0]
    assert [c.source for c in needs.prune_notebook(apart).cells
            if c.cell_type == "markdown"] == ["Text."]
    whole = _nb(EXERCISES, ["back", "then"])
    assert needs.prune_notebook(whole).cells[0].source == whole.cells[0].source


def test_skipped_sentence_is_escaped_html():
    assert needs.skipped("<script>").data == '<p class="csmodels-skipped">&lt;script&gt;</p>'


def test_metrics_summary_on_a_short_history(tmp_path):
    folder = tmp_path / "short"
    folder.mkdir()
    (folder / "arr_monthly.csv").write_text(
        "account_id,month,arr\na,2024-01,10\na,2024-02,12\nb,2024-02,5\n")
    summary = cs.metrics_summary(cs.load_company(folder))
    assert summary.nrr is None and summary.grr is None and summary.arr == 17
    with pytest.raises(cs.ParameterError, match="needs 12 months of history"):
        cs.metrics_summary(cs.load_company(folder), "2024-02")  # a chosen month is refused


def test_survivor_cohorts_with_no_cohort():
    p = panel_of({"a": ("2024-01", 30)})  # pays from the first month: in no cohort
    cohorts = cs.survivor_cohorts(p)
    assert len(cohorts.windows) == 0 and cohorts.left_out == 1 and not cohorts.can_fit
    assert cohorts.why_not.startswith("The model needs a cohort observed for at least two")
    assert needs.survivor_cohorts(cohorts).startswith("The retention model is skipped")


def test_whose_data(tmp_path):
    assert company_name(Profile(company="Acme"), tmp_path) == "Acme"
    assert company_name(Profile(), tmp_path / "client-x") == "client-x"


def test_a_rerun_introduction_names_the_company_as_text(tmp_path, root):
    import shutil

    from csmodels.rerun import _name_the_company

    shutil.copy(root / "intro.md", tmp_path / "intro.md")
    data = tmp_path / "data\n\n{{ 7*7 }}"
    data.mkdir()
    # (profile.yml refuses line breaks in a field; folder names may hold them)
    (data / "profile.yml").write_text('company: "<b>Evil</b> # {glue:text}`x` {{ 7*7 }}"\n')
    _name_the_company(tmp_path, data, data / "profile.yml")
    text = (tmp_path / "intro.md").read_text()
    assert "Northwind" not in text and "whose-data" in text  # the note's class
    assert "<strong>&lt;b&gt;Evil&lt;/b&gt; # {glue:text}`x` {{ 7*7 }}</strong>" in text
    note = next(line for line in text.splitlines() if "csmodels-whose-data" in line)
    assert note.endswith("</p>") and "data\\n\\n{{ 7*7 }}</code>" in note  # one line
