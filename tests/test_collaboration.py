"""Sales and CS collaboration: handoff SLA edges, credit and pay per ownership model,
double credit, the RACI one-A rule and the leader's self-assessment."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import write_tables

import csmodels as cs
from csmodels import collaboration as co
from csmodels._tables import package_table
from csmodels.exceptions import ParameterError
from tests.executed import run_chapter

ARR = """
account_id,month,arr
A1,2024-01,100
A1,2024-12,100
A1,2025-01,100
A2,2024-01,100
A2,2024-12,100
A3,2024-06,100
A3,2025-01,100
""" + "".join(f"A2,2024-{m:02d},0\n" for m in (2, 3, 4, 5, 7, 8, 9, 10, 11))
# (a row of ARR 0 is what no row means; every month needs a row: a month with none is
# refused as missing or mistyped data)


def _company(tmp_path, handoffs: str, onboarding: str | None = None, arr: str = ARR):
    tables = {"arr_monthly": arr, "handoffs": handoffs}
    if onboarding is not None:
        tables["onboarding"] = onboarding
    return cs.load_company(write_tables(tmp_path / "co", **tables))


# --- handoffs ----------------------------------------------------------------------------

FULL = """
account_id,closed_won_date,handoff_date,goals_documented,stakeholders_documented,success_criteria_documented,commitments_documented,kickoff_date
A1,2024-01-01,2024-01-15,true,true,true,true,2024-01-31
A2,2024-01-01,2024-01-16,true,false,true,false,2024-02-01
A3,2024-01-01,2024-01-02,false,false,false,false,
"""


def test_sla_edges_day_n_meets_and_day_n_plus_one_misses(tmp_path):
    report = co.handoff_report(_company(tmp_path, FULL)).set_index("account_id")
    assert report["days_to_handoff"].tolist() == [14, 15, 1]
    assert report["meets_handoff_sla"].tolist() == [True, False, True]
    assert report["days_to_kickoff"].iloc[:2].tolist() == [30, 31]
    assert pd.isna(report.loc["A3", "days_to_kickoff"])
    # a missing kickoff date does not meet the kickoff SLA, so not the SLA either
    assert report["meets_kickoff_sla"].tolist() == [True, False, False]
    assert report["meets_sla"].tolist() == [True, False, False]
    assert report["completeness"].tolist() == [1.0, 0.5, 0.0]
    assert report["complete"].tolist() == [True, False, False]


def test_sla_terms_move_the_edges(tmp_path):
    company = _company(tmp_path, FULL)
    loose = co.handoff_report(company, co.SlaTerms(handoff_within_days=15,
                                                   kickoff_within_days=31))
    assert loose["meets_sla"].tolist() == [True, True, False]
    tight = co.handoff_report(company, co.SlaTerms(handoff_within_days=13))
    assert tight["meets_handoff_sla"].tolist() == [False, False, True]
    only_goals = co.handoff_report(company, co.SlaTerms(required=("goals", "stakeholders")))
    assert only_goals["completeness"].tolist() == [1.0, 0.5, 0.0]


def test_absent_optional_columns_do_not_count(tmp_path):
    text = """
    account_id,closed_won_date,handoff_date,goals_documented
    A1,2024-01-01,2024-01-10,true
    A2,2024-01-01,2024-01-10,false
    """
    report = co.handoff_report(_company(tmp_path, text))
    assert report.attrs["counted_fields"] == ("goals",)
    assert report.attrs["absent_fields"] == ("stakeholders", "success_criteria",
                                             "commitments")
    assert report["completeness"].tolist() == [1.0, 0.0]
    assert report["days_to_kickoff"].isna().all()
    assert not report["meets_kickoff_sla"].any() and not report["meets_sla"].any()
    summary = co.handoff_summary(report)
    assert summary["absent_fields"] == ("stakeholders", "success_criteria", "commitments")
    assert summary["share_complete"] == 0.5 and summary["sla_compliance"] == 0.0
    assert summary["missing_kickoff"] == 2 and summary["median_days_to_kickoff"] is None


def test_no_documented_column_leaves_completeness_unknown(tmp_path):
    text = """
    account_id,closed_won_date,handoff_date
    A1,2024-01-01,2024-01-10
    """
    report = co.handoff_report(_company(tmp_path, text))
    assert report["completeness"].isna().all() and report["complete"].isna().all()
    assert co.handoff_summary(report)["share_complete"] is None


def test_outcomes_days_to_value_first_days_and_first_year_retention(tmp_path):
    onboarding = """
    account_id,contract_date,first_value_date
    A1,2024-01-01,2024-03-31
    A2,2024-01-01,2024-04-01
    A3,2024-01-01,
    """
    company = _company(tmp_path, FULL, onboarding)
    report = co.handoff_report(company).set_index("account_id")
    assert report["days_to_value"].iloc[:2].tolist() == [90, 91]
    assert pd.isna(report.loc["A3", "days_to_value"])
    # day 90 is inside source 000's 90-day window, day 91 is not; A3 has no first value
    # and the window closed before the data end (2024-04-01), so it missed it
    assert report["value_in_first_days"].tolist() == [True, False, False]
    wider = co.handoff_report(company, co.SlaTerms(first_days=91)).set_index("account_id")
    assert wider["value_in_first_days"].iloc[:2].tolist() == [True, True]
    # the data (last date 2024-04-01, day 91) reach the end of a 91-day window, not of a
    # 92-day one: A3 has missed the first, and whether it meets the second is unknown
    assert not wider.loc["A3", "value_in_first_days"]
    wider = co.handoff_report(company, co.SlaTerms(first_days=92)).set_index("account_id")
    assert pd.isna(wider.loc["A3", "value_in_first_days"])
    # A1 pays in 2025-01, twelve months after 2024-01; A2 stopped; A3 started in 2024-06
    # and the data end in 2025-01, so its twelfth month is not known
    assert report.loc["A1", "retained_first_year"]
    assert not report.loc["A2", "retained_first_year"]
    assert pd.isna(report.loc["A3", "retained_first_year"])
    summary = co.handoff_summary(report.reset_index())
    assert summary["by_quality"]["complete"] == {
        "count": 1, "median_days_to_value": 90.0, "first_year_retention": 1.0,
        "retention_known": 1}
    assert summary["by_quality"]["incomplete"] == {
        "count": 2, "median_days_to_value": 91.0, "first_year_retention": 0.0,
        "retention_known": 1}
    assert "not cause" in summary["note"]
    assert summary["terms"]["handoff_within_days"] == 14
    assert summary["terms"]["first_days"] == 90


def test_sla_terms_validation():
    for bad in ({"handoff_within_days": 0}, {"kickoff_within_days": -3},
                {"first_days": 90.5}, {"first_days": True}, {"required": ()},
                {"required": ("goals", "budget")}, {"required": "goals"},
                {"required": ("goals", "goals")}):
        with pytest.raises(ParameterError):
            co.SlaTerms(**bad)
    with pytest.raises(ParameterError, match="budget"):
        co.SlaTerms(required=("budget",))
    assert co.SlaTerms(required=["goals"]).required == ("goals",)


def test_handoff_report_needs_handoffs(sample_dir, tmp_path):
    company = cs.load_company(write_tables(tmp_path / "x", arr_monthly=ARR))
    with pytest.raises(ParameterError, match=r"handoffs\.csv"):
        co.handoff_report(company)


# --- credit and pay ----------------------------------------------------------------------

DEALS = pd.DataFrame({
    "opportunity_id": ["o1", "o2", "o3", "o4", "o5", "o6", "o7"],
    "account_id": ["A1", "A2", "A3", "A4", "A5", "A6", "A7"],
    "type": ["new", "renewal", "expansion", "expansion", "expansion", "new", "expansion"],
    "amount": [1000.0, 2000.0, 500.0, 300.0, 400.0, 100.0, 200.0],
    "status": ["won", "won", "won", "won", "lost", "open", "won"],
    "cs_sourced": [False, False, True, False, True, False, False],
    "cs_influenced": [False, False, True, False, True, False, True],
})

# pay per team under the default plan, worked by hand (o1-o4 and o7 are won):
# sales rates new 10%, renewal 2%, expansion 8%; CS renewal 2%, expansion 5%; expansion
# rep 8%; the pod 4% of its book at goal, half on NRR (goal 105%), half on GRR (90%).
# o3 is an expansion CS sourced (real collaboration: paid to both in full), o7 one CS only
# influenced (credited once, split half and half under the default rule).
POD_RENEWAL = 0.04 * (0.5 / 1.05 + 0.5 / 0.90)
POD_EXPANSION = 0.04 * 0.5 / 1.05
EXPECTED_PAY = {
    "cs-renewals-sales-expansion": {"sales": 100 + 40 + 24 + 8, "cs": 40 + 25 + 5},
    "revenue-pod": {"sales": 100, "pod": 2000 * POD_RENEWAL + 1000 * POD_EXPANSION},
    "expansion-reps": {"sales": 100, "cs": 40 + 25 + 5, "expansion-rep": 40 + 24 + 8},
    "all-sales": {"sales": 100 + 40 + 80},
    "all-cs": {"sales": 100, "cs": 40 + 50},
}


@pytest.mark.parametrize("model_id", sorted(EXPECTED_PAY))
def test_pay_per_model_by_hand(model_id):
    summary = co.credit_summary(DEALS, model_id)
    assert summary["pay"].to_dict() == pytest.approx(EXPECTED_PAY[model_id])
    assert set(co.credit(DEALS, model_id)["opportunity_id"]) == {"o1", "o2", "o3", "o4", "o7"}


def test_the_pod_is_paid_on_nrr_and_grr_goals_not_on_new_logos():
    # source 004: the pod's variable pay is tied to NRR and GRR goals
    rows = co.credit(DEALS, "revenue-pod")
    assert rows.loc[rows["type"] == "new", "team"].tolist() == ["sales"]
    pod = co.pod_pay(book=2000.0, retained=2000.0, expansion=1000.0)
    assert pod["nrr"] == 1.5 and pod["grr"] == 1.0
    assert pod["attainment"] == pytest.approx(0.5 * 1.5 / 1.05 + 0.5 * 1.0 / 0.9)
    assert pod["pay"] == pytest.approx(co.credit_summary(DEALS, "revenue-pod").loc["pod", "pay"])
    at_goal = co.pod_pay(1_000_000, 900_000, 150_000)
    assert at_goal["attainment"] == 1.0 and at_goal["pay"] == pytest.approx(40_000)
    # a missed goal pays less: same book, lower NRR and GRR
    assert co.pod_pay(1_000_000, 800_000, 0)["pay"] < at_goal["pay"]
    assert co.pod_pay(0, 0, 0)["pay"] is None
    with pytest.raises(ParameterError, match="pod"):
        co.CompPlan().rate("pod", "new")


def test_double_credit_only_for_real_collaboration():
    # source 004: "avoid double comping unless there's real collaboration"
    double = co.double_credit(DEALS, "cs-renewals-sales-expansion")
    assert double["opportunity_id"].tolist() == ["o3"]
    row = double.iloc[0]
    assert row["teams"] == "sales+cs" and row["collaboration"] == "sourced"
    assert row["credited_amount"] == 1000.0 and row["extra_credit"] == 500.0
    assert row["extra_pay"] == pytest.approx(25.0)
    reps = co.double_credit(DEALS, "expansion-reps").iloc[0]
    assert reps["teams"] == "expansion-rep+cs" and reps["extra_pay"] == pytest.approx(25.0)
    cheaper = co.double_credit(DEALS, "expansion-reps", co.CompPlan(cs_expansion_rate=0.02))
    assert cheaper["extra_pay"].tolist() == pytest.approx([10.0])
    for model_id in ("revenue-pod", "all-sales", "all-cs"):
        assert co.double_credit(DEALS, model_id).empty


def test_an_influenced_dollar_is_paid_once_and_split():
    rows = co.credit(DEALS, "cs-renewals-sales-expansion", co.CompPlan(split=0.4))
    o7 = rows[rows["opportunity_id"] == "o7"].set_index("team")
    assert o7["role"].to_dict() == {"sales": "owner", "cs": "influence"}
    assert o7["credited_amount"].to_dict() == pytest.approx({"sales": 120.0, "cs": 80.0})
    assert o7["credited_amount"].sum() == 200.0
    assert o7["pay"].to_dict() == pytest.approx({"sales": 9.6, "cs": 4.0})


def test_the_rule_of_engagement_decides_what_is_paid_twice():
    every_touch = co.CompPlan(real_collaboration="involved")
    double = co.double_credit(DEALS, "cs-renewals-sales-expansion", every_touch)
    assert double["opportunity_id"].tolist() == ["o3", "o7"]
    assert double["extra_pay"].sum() == pytest.approx(25.0 + 10.0)
    never = co.CompPlan(real_collaboration="none", split=0.5)
    assert co.double_credit(DEALS, "cs-renewals-sales-expansion", never).empty
    rows = co.credit(DEALS, "cs-renewals-sales-expansion", never)
    assert rows.loc[rows["opportunity_id"] == "o3", "credited_amount"].sum() == 500.0
    with pytest.raises(ParameterError, match="real_collaboration"):
        co.CompPlan(real_collaboration="always")


def test_cs_sourced_counts_and_missing_columns_count_as_false():
    sourced = pd.DataFrame({"opportunity_id": ["n", "e"], "type": ["new", "expansion"],
                            "amount": [100.0, 100.0], "status": ["won", "won"],
                            "cs_sourced": [True, True]})
    rows = co.credit(sourced, "cs-renewals-sales-expansion")
    # CS is credited on the expansion it found, not on the new logo it referred
    assert rows.groupby("opportunity_id")["team"].apply(list).to_dict() == {
        "e": ["sales", "cs"], "n": ["sales"]}
    bare = sourced.drop(columns="cs_sourced")
    assert co.double_credit(bare, "cs-renewals-sales-expansion").empty


def test_credit_accepts_a_company_and_rejects_bad_input(sample_dir):
    company = cs.load_company(sample_dir)
    assert co.credit(company, "all-sales")["pay"].sum() == pytest.approx(
        co.credit(company.opportunities, "all-sales")["pay"].sum())
    with pytest.raises(ParameterError, match="all-sales"):
        co.credit(DEALS, "sales-owns-it")
    with pytest.raises(ParameterError, match="amount"):
        co.credit(DEALS.drop(columns="amount"), "all-cs")
    for bad in ({"sales_new_rate": 1.5}, {"pod_bonus_rate": -0.1}, {"split": float("nan")},
                {"cs_renewal_rate": "2%"}, {"real_collaboration": True}, {"nrr_goal": 0},
                {"grr_goal": float("inf")}):
        with pytest.raises(ParameterError):
            co.CompPlan(**bad)


# --- behaviour that responds to pay ------------------------------------------------------

BOOK = pd.DataFrame({
    "opportunity_id": ["r1", "r2", "e1", "e2", "n1"],
    "type": ["renewal", "renewal", "expansion", "expansion", "new"],
    "amount": [900.0, 100.0, 60.0, 40.0, 500.0],
    "status": ["won", "lost", "won", "won", "won"],
    "cs_sourced": [False, False, True, False, False],
})


def test_zero_response_gives_every_model_the_same_outcomes():
    flat = co.ownership_outcomes(BOOK, pay_response=0.0)
    for column in ("churned", "retained", "expansion", "sourced_share", "nrr", "grr"):
        assert flat[column].nunique() == 1, column
    assert flat["nrr"].iloc[0] == pytest.approx(1.0) and flat["grr"].iloc[0] == 0.9
    # and the pay is exactly credit()'s on the data's deals
    for model_id in flat.index:
        per_team = co.credit_summary(BOOK, model_id)["pay"]
        assert flat.loc[model_id, "pay_total"] == pytest.approx(per_team.sum())


def test_outcomes_follow_pay_and_the_response_moves_them():
    weak = co.ownership_outcomes(BOOK, pay_response=0.02)
    strong = co.ownership_outcomes(BOOK, pay_response=0.1)
    now = "cs-renewals-sales-expansion"
    # the current model keeps the data's outcomes whatever the response
    assert weak.loc[now, "churned"] == strong.loc[now, "churned"] == 100.0
    # a CSM on a flat salary (all-sales) earns nothing per retained dollar: more churn,
    # fewer expansions sourced; more so with a stronger response
    assert strong.loc["all-sales", "churned"] > weak.loc["all-sales", "churned"] > 100.0
    assert weak.loc["all-sales", "churned"] == pytest.approx(100.0 * math.exp(0.02 * 2))
    assert strong.loc["all-sales", "sourced_expansion"] == pytest.approx(
        60.0 * math.exp(-0.1 * 5))
    # the pod earns more per retained dollar than a CSM on 2%: less churn
    assert strong.loc["revenue-pod", "churned"] < 100.0
    assert strong["nrr"].max() - strong["nrr"].min() > weak["nrr"].max() - weak["nrr"].min()
    # new logos do not move
    assert strong["new"].eq(500.0).all()


def test_outcomes_reject_bad_parameters():
    for bad in (-0.1, float("nan"), True, "0.05", 2.0):
        with pytest.raises(ParameterError, match="pay_response"):
            co.ownership_outcomes(BOOK, pay_response=bad)
    with pytest.raises(ParameterError, match="ownership model"):
        co.ownership_outcomes(BOOK, current_model="nobody")


def test_ownership_models_table():
    models = co.ownership_models()
    assert models.index.tolist() == ["cs-renewals-sales-expansion", "revenue-pod",
                                     "expansion-reps", "all-sales", "all-cs"]
    for column in ("new_owner", "renewal_owner", "expansion_owner"):
        assert set(models[column]) <= set(co.TEAMS)
    assert models.loc["revenue-pod", "csm_paid_on"].count("NRR") == 1
    assert models.loc["revenue-pod", "new_owner"] == "sales"
    assert (models["csm_incentive"].str.len() > 20).all()
    assert set(models["source"]) == {"src004", "book"}
    assert models.loc["expansion-reps", "expansion_owner"] == "expansion-rep"


def test_source_ids_have_one_spelling():
    # the collaboration tables name sources as csmodels/data/sources.csv does
    known = set(package_table("sources", text=True)["bibkey"]) | {"book"}
    for table in (co.ownership_models(), co.practices()):
        assert set(table["source"]) <= known
    assert co.source_name("src002") == "Source 002" and co.source_name("book") == "The book"
    with pytest.raises(ParameterError, match=r"Unknown source '004_b8619fbcaa12e132.txt': use "
                       r"one of src000, src001, src002, src003, src004 \(as csmodels/data/"
                       r"sources.csv lists them\) or book\."):
        co.source_name("004_b8619fbcaa12e132.txt")
    with pytest.raises(ParameterError, match="Unknown source 'src999'"):
        co.source_name("src999")  # shaped like a bibkey, but not in sources.csv


def test_a_sixth_source_needs_no_change_to_the_collaboration_module(monkeypatch):
    import pandas as pd

    from csmodels import claims

    original = claims.package_table
    table = original("sources", text=True)
    sixth = pd.concat([table, pd.DataFrame([{**table.iloc[0].to_dict(), "source": "005",
                                             "bibkey": "src005"}])], ignore_index=True)
    monkeypatch.setattr(claims, "package_table", lambda name, text=False: sixth
                        if name == "sources" else original(name, text))
    assert co.source_name("src005") == "Source 005"
    with pytest.raises(ParameterError, match=r"use one of src000, .*, src004, src005 "):
        co.source_name("src006")


# --- RACI --------------------------------------------------------------------------------

@pytest.mark.parametrize("model_id", ["cs-renewals-sales-expansion", "revenue-pod",
                                      "expansion-reps", "all-sales", "all-cs"])
def test_raci_one_accountable_and_a_responsible(model_id):
    matrix = co.raci(model_id)
    assert matrix.index.tolist() == list(co.ACTIVITIES)
    assert matrix.notna().all().all()
    assert set(matrix.to_numpy().ravel()) <= set(co.RACI_LETTERS)
    assert (matrix == "A").sum(axis=1).eq(1).all()
    assert (matrix == "R").sum(axis=1).ge(1).all()


def test_raci_follows_the_ownership():
    models = co.ownership_models()
    owner_role = {"sales": {"ae"}, "cs": {"csm"}, "expansion-rep": {"expansion-ae"},
                  "pod": {"ae", "csm"}}
    for model_id, row in models.iterrows():
        matrix = co.raci(model_id)
        for activity, column in (("renewals", "renewal_owner"),
                                 ("expansion", "expansion_owner")):
            responsible = set(matrix.columns[matrix.loc[activity] == "R"])
            assert owner_role[row[column]] <= responsible, (model_id, activity)
    with pytest.raises(ParameterError):
        co.raci("nobody")


# --- self-assessment ---------------------------------------------------------------------

def test_practices_table():
    table = co.practices()
    assert len(table) == 10 and table["practice_id"].is_unique
    assert table.groupby("group")["source"].unique().map(list).to_dict() == {
        "collaboration practice": ["src000"], "leader strategy": ["src002"]}


def test_self_assessment_scores_and_flags():
    frame = co.self_assessment({"documented-handoff": 2, "first-90-days-sla": 1,
                                "value-framework": 0})
    scored = frame.set_index("practice_id")
    assert scored.loc["documented-handoff", "score"] == 2
    assert scored.loc["first-90-days-sla", "status"] == "partly in place"
    assert scored["answered"].sum() == 3
    assert not scored.loc["shared-metrics", "answered"]
    assert scored.loc["shared-metrics", "score"] == 0
    assert co.assessment_score(frame) == pytest.approx(3 / 6)  # over the 3 answered
    everything = co.self_assessment(dict.fromkeys(scored.index, 2))
    assert co.assessment_score(everything) == 1.0
    assert co.assessment_score(co.self_assessment()) is None  # nothing answered: no score
    assert not co.self_assessment(None)["answered"].any()


@pytest.mark.parametrize("answers, key", [
    ({"handoff": 2}, "handoff"),
    ({"shared-metrics": 3}, "shared-metrics"),
    ({"joint-training": -1}, "joint-training"),
    ({"team-design": True}, "team-design"),
    ({"program-management": "2"}, "program-management"),
    ({"value-framework": 1.5}, "value-framework"),
])
def test_self_assessment_rejects_bad_answers(answers, key):
    with pytest.raises(ParameterError, match=key):
        co.self_assessment(answers)


def test_self_assessment_rejects_a_non_mapping():
    with pytest.raises(ParameterError):
        co.self_assessment([("shared-metrics", 2)])


# --- the sample company ------------------------------------------------------------------

def test_sample_company(sample_dir):
    company = cs.load_company(sample_dir)
    report = co.handoff_report(company)
    assert len(report) == len(company.handoffs) > 100
    summary = co.handoff_summary(report)
    assert 0.5 <= summary["sla_compliance"] <= 1
    assert summary["sla_compliance"] <= min(summary["share_meeting_handoff_sla"],
                                            summary["share_meeting_kickoff_sla"])
    assert 0.1 <= summary["share_complete"] <= summary["mean_completeness"] <= 1
    assert 0 <= summary["median_days_to_handoff"] <= summary["median_days_to_kickoff"] <= 60
    groups = summary["by_quality"]
    assert groups["complete"]["count"] + groups["incomplete"]["count"] == len(report)
    for group in groups.values():
        assert 0 < group["median_days_to_value"] < 365
        assert 0.5 <= group["first_year_retention"] <= 1
    total = company.opportunities.query("status == 'won'")["amount"].sum()
    for model_id in co.ownership_models().index:
        summary = co.credit_summary(company, model_id)
        double = co.double_credit(company, model_id)
        # every won dollar is credited once, plus once more for each double credit
        assert summary["credited_amount"].sum() == pytest.approx(
            total + double["extra_credit"].sum())
        assert 0 < summary["pay"].sum() < 0.1 * total
    assert len(co.double_credit(company, "cs-renewals-sales-expansion")) > 0
    assert co.double_credit(company, "cs-renewals-sales-expansion",
                            co.CompPlan(real_collaboration="none")).empty


# --- the chapter ----------------------------------------------------------------


@pytest.mark.slow
def test_the_chapter_on_the_sample(tmp_path, sample_dir):
    glued = run_chapter("collaboration", tmp_path / "c.ipynb", data_dir=str(sample_dir))
    s = co.summarise(sample_dir)
    expected = {key: str(s.text(key)) for key, _, value in s.rows() if value != "n/a"}
    assert glued == expected  # every figure on the page is the summary's, and only those
    company = cs.load_company(sample_dir)
    summary = co.handoff_summary(co.handoff_report(company))
    assert glued["handoffs_sla_compliance"] == f"{summary['sla_compliance']:.1%}"
    doubles = co.double_credit(company, "cs-renewals-sales-expansion")
    assert glued["ownership_n_double"] == f"{len(doubles):,}" and len(doubles) > 0
    assert "generator_ttv_effect" in glued
    answers = cs.load_profile(sample_dir / "profile.yml").self_assessment
    score = co.assessment_score(co.self_assessment(answers))
    assert glued["assessment_score"] == f"{score:.1%}"


@pytest.mark.slow
def test_the_chapter_with_a_stricter_sla_and_another_rule(tmp_path, sample_dir):
    glued = run_chapter("collaboration", tmp_path / "c.ipynb", data_dir=str(sample_dir),
                        handoff_within_days=7, real_collaboration="none",
                        ownership_model="revenue-pod", pay_response=0.0,
                        self_assessment={"joint-training": 2})
    company = cs.load_company(sample_dir)
    strict = co.handoff_summary(co.handoff_report(
        company, co.SlaTerms(handoff_within_days=7)))
    assert glued["handoffs_sla_compliance"] == f"{strict['sla_compliance']:.1%}"
    assert glued["ownership_n_double"] == "0"
    assert glued["model_name"] == "Revenue pod (AE, CSM and SE)"
    assert glued["ownership_best_nrr"] == glued["ownership_worst_nrr"]
    assert "joint-training" not in glued["assessment_gaps"]


# --- the first days after the handoff ------------------------------------------------------

FIRST_ARR = """
account_id,month,arr
A1,2024-01,100
A1,2024-03,100
A1,2024-04,100
A2,2024-01,100
A2,2024-04,0
A3,2024-01,100
A3,2024-04,100
A2,2024-02,0
"""


def test_first_days_after_each_handoff(tmp_path):
    handoffs = """
    account_id,closed_won_date,handoff_date,goals_documented,stakeholders_documented,success_criteria_documented,commitments_documented,kickoff_date
    A1,2024-01-01,2024-01-01,true,true,true,true,2024-01-10
    A2,2024-01-01,2024-01-01,true,false,true,true,
    A3,2024-02-01,2024-02-01,true,true,true,true,2024-02-03
    """
    onboarding = """
    account_id,contract_date,first_value_date,go_live_date
    A1,2024-01-01,2024-03-31,2024-02-01
    A2,2024-01-01,2024-04-01,2024-05-01
    A3,2024-02-01,2024-02-10,2024-02-05
    """
    qbrs = """
    account_id,date
    A1,2024-03-31
    A2,2024-04-01
    """
    usage = """
    account_id,month,active_users,licensed_seats
    A1,2024-03,5,10
    A2,2024-03,2,10
    A2,2024-04,9,10
    """
    folder = write_tables(tmp_path / "f", arr_monthly=FIRST_ARR, handoffs=handoffs,
                          onboarding=onboarding, qbrs=qbrs, usage_monthly=usage)
    days = co.first_days_report(cs.load_company(folder)).set_index("account_id")
    # day 90 after a 2024-01-01 handoff is 2024-03-31, inside the data (to 2024-04-30);
    # A3's window (to 2024-05-01) runs past the data, so its milestones are unknown
    assert days["window_closed"].tolist() == [True, True, False]
    assert days.loc["A1", ["kickoff", "go_live", "first_value", "qbr", "paying"]].tolist() \
        == [True, True, True, True, True]
    # A2: no kickoff date, live and first value after day 90, QBR on day 91, no ARR in
    # the window's last month (2024-03 has no row: no ARR)
    assert days.loc["A2", ["kickoff", "go_live", "first_value", "qbr", "paying"]].tolist() \
        == [False, False, False, False, False]
    assert days.loc["A1", "adoption"] == 0.5 and days.loc["A2", "adoption"] == 0.2
    assert days.loc["A3", ["kickoff", "first_value", "qbr", "paying"]].isna().all()
    assert pd.isna(days.loc["A3", "adoption"])
    table = co.first_days_table(days.reset_index())
    assert table.loc["first_value"].tolist() == [0.5, 1.0, 0.0]
    assert table.loc["kickoff", "all"] == 0.5
    # a longer window moves the milestones: by day 91 A2 has its first value and QBR
    longer = co.first_days_report(cs.load_company(folder), co.SlaTerms(first_days=91))
    assert longer.set_index("account_id").loc["A2", ["first_value", "qbr"]].tolist() \
        == [True, True]


def test_first_days_without_the_optional_tables(tmp_path):
    handoffs = """
    account_id,closed_won_date,handoff_date
    A1,2024-01-01,2024-01-01
    """
    folder = write_tables(tmp_path / "f", arr_monthly=FIRST_ARR, handoffs=handoffs)
    days = co.first_days_report(cs.load_company(folder))
    assert days["window_closed"].tolist() == [True]
    assert days[["go_live", "first_value", "qbr"]].isna().all().all()
    assert not days["kickoff"].iloc[0] and days["paying"].iloc[0]
    table = co.first_days_table(days)
    assert table["all"].isna().tolist() == [False, True, True, True, False]


# --- the chapter's summary ----------------------------------------------------------------

def test_summary_on_the_sample_matches_the_package(sample_dir):
    s = co.summarise(sample_dir)
    company = cs.load_company(sample_dir)
    handoffs = co.handoff_summary(co.handoff_report(company))
    assert s.handoffs.handoffs == handoffs["handoffs"] == len(company.handoffs)
    assert s.handoffs.sla_compliance == handoffs["sla_compliance"]
    # exercise 1's figure is the change it asks for: a 7-day handoff SLA
    strict = co.handoff_summary(co.handoff_report(company, co.SlaTerms(handoff_within_days=7)))
    assert s.handoffs.strict_compliance == strict["sla_compliance"] < handoffs["sla_compliance"]
    # exercise 2's: every touch counted as real collaboration
    involved = co.double_credit(company, "cs-renewals-sales-expansion",
                                co.CompPlan(real_collaboration="involved"))
    assert s.ownership.involved_double_pay == pytest.approx(involved["extra_pay"].sum())
    assert s.ownership.involved_n_double == len(involved) > s.ownership.n_double > 0
    # exercise 3's: the pay response doubled
    doubled = co.ownership_outcomes(company, pay_response=0.1)
    assert s.ownership.ex_best_nrr == pytest.approx(doubled["nrr"].max())
    assert s.ownership.ex_worst_nrr == pytest.approx(doubled["nrr"].min())
    assert s.ownership.ex_worst_nrr < s.ownership.worst_nrr
    # a CSM on a flat salary: more churn, fewer expansions sourced (source 004's warning)
    assert s.ownership.flat_churn > s.ownership.current_churn
    assert s.ownership.flat_sourced_share < s.ownership.current_sourced_share
    days = co.first_days_table(co.first_days_report(company))
    assert s.first90.first_value == pytest.approx(days.loc["first_value", "all"])
    assert s.first90.value_complete > s.first90.value_incomplete
    report = co.handoff_report(company)
    assert s.handoffs.value_from_contract == pytest.approx(
        report["value_in_first_days"].dropna().astype(bool).mean())
    assert s.first90.windows + s.first90.open_windows == len(company.handoffs)
    # the sample's generator built the handoff effect in, and the summary says so
    from csmodels.synth import CompanyShape
    assert s.generator.ttv_effect == CompanyShape().ttv_handoff_effect
    assert s.to_dict()["ownership"]["rule"] == "sourced"


def test_summary_follows_the_parameters(sample_dir):
    s = co.summarise(sample_dir, handoff_within_days=7, real_collaboration="none",
                     ownership_model="revenue-pod", pay_response=0.0,
                     self_assessment_answers={"joint-training": 2})
    assert s.handoffs.sla_compliance == s.handoffs.strict_compliance
    assert s.ownership.n_double == 0 and s.ownership.double_pay == 0.0
    assert s.model_name == "Revenue pod (AE, CSM and SE)"
    assert "joint-training" not in s.assessment.gaps
    # no response: every model has the data's NRR
    assert s.ownership.best_nrr == s.ownership.worst_nrr == s.ownership.current_nrr
    assert s.ownership.flat_churn == s.ownership.current_churn > 0
    # exercise 3 asks for a response of 0.1 when the chapter's is 0
    assert s.ownership.ex_response == 0.1
    assert s.ownership.ex_best_nrr > s.ownership.best_nrr
    with pytest.raises(ParameterError):
        co.summarise(sample_dir, ownership_model="nobody")


def test_the_generator_note_is_for_the_sample_only(sample_dir, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(sample_dir, copy)
    assert co.summarise(copy).generator is not None  # the same data, elsewhere
    arr = (copy / "arr_monthly.csv").read_text(encoding="utf-8")
    (copy / "arr_monthly.csv").write_text(arr + "A00001,2022-12,1\n", encoding="utf-8")
    assert co.summarise(copy).generator is None  # a reader's data, however close
    assert co.summarise(sample_dir.parent / "cases" / "product-led").generator is None


def test_summary_without_handoffs_or_opportunities(sample_dir, tmp_path):
    import shutil

    copy = tmp_path / "bare"
    shutil.copytree(sample_dir, copy)
    (copy / "handoffs.csv").unlink()
    (copy / "opportunities.csv").unlink()
    s = co.summarise(copy)
    assert s.handoffs is None and s.first90 is None and s.ownership is None
    assert "handoffs" in s.handoff_need and "opportunities" in s.opps_need
    assert s.assessment.score == pytest.approx(co.summarise(sample_dir).assessment.score)
    assert "handoffs_handoffs" not in dict((k, v) for k, _, v in s.rows() if v != "n/a")


def test_the_new_charts_draw_words_in_the_book_style(sample_dir):
    import json
    import re

    from csmodels.charts import chart_html
    from csmodels.charts import collaboration as collab_charts
    from csmodels.style import SMALL_PX

    s = co.summarise(sample_dir)
    for chart in (collab_charts.first_days_chart(s.days_table, 90),
                  collab_charts.outcomes_chart(s.outcomes, s.models["name"])):
        html = chart_html(chart.to_dict())
        spec = json.loads(re.search(r'<script type="application/json" '
                                    r'class="csmodels-spec">(.*?)</script>', html).group(1))
        spec = spec["spec"]
        assert spec["width"] == "container"
        sizes = re.findall(r'"fontSize": (\d+(?:\.\d+)?)', json.dumps(spec))
        assert sizes and min(float(x) for x in sizes) >= SMALL_PX
        text = json.dumps(spec, ensure_ascii=False)
        assert '"first_value"' not in text and '"revenue-pod"' not in text
    days = collab_charts.first_days_chart(s.days_table, 90).to_dict()
    values = days["datasets"][next(iter(days["datasets"]))]
    assert {v["milestone"] for v in values} == set(co.MILESTONES.values())
    assert len(values) == 2 * len(co.MILESTONES)  # complete and incomplete, all known


def test_summary_with_no_won_opportunity(sample_dir, tmp_path):
    import shutil

    copy = tmp_path / "open"
    shutil.copytree(sample_dir, copy)
    opps = pd.read_csv(copy / "opportunities.csv")
    opps.assign(status="open").to_csv(copy / "opportunities.csv", index=False)
    s = co.summarise(copy)
    assert s.ownership is None and "no opportunity" in s.opps_need and "won" in s.opps_need
    assert s.handoffs is not None


def test_a_tie_for_the_highest_nrr_names_every_model_in_it(sample_dir):
    s = co.summarise(sample_dir)
    outcomes = co.ownership_outcomes(cs.load_company(sample_dir))
    names = co.ownership_models()["name"]
    top = outcomes["nrr"].max()
    tied = [names[m] for m in outcomes.index if abs(outcomes.loc[m, "nrr"] - top) <= 1e-6]
    # on the sample the current model and the dedicated expansion reps pay CS and the
    # owners alike, so their modelled outcomes are the same: a tie
    assert len(tied) == 2 and "Dedicated expansion reps" in tied
    assert s.ownership.best_model == " and ".join(f"“{n}”" for n in tied) + " (a tie)"
    assert s.ownership.best_nrr == pytest.approx(top)
    low = outcomes["nrr"].idxmin()  # a single lowest: named alone, unquoted
    assert s.ownership.worst_model == names[low]
    # with no response every model has the data's outcomes: all five tie
    flat = co.summarise(sample_dir, pay_response=0.0).ownership
    assert flat.best_model == flat.worst_model and flat.best_model.count("“") == len(names)


def test_the_pods_attainment_on_the_data_and_as_modelled(sample_dir):
    s = co.summarise(sample_dir).ownership
    deals = cs.load_company(sample_dir).opportunities
    amount = deals.groupby(["type", "status"])["amount"].sum()
    book = amount.loc[("renewal", "won")] + amount.loc[("renewal", "lost")]  # renewal ARR due
    retained, expansion = amount.loc[("renewal", "won")], amount.loc[("expansion", "won")]
    plan = co.CompPlan()
    by_hand = (0.5 * (retained + expansion) / book / plan.nrr_goal
               + 0.5 * retained / book / plan.grr_goal)
    assert s.pod_attainment_data == pytest.approx(by_hand)
    # the pod modelled (behaviour following its pay) is another figure than the data's
    assert abs(s.pod_attainment - s.pod_attainment_data) > 1e-3
    flat = co.summarise(sample_dir, pay_response=0.0).ownership
    assert flat.pod_attainment == pytest.approx(flat.pod_attainment_data)


def test_pay_rates_and_goals_are_chapter_parameters(sample_dir):
    from csmodels.cli import chapter_parameters

    assert "pay_plan" in chapter_parameters("collaboration")
    base = co.summarise(sample_dir)
    richer = co.summarise(sample_dir, pay_plan={"cs_expansion_rate": 0.10,
                                                "pod_bonus_rate": 0.08, "nrr_goal": 1.10})
    assert (richer.ownership.pod_bonus_rate, richer.ownership.nrr_goal) == (0.08, 1.10)
    assert richer.ownership.double_pay == pytest.approx(2 * base.ownership.double_pay)
    # the current model keeps the data's outcomes; the others respond to the new rates
    assert richer.ownership.current_nrr == base.ownership.current_nrr
    assert richer.ownership.ex_best_nrr != base.ownership.ex_best_nrr
    assert co.comp_plan(None) == co.CompPlan()
    for bad, fragment in (({"cs_expansion": 0.1}, "no rate or goal 'cs_expansion'"),
                          ({"nrr_goal": -1}, "nrr_goal must be"),
                          ({"cs_renewal_rate": "ten"}, "cs_renewal_rate must be"),
                          ([0.1], "pay_plan must be a mapping")):
        with pytest.raises(ParameterError, match=fragment):
            co.summarise(sample_dir, pay_plan=bad)


@pytest.mark.slow
def test_a_misspelt_pay_plan_key_is_one_sentence_and_exit_2(tmp_path, sample_dir):
    import subprocess
    import sys

    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "csmodels", "rerun", "collaboration", "--data",
                           str(sample_dir), "--out", str(out), "-p", "pay_plan",
                           '{"cs_expansion": 0.1}'], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 2, done.stderr
    assert "pay_plan has no rate or goal 'cs_expansion'. Use any of" in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()
