"""Sales and CS collaboration: handoff SLA edges, credit and pay per ownership model,
double credit, the RACI one-A rule and the leader's self-assessment."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import write_tables

import csmodels as cs
from csmodels import collaboration as co
from csmodels.exceptions import ParameterError

ARR = """
account_id,month,arr
A1,2024-01,100
A1,2024-12,100
A1,2025-01,100
A2,2024-01,100
A2,2024-12,100
A3,2024-06,100
A3,2025-01,100
"""


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
    "opportunity_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
    "account_id": ["A1", "A2", "A3", "A4", "A5", "A6"],
    "type": ["new", "renewal", "expansion", "expansion", "expansion", "new"],
    "amount": [1000.0, 2000.0, 500.0, 300.0, 400.0, 100.0],
    "status": ["won", "won", "won", "won", "lost", "open"],
    "cs_influenced": [False, False, True, False, True, False],
})

# pay per team under the default plan, worked by hand (only o1-o4 are won):
# sales rates new 10%, renewal 2%, expansion 8%; CS renewal 2%, expansion 5%;
# pod 4%; expansion rep 8%. o3 is an expansion CS influenced.
EXPECTED_PAY = {
    "cs-renewals-sales-expansion": {"sales": 100 + 40 + 24, "cs": 40 + 25},
    "revenue-pod": {"pod": 3800 * 0.04},
    "expansion-reps": {"sales": 100, "cs": 40 + 25, "expansion-rep": 800 * 0.08},
    "all-sales": {"sales": 100 + 40 + 64},
    "all-cs": {"sales": 100, "cs": 40 + 40},
}


@pytest.mark.parametrize("model_id", sorted(EXPECTED_PAY))
def test_pay_per_model_by_hand(model_id):
    summary = co.credit_summary(DEALS, model_id)
    assert summary["pay"].to_dict() == pytest.approx(EXPECTED_PAY[model_id])
    assert set(co.credit(DEALS, model_id)["opportunity_id"]) == {"o1", "o2", "o3", "o4"}


def test_credit_rows_for_an_influenced_expansion():
    rows = co.credit(DEALS, "cs-renewals-sales-expansion")
    o3 = rows[rows["opportunity_id"] == "o3"].set_index("team")
    assert o3["role"].to_dict() == {"sales": "owner", "cs": "influence"}
    assert o3["credited_amount"].tolist() == [500.0, 500.0]
    assert o3["pay"].to_dict() == pytest.approx({"sales": 40.0, "cs": 25.0})
    summary = co.credit_summary(DEALS, "cs-renewals-sales-expansion")
    assert summary.loc["sales", "credited_amount"] == 1800.0
    assert summary.loc["cs", "credited_amount"] == 2500.0
    assert summary.loc["cs", "opportunities"] == 2


def test_double_credit_found_and_priced():
    double = co.double_credit(DEALS, "cs-renewals-sales-expansion")
    assert double["opportunity_id"].tolist() == ["o3"]
    row = double.iloc[0]
    assert row["teams"] == "sales+cs"
    assert row["credited_amount"] == 1000.0 and row["extra_credit"] == 500.0
    assert row["extra_pay"] == pytest.approx(25.0)
    reps = co.double_credit(DEALS, "expansion-reps").iloc[0]
    assert reps["teams"] == "expansion-rep+cs" and reps["extra_pay"] == pytest.approx(25.0)
    cheaper = co.double_credit(DEALS, "expansion-reps", co.CompPlan(cs_expansion_rate=0.02))
    assert cheaper["extra_pay"].tolist() == pytest.approx([10.0])
    for model_id in ("revenue-pod", "all-sales", "all-cs"):
        assert co.double_credit(DEALS, model_id).empty


def test_collaboration_rule_splits_the_dollar():
    plan = co.CompPlan(collaboration_rule=True, split=0.4)
    rows = co.credit(DEALS, "cs-renewals-sales-expansion", plan)
    o3 = rows[rows["opportunity_id"] == "o3"].set_index("team")
    assert o3["credited_amount"].to_dict() == pytest.approx({"sales": 300.0, "cs": 200.0})
    assert o3["pay"].to_dict() == pytest.approx({"sales": 24.0, "cs": 10.0})
    assert o3["credited_amount"].sum() == 500.0
    assert co.double_credit(DEALS, "cs-renewals-sales-expansion", plan).empty
    summary = co.credit_summary(DEALS, "cs-renewals-sales-expansion", plan)
    assert summary["pay"].to_dict() == pytest.approx({"sales": 148.0, "cs": 50.0})


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
    for bad in ({"sales_new_rate": 1.5}, {"pod_rate": -0.1}, {"split": float("nan")},
                {"cs_renewal_rate": "2%"}, {"collaboration_rule": "yes"}):
        with pytest.raises(ParameterError):
            co.CompPlan(**bad)


def test_ownership_models_table():
    models = co.ownership_models()
    assert models.index.tolist() == ["cs-renewals-sales-expansion", "revenue-pod",
                                     "expansion-reps", "all-sales", "all-cs"]
    for column in ("new_owner", "renewal_owner", "expansion_owner"):
        assert set(models[column]) <= set(co.TEAMS)
    assert models.loc["revenue-pod", "csm_paid_on"].count("NRR") == 1
    assert (models["csm_incentive"].str.len() > 20).all()
    assert set(models["source"]) == {"004_b8619fbcaa12e132.txt", "book assumption"}
    assert models.loc["expansion-reps", "expansion_owner"] == "expansion-rep"


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
        "collaboration practice": ["000_a87cb94a3071c21f.txt"],
        "leader strategy": ["002_10d723511b1b2cd2.txt"]}


def test_self_assessment_scores_and_flags():
    frame = co.self_assessment({"documented-handoff": 2, "first-90-days-sla": 1,
                                "value-framework": 0})
    scored = frame.set_index("practice_id")
    assert scored.loc["documented-handoff", "score"] == 2
    assert scored.loc["first-90-days-sla", "status"] == "partly in place"
    assert scored["answered"].sum() == 3
    assert not scored.loc["shared-metrics", "answered"]
    assert scored.loc["shared-metrics", "score"] == 0
    assert co.assessment_score(frame) == pytest.approx(3 / 20)
    everything = co.self_assessment(dict.fromkeys(scored.index, 2))
    assert co.assessment_score(everything) == 1.0
    assert co.assessment_score(co.self_assessment()) == 0.0
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
                            co.CompPlan(collaboration_rule=True)).empty


# --- the chapter ----------------------------------------------------------------


@pytest.mark.slow
def test_the_chapter_on_the_sample(tmp_path, sample_dir):
    from test_notebooks import run_chapter

    glued = run_chapter("collaboration", tmp_path / "c.ipynb", data_dir=str(sample_dir))
    company = cs.load_company(sample_dir)
    summary = co.handoff_summary(co.handoff_report(company))
    assert glued["sla_compliance"] == f"{summary['sla_compliance']:.1%}"
    assert glued["n_handoffs"] == f"{summary['handoffs']:,}"
    doubles = co.double_credit(company, "cs-renewals-sales-expansion")
    assert glued["n_double"] == f"{len(doubles):,}" and len(doubles) > 0
    answers = cs.load_profile(sample_dir / "profile.yml").self_assessment
    score = co.assessment_score(co.self_assessment(answers))
    assert glued["assessment_score"] == f"{score:.1%}"


@pytest.mark.slow
def test_the_chapter_with_a_stricter_sla_and_the_collaboration_rule(tmp_path, sample_dir):
    from test_notebooks import run_chapter

    glued = run_chapter("collaboration", tmp_path / "c.ipynb", data_dir=str(sample_dir),
                        handoff_within_days=7, collaboration_rule=True,
                        ownership_model="revenue-pod",
                        self_assessment={"joint-training": 2})
    company = cs.load_company(sample_dir)
    strict = co.handoff_summary(co.handoff_report(
        company, co.SlaTerms(handoff_within_days=7)))
    assert glued["sla_compliance"] == f"{strict['sla_compliance']:.1%}"
    assert glued["n_double"] == "0"
    assert glued["model_name"] == "Revenue pod (AE, CSM and SE)"
    assert "joint-training" not in glued["gaps"]
