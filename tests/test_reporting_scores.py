"""The reporting chapter's criteria model as issue 17 asks: every score rests on the
words it cites (or says it is the book's reading), scores depend on the stage, carry
a range the robustness check samples, the CEO and the CCO are one executive line, and
the ranking is set beside the maturity recommendation; the chapter's Summary."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import numpy as np
import pandas as pd
import pytest

import csmodels as cs
from csmodels import maturity, reporting
from csmodels.claims import register
from csmodels.exceptions import ParameterError
from csmodels.profile import Profile

CRITERIA = list(reporting.criteria().index)
EQUAL = dict.fromkeys(CRITERIA, 1.0)


def only(criterion: str) -> dict[str, float]:
    return {c: float(c == criterion) for c in CRITERIA}


# --- every score rests on the words it cites ---------------------------------------


@pytest.mark.parametrize("table", ["scores", "stage_scores"])
def test_every_score_row_names_a_claim_of_its_source_that_names_the_row(table):
    rows = reporting._read(table)
    claims = register()
    assert rows["claim_id"].isin(claims.index).all(), set(rows["claim_id"]) - set(claims.index)
    assert set(rows["reading"]) <= set(reporting.READINGS)
    keys = ["placement", "criterion"] + (["phase"] if table == "stage_scores" else [])
    for _, row in rows.iterrows():
        claim = claims.loc[row["claim_id"]]
        assert row["source"] == claim["source"], row["claim_id"]
        ref = f"reporting_{table}.csv#" + "/".join(row[k] for k in keys)
        assert ref in claim["used_in"], (ref, row["claim_id"])
        # the argument shown on the page is about that placement and from the same source
        argument = reporting.arguments().loc[row["argument_id"]]
        assert argument["placement"] == row["placement"]
        assert argument["source"] == row["source"]
        assert len(row["reason"]) > 40


def test_ranges_hold_their_scores_and_a_score_on_an_argument_against_is_low():
    table = reporting.scores()
    assert len(table) == len(reporting.PLACEMENTS) * len(CRITERIA)
    assert ((table["low"] <= table["score"]) & (table["score"] <= table["high"])).all()
    assert (table["high"] - table["low"]).between(1, 3).all()  # no score is certain
    kinds = reporting.arguments().loc[table["argument_id"], "kind"].to_numpy()
    assert (table.loc[kinds == "con", "score"] <= 3).all()


def test_the_scores_issue_17_found_wrong_now_follow_their_arguments():
    s = reporting.scores().set_index(["placement", "criterion"])
    # source 001's CEO con: siloing makes it harder to get feedback to the right places
    assert s.loc[("ceo", "feedback_loop"), "claim_id"] == "001-ceo-silo"
    assert s.loc[("ceo", "feedback_loop"), "score"] == 2
    # no Product score rests on "the rarest structure", which says nothing of a criterion,
    # neither by its claim nor by the argument the page shows beside it
    assert "001-product-rarest" not in set(s["claim_id"])
    shown = pd.concat([reporting.scores(), reporting.stage_adjustments()])
    assert not shown["text"].str.contains("rarest", case=False).any()
    # the two Product scores that cite source 001's "CS is dependent upon any part of the
    # org that touches the customer lifecycle" show an argument saying that, as the book's
    for criterion in ("handoff_efficiency", "lifecycle_alignment"):
        row = s.loc[("product", criterion)]
        assert row["claim_id"] == "001-cs-depends-lifecycle" and row["reading"] == "book"
        assert "touches the customer lifecycle" in row["text"]
        assert "book's reading" in row["text"]
    assert s.loc[("product", "operational_scalability"), "text"].startswith(
        "Aligning the two teams' incentive structures and strategies often makes little sense")
    # the CRO's voice and feedback scores no longer rest on arguments about pay and goals,
    # and say they are the book's reading
    for criterion in ("executive_voice", "feedback_loop"):
        row = s.loc[("cro", criterion)]
        assert row["argument_id"] not in ("cro-metrics-clash", "cro-contaminates")
        assert row["reading"] == "book"
    # source 000 gives the COO line the CEO line's direct voice in executive decisions
    assert s.loc[("coo", "executive_voice"), "claim_id"] == "000-ceo-coo-voice"
    assert s.loc[("coo", "executive_voice"), "score"] >= 4


@pytest.mark.parametrize("table", ["scores", "stage_scores"])
def test_the_argument_shown_beside_a_score_is_one_its_claim_supports(table):
    # the claim's register entry names the argument's row: the words cited and the
    # argument shown are the same point (the "rarest structure" argument beside a claim
    # about the customer lifecycle failed this)
    rows = reporting.scores() if table == "scores" else reporting.stage_adjustments()
    used = register()["used_in"]
    wrong = [(r["placement"], r["criterion"], r["argument_id"], r["claim_id"])
             for _, r in rows.iterrows()
             if f"reporting_arguments.csv#{r['argument_id']}" not in used[r["claim_id"]]]
    assert wrong == []


def test_the_book_marks_its_own_readings():
    table = reporting.scores()
    book = table[table["reading"] == "book"]
    assert 10 <= len(book) < len(table)
    assert book["reason"].str.contains("book").all()


# --- scores depend on the stage -------------------------------------------------------


def test_stage_adjustments_move_exactly_their_cells_within_the_scale():
    base = reporting.score_matrix(reporting.scores())
    moves = reporting.stage_adjustments()
    for phase in reporting.PHASES:
        table = reporting.scores(phase)
        moved = reporting.score_matrix(table)
        expected = base.copy()
        for _, m in moves[moves["phase"] == phase].iterrows():
            expected.loc[m["placement"], m["criterion"]] += m["delta"]
        pd.testing.assert_frame_equal(moved, expected.clip(1, 5))
        assert (table["delta"] != 0).sum() == (moves["phase"] == phase).sum()
        assert ((table["low"] <= table["score"]) & (table["score"] <= table["high"])).all()


def test_equal_weights_at_each_stage_are_hand_checked():
    # row sums at a startup: cco 25, coo 24, cro 24, ceo 23 (feedback +2), product 19;
    # at a scale-up: cco 27, coo 26, cro 24, ceo 20, product 18
    startup = reporting.ranking(EQUAL, reporting.score_matrix(reporting.scores("startup")))
    assert startup["value"].mul(7).round(9).to_dict() == {
        "cco": 25, "cro": 24, "coo": 24, "ceo": 23, "product": 19}
    scaleup = reporting.ranking(EQUAL, reporting.score_matrix(reporting.scores("scale-up")))
    assert list(scaleup.index) == ["cco", "coo", "cro", "ceo", "product"]
    assert scaleup["value"].mul(7).round(9).tolist() == [27, 26, 24, 20, 18]


def test_the_ceo_line_wins_the_feedback_loop_only_at_a_startup():
    at = {phase: reporting.ranking(only("feedback_loop"),
                                   reporting.score_matrix(reporting.scores(phase)))
          for phase in reporting.PHASES}
    assert at["startup"].loc["ceo", "rank"] == 2 and at["scale-up"].loc["ceo", "rank"] >= 4


@pytest.mark.parametrize(("profile", "stage", "phase"), [
    (Profile(funding_stage="seed"), None, "startup"),
    (Profile(funding_stage="series-a"), None, "startup"),
    (Profile(funding_stage="series-b"), None, "scale-up"),  # source 000, not source 003
    (Profile(funding_stage="public"), None, "scale-up"),
    (Profile(arr=4.9e6), None, "startup"),
    (Profile(arr=5e6), None, "scale-up"),
    (Profile(funding_stage="seed"), "growth", "scale-up"),  # the parameter wins
    (Profile(funding_stage="growth"), "startup", "startup"),
    (Profile(), None, None),
])
def test_the_phase_comes_from_the_stage_parameter_the_funding_stage_or_the_arr(
        profile, stage, phase):
    assert reporting.phase_of(profile, stage)[0] == phase


def test_an_unknown_stage_or_phase_is_refused():
    with pytest.raises(ParameterError, match="Unknown stage 'series-z'"):
        reporting.phase_of(None, "series-z")
    with pytest.raises(ParameterError, match="Unknown phase"):
        reporting.scores("mature")


# --- scores carry uncertainty, sampled with the weights ---------------------------------


def _one_criterion(cro_low: float, cro_high: float):
    """Only expansion alignment counts; the CEO line scores 3 for sure, the CRO 3 within
    [cro_low, cro_high], every other cell 1."""
    matrix = pd.DataFrame(1.0, index=list(reporting.PLACEMENTS), columns=CRITERIA)
    matrix.loc[["ceo", "cro"], "expansion_alignment"] = 3.0
    low, high = matrix.copy(), matrix.copy()
    low.loc["cro", "expansion_alignment"] = cro_low
    high.loc["cro", "expansion_alignment"] = cro_high
    return matrix, low, high


@pytest.mark.parametrize(("cro_low", "cro_high", "p_cro"), [
    (2.0, 4.0, 0.5),  # symmetric around the CEO's 3
    (1.0, 4.0, 1 / 3),  # P(X > 3) = (4 - 3)^2 / ((4 - 1)(4 - 3)) for a triangle on [1, 4]
    (3.0, 5.0, 1.0),
])
def test_scores_drawn_from_a_triangle_win_as_often_as_the_triangle_says(cro_low, cro_high,
                                                                       p_cro):
    matrix, low, high = _one_criterion(cro_low, cro_high)
    shares = reporting.monte_carlo(only("expansion_alignment"), n=40_000, concentration=1e6,
                                   matrix=matrix, low=low, high=high, seed=3)
    assert shares["cro"] == pytest.approx(p_cro, abs=0.01)
    assert shares["cro"] + shares["ceo"] == pytest.approx(1.0)


def test_ranges_of_zero_width_give_the_weights_only_shares():
    matrix = reporting.score_matrix()
    a = reporting.monte_carlo(EQUAL, n=4_000, seed=5, matrix=matrix)
    b = reporting.monte_carlo(EQUAL, n=4_000, seed=5, matrix=matrix, low=matrix, high=matrix)
    pd.testing.assert_series_equal(a, b)
    table = reporting.scores()
    c = reporting.monte_carlo(EQUAL, n=4_000, seed=5, matrix=matrix,
                              low=reporting.score_matrix(table, "low"),
                              high=reporting.score_matrix(table, "high"))
    assert c.sum() == pytest.approx(1) and not np.allclose(a, c)


def test_bad_ranges_are_refused():
    table = reporting.scores()
    matrix = reporting.score_matrix(table)
    with pytest.raises(ParameterError, match="both low and high"):
        reporting.monte_carlo(EQUAL, n=10, low=matrix)
    with pytest.raises(ParameterError, match="outside its low-high range"):
        reporting.monte_carlo(EQUAL, n=10, low=matrix + 1, high=matrix + 2)
    bad = table.copy()
    bad.loc[0, "low"] = bad.loc[0, "score"] + 1
    bad.loc[0, "high"] = 5
    with pytest.raises(ParameterError, match="does not hold the score for \\['ceo/expansion"):
        reporting.score_matrix(bad)


# --- the CEO and the CCO: one executive line --------------------------------------------


def test_the_cco_and_the_head_of_cs_are_two_forms_of_the_line_to_the_ceo():
    assert reporting.LINES["cco"] == reporting.LINES["ceo"] == "ceo"
    assert len(set(reporting.LINES.values())) == len(reporting.PLACEMENTS) - 1
    for p in ("ceo", "cco"):
        assert reporting.PLACEMENT_LABELS[p].endswith("under the CEO")


def test_every_maturity_recommendation_maps_to_a_placement():
    types = maturity.company_types()
    mapped = {seg: reporting.placement_of(row["reports_to"], row["cs_leader"])
              for seg, row in types.iterrows()}
    assert mapped == {"startup-high-touch": "ceo", "startup-low-touch": "ceo",
                      "scaling-high-touch": "cco", "scaling-low-touch": "cco",
                      "technical-buyer": "cco", "product-led": "cro"}
    assert reporting.placement_of("president", "cco") is None


# --- the ranking beside the maturity recommendation ------------------------------------


@pytest.fixture(scope="module")
def sample_profile(sample_dir):
    return cs.load_profile(sample_dir / "profile.yml")


def test_the_reconciliation_sentence_is_made_of_both_results(sample_profile):
    s = reporting.summarise(sample_profile, n_draws=200)
    rec = maturity.recommend(sample_profile)
    placement = reporting.placement_of(rec.reports_to, rec.cs_leader)
    ranked = reporting.ranking(sample_profile.reporting_weights,
                               reporting.score_matrix(reporting.scores("scale-up")))
    r = s.reconciliation
    assert r.placement == reporting.PLACEMENT_LABELS[placement] == "Head of CS under the CEO"
    assert r.rank == ranked.loc[placement, "rank"] == 4
    assert r.value == pytest.approx(ranked.loc[placement, "value"])
    assert r.gap == pytest.approx(ranked["value"].iloc[0] - ranked.loc[placement, "value"])
    assert s.reconciliation_missing is None
    assert r.sentence == " ".join([
        f"The maturity rules recommend {r.placement} (source 003's row for a {r.segment}); "
        f"this ranking puts it fourth of 5, at {r.value:.2f}, {r.gap:.2f} points behind "
        f"{r.firsts}.", r.line, r.why, r.stage, r.source_000])
    assert r.firsts == "COO (operations) and CCO under the CEO"
    assert r.notes == " ".join([r.line, r.stage, r.source_000])
    assert r.line.startswith("Head of CS under the CEO and CCO under the CEO are both the "
                             "executive line to the CEO")
    sentence = r.sentence
    assert sentence.startswith("The maturity rules recommend Head of CS under the CEO "
                               "(source 003's row for a startup with a high-touch business)")
    assert f"fourth of 5, at {r.value:.2f}, {r.gap:.2f} points behind" in sentence
    assert ranked.iloc[0]["label"] in sentence
    # Series B: a startup for source 003, a scale-up for source 000 (the scores' phase)
    assert "source 003 makes this company a startup" in sentence
    assert "points a series-b company to COO (operations) or CCO under the CEO" in sentence


def test_the_reconciliation_follows_the_weights_and_the_company(sample_profile):
    # read as a seed company weighing purity and voice, the head of CS under the CEO leads
    agree = reporting.summarise(
        sample_profile, {"incentive_purity": 10, "executive_voice": 10}, "seed", n_draws=200)
    assert agree.reconciliation.rank == 1 and agree.leader == "Head of CS under the CEO"
    assert agree.reconciliation.why == "The two answers agree."
    assert agree.reconciliation.line is None and agree.reconciliation.stage is None
    assert agree.reconciliation.notes == agree.reconciliation.source_000
    assert agree.reconciliation.source_000 == (
        "Source 000, which the maturity chapter sets beside source 003, points a seed company "
        "to Head of CS under the CEO or CCO under the CEO; this ranking puts Head of CS under "
        "the CEO first and CCO under the CEO second.")
    assert "stage differently" not in agree.reconciliation.sentence
    scaling = reporting.summarise(
        Profile(funding_stage="growth", acv=120_000), n_draws=200)
    assert scaling.reconciliation.placement == "CCO under the CEO"
    assert scaling.reconciliation.rank == 1 and "stage differently" not in \
        scaling.reconciliation.sentence
    plg = reporting.summarise(Profile(funding_stage="seed", acv=5_000,
                                              product_led=True), n_draws=200)
    assert plg.reconciliation.placement == "Sales / CRO"
    assert "Sales / CRO gains most" in plg.reconciliation.sentence or \
        "Sales / CRO on " in plg.reconciliation.sentence


def test_without_facts_there_is_no_reconciliation_and_no_phase():
    s = reporting.summarise(Profile(), n_draws=200)
    assert s.reconciliation is None and s.stage is None
    assert s.to_dict()["reconciliation"] is None
    assert s.stage_text == ("This run reads the stage-free scores: the profile gives "
                            "neither a funding stage nor an ARR.")
    assert s.reconciliation_missing.startswith("The maturity rules cannot place this company")
    glued = {}
    s.glue(lambda k, v, display: glued.__setitem__(k, v))
    assert "stage" not in glued and "reconciliation_sentence" not in glued
    assert glued["reconciliation_missing"] == s.reconciliation_missing


# --- the chapter's Summary ----------------------------------------------------------------


def test_the_summary_holds_what_the_functions_give(sample_profile):
    s = reporting.summarise(sample_profile, n_draws=3_000, seed=2)
    weights = sample_profile.reporting_weights
    matrix = reporting.score_matrix(reporting.scores("scale-up"))
    ranked = reporting.ranking(weights, matrix)
    lead = ranked.index[0]
    assert s.stage == "scale-up" and s.leader == reporting.PLACEMENT_LABELS[lead]
    assert s.margin == pytest.approx(reporting.margin(weights, matrix))
    assert s.mc_leader_share == pytest.approx(
        reporting.monte_carlo(weights, n=3_000, seed=2, matrix=matrix)[lead])
    table = reporting.scores("scale-up")
    both = reporting.monte_carlo(weights, n=3_000, seed=2, matrix=matrix,
                                 low=reporting.score_matrix(table, "low"),
                                 high=reporting.score_matrix(table, "high"))
    assert s.mc_both_share == pytest.approx(both[lead])
    assert s.mc_ceo_line_share == pytest.approx(both["ceo"] + both["cco"])
    assert s.n_scores == 35 and s.n_book_readings == (table["reading"] == "book").sum()
    assert s.n_stage_moves == 5 and s.weights_from == "the profile's reporting_weights"
    with pytest.raises(FrozenInstanceError):
        s.leader = "x"


def test_a_tie_for_first_is_said_as_a_tie(sample_profile):
    # with the sample's weights at a scale-up, the COO and the CCO both score 38 / 10
    s = reporting.summarise(sample_profile, n_draws=200)
    assert s.margin == pytest.approx(0)
    assert s.lead_text == ("COO (operations) and CCO under the CEO share first place, "
                           "at 3.80.")
    assert s.flip_text.startswith("COO (operations) and CCO under the CEO are level")


def test_the_weights_and_stage_parameters_override_the_profile(sample_profile):
    s = reporting.summarise(sample_profile, {"feedback_loop": 10}, "seed", n_draws=200)
    merged = {**sample_profile.reporting_weights, "feedback_loop": 10}
    ranked = reporting.ranking(merged, reporting.score_matrix(reporting.scores("startup")))
    assert s.stage == "startup" and s.leader == ranked.iloc[0]["label"]
    assert s.weights_from == "the chapter's weights parameter over the profile's"
    no_scores = reporting.summarise(sample_profile, n_draws=200, vary_scores=False)
    assert no_scores.mc_both_share is None and no_scores.mc_ceo_line_share is None


def test_the_summary_glues_every_figure_as_text(sample_profile):
    s = reporting.summarise(sample_profile, n_draws=500)
    glued = {}
    keys = s.glue(lambda k, v, display: glued.__setitem__(k, v))
    assert {"leader", "margin", "flip_text", "mc_both_share", "reconciliation_sentence",
            "stage_text", "cro_small_share"} <= set(keys)
    assert glued["cro_small_share"] == "64%" and glued["margin"] == "0.00"
    assert glued["reconciliation_rank"] == "4"


def test_arr_and_acv_the_profile_leaves_out_come_from_arr_monthly():
    # last month: two paying accounts, 3M ARR in all, an ACV of 1.5M (high touch)
    frame = pd.DataFrame({"account_id": ["a", "b", "a", "b"],
                          "month": pd.PeriodIndex(["2025-01"] * 2 + ["2025-02"] * 2, freq="M"),
                          "arr": [1e6, 1e6, 2e6, 1e6]})
    s = reporting.summarise(Profile(), n_draws=200, arr_monthly=frame)
    assert s.stage == "startup" and "source 004's early stage" in s.stage_from
    assert s.reconciliation.placement == "Head of CS under the CEO"
    assert s.reconciliation.segment == "startup with a high-touch business"
    # the profile's own figures come first
    big = reporting.summarise(Profile(arr=40e6, acv=20_000), n_draws=200,
                                      arr_monthly=frame)
    assert big.stage == "scale-up" and big.reconciliation.placement == "CCO under the CEO"


@pytest.mark.slow
def test_an_unknown_stage_stops_the_rerun_with_a_clear_message(tmp_path, sample_dir):
    import subprocess
    import sys

    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "csmodels", "rerun", "reporting", "--data",
                           str(sample_dir), "--out", str(out), "-p", "stage", "series-z"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 2 and "Traceback" not in done.stderr + done.stdout
    assert "Unknown stage 'series-z'. Use a funding stage" in done.stderr + done.stdout
    assert not out.exists()


def test_every_figure_in_the_models_prose_is_a_figure_of_the_summary(sample_profile):
    """The sections from "Five placements, argued" to "How robust is the answer?" glue
    only what the Summary gives: a misspelt key would drop its paragraph from a rerun."""
    import json
    import re
    from pathlib import Path

    cells = json.loads((Path(__file__).parents[1] / "chapters" / "reporting.ipynb")
                       .read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    ours = text[text.index("## Five placements, argued"):text.index("## Quota pressure")]
    used = set(re.findall(r"\{glue:text\}`([^`]+)`", ours))
    keys = {k for k, _, _ in reporting.summarise(sample_profile, n_draws=100).rows()}
    assert {"reconciliation_why", "mc_both_text", "stage_text", "lead_text"} <= used
    assert used <= keys | {"reconciliation_missing"}, used - keys


# --- the reader's own scores -----------------------------------------------------------------


def test_the_readers_scores_replace_the_books_and_widen_their_ranges():
    changed = reporting.with_changes(reporting.scores("scale-up"),
                                     {"ceo/feedback_loop": 5, "ceo/operational_scalability": 4.5})
    matrix = reporting.score_matrix(changed)
    assert matrix.loc["ceo", "feedback_loop"] == 5 and \
        reporting.score_matrix(changed, "high").loc["ceo", "feedback_loop"] == 5
    assert reporting.score_ranges(changed).loc["ceo", "operational_scalability"] == "4.5 (1-4.5)"
    assert (changed["reading"] == "reader").sum() == 2
    # equal weights at a scale-up: the head of CS gains 3 + 2.5 points, 20 -> 25.5
    ranked = reporting.ranking(EQUAL, matrix)
    assert ranked.loc["ceo", "value"] == pytest.approx(25.5 / 7)
    s = reporting.summarise(Profile(funding_stage="growth"), n_draws=200,
                                    score_changes={"product/expansion_alignment": 5})
    assert s.n_reader_scores == 1 and s.matrix.loc["product", "expansion_alignment"] == 5


@pytest.mark.parametrize(("changes", "message"), [
    ({"ceo/price": 3}, "'ceo/price' is not a placement and criterion"),
    ({"board/feedback_loop": 3}, "is not a placement and criterion"),
    ({"ceo": 3}, "is not a placement and criterion"),
    ({"ceo/feedback_loop": 6}, "is 6"),
    ({"ceo/feedback_loop": True}, "is True"),
    ({"ceo/feedback_loop": "high"}, "is 'high'"),
])
def test_bad_reader_scores_are_refused_with_what_to_write(changes, message):
    with pytest.raises(ParameterError, match=message):
        reporting.with_changes(reporting.scores(), changes)


def test_drawing_the_scores_in_blocks_does_not_change_the_shares(monkeypatch):
    table = reporting.scores("startup")
    args = dict(n=1_000, seed=4, matrix=reporting.score_matrix(table),
                low=reporting.score_matrix(table, "low"),
                high=reporting.score_matrix(table, "high"))
    whole = reporting.monte_carlo(EQUAL, **args)
    monkeypatch.setattr(reporting, "_BLOCK", 7)
    pd.testing.assert_series_equal(whole, reporting.monte_carlo(EQUAL, **args))
