"""CPO rules at their boundaries: exactly 1,500, the 250 cap, degree credit, window edges, leap days."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from app.eligibility.check import check_facts
from app.eligibility.dates import years_before
from app.eligibility.facts import ApplicantFacts, Substitution
from app.eligibility.hours_log import HoursLogError, parse_hours_log
from app.knowledge import load_knowledge
from tests.conftest import SHIPPED_KNOWLEDGE


@pytest.fixture(scope="module")
def cpo():
    return load_knowledge(SHIPPED_KNOWLEDGE)["cpo"]


def facts(**kw) -> ApplicantFacts:
    base = {"applied_on": date(2026, 11, 1), "education": "high_school", "ethics_agreed": True}
    return ApplicantFacts(**{**base, **kw})


def check_cpo(kb, applicant: ApplicantFacts):
    """(requirements, hours summary, warnings) from the one engine."""
    result = check_facts(kb, applicant)
    return result.requirements, result.hours, result.warnings


def log(*rows: str) -> list:
    return parse_hours_log("date,client,activity,hours,paid\n" + "\n".join(rows) + "\n")


def req(requirements, rid):
    return next(r for r in requirements if r.id == rid)


def test_exactly_1500_paid_hours_is_eligible(cpo):
    requirements, summary, _ = check_cpo(cpo, facts(paid_hours=1500))
    assert req(requirements, "paid_hours").met
    assert summary.missing == 0


def test_one_hour_short_is_not(cpo):
    requirements, summary, _ = check_cpo(cpo, facts(paid_hours=1499))
    assert not req(requirements, "paid_hours").met
    assert summary.missing == 1
    assert "so 1 hour is still missing" in req(requirements, "paid_hours").detail


def test_degree_credit_is_not_cumulative(cpo):
    for education, credit in [("associate", 50), ("bachelor", 75), ("advanced", 100), ("high_school", 0)]:
        _, summary, _ = check_cpo(cpo, facts(paid_hours=1400, education=education))
        assert summary.degree_credit == credit, education
    _, summary, warnings = check_cpo(
        cpo,
        facts(paid_hours=1400, education="bachelor", substitutions=[Substitution(category="degree", hours=50)]),
    )
    assert summary.degree_credit == 75 and summary.substitute_counted == 75
    assert any("highest degree only" in w for w in warnings)


def test_substitutes_capped_at_250(cpo):
    subs = [
        Substitution(category="prior_paid_work", hours=120),
        Substitution(category="military_service", hours=100),
        Substitution(category="continuing_education", hours=30, date=date(2025, 3, 10)),
    ]
    requirements, summary, _ = check_cpo(cpo, facts(paid_hours=1250, education="advanced", substitutions=subs))
    assert summary.substitute_by_category["degree"] == 100
    assert summary.substitute_counted == 250  # 350 claimed
    assert summary.total_counted == 1500
    assert req(requirements, "paid_hours").met
    assert "capped at 250" in req(requirements, "paid_hours").detail


def test_time_limited_substitutes_must_fall_in_the_window(cpo):
    subs = [
        Substitution(category="continuing_education", hours=30, date=date(2020, 1, 1)),
        Substitution(category="professional_development", hours=20),
        Substitution(category="military_service", hours=40, date=date(1999, 1, 1)),  # any time
    ]
    _, summary, warnings = check_cpo(cpo, facts(paid_hours=1000, substitutions=subs))
    assert summary.substitute_by_category == {"military_service": 40}
    assert len(warnings) == 2


def test_window_edges_are_inclusive(cpo):
    rows = log(
        "2021-11-01,A,on-site organizing,10,yes",  # first day of the 5-year window (the version since 2020)
        "2021-10-31,A,on-site organizing,20,yes",  # one day before: outside
        "2026-11-01,B,virtual organizing,5,yes",  # the application date itself
        "2026-11-02,B,virtual organizing,7,yes",  # after: future
    )
    _, summary, _ = check_cpo(cpo, facts(hours_rows=rows))
    assert summary.window_start == "2021-11-01" and summary.window_years == 5
    assert summary.paid_in_window == 15
    reasons = {r.row: r.reason for r in summary.rejected_rows}
    assert reasons[3].startswith("outside the window") and reasons[5].startswith("dated after")


def test_an_application_dated_before_2020_uses_the_three_year_version(cpo):
    rows = log(
        "2016-11-01,A,on-site organizing,10,yes",  # first day of the 3-year window
        "2016-10-31,A,on-site organizing,20,yes",  # outside it, inside five years
    )
    requirements, summary, _ = check_cpo(cpo, facts(applied_on=date(2019, 11, 1), hours_rows=rows))
    assert summary.window_years == 3 and summary.window_start == "2016-11-01"
    assert summary.paid_in_window == 10
    detail = req(requirements, "paid_hours").detail
    assert "the version in force until 2019-12-31" in detail
    # and the other reading is worked out: under five years the older row would count too
    assert "under the 5-year window (the version in force since 2020-01-01; named by N17, N8, uncertain), 30" in detail


def test_leap_day_application_date():
    assert years_before(date(2028, 2, 29), 3) == date(2025, 2, 28)
    assert years_before(date(2028, 2, 29), 4) == date(2024, 2, 29)


def test_rows_that_do_not_count_say_why(cpo):
    rows = log(
        "2025-01-10,Smith,on-site organizing,4,yes",
        "2025-01-10,Smith,on-site organizing,4,yes",  # duplicate
        "2025-02-01,Jones,coaching,3,no",  # unpaid
        "2025-02-02,Jones,coaching,0,yes",  # zero
        "2025-02-03,Jones,coaching,-2,yes",  # negative
        "03/02/2025,Jones,coaching,2,yes",  # ambiguous date
        "2025-02-05,Jones,coaching,two,yes",  # not a number
        "2025-02-06,Jones,coaching,2,maybe",  # paid unclear
    )
    _, summary, _ = check_cpo(cpo, facts(hours_rows=rows))
    assert summary.paid_in_window == 4
    reasons = {r.row: r.reason for r in summary.rejected_rows}
    assert reasons[3].startswith("duplicate")
    assert reasons[4] == "unpaid work does not count"
    assert reasons[5] == reasons[6] == "zero or negative hours"
    assert "not a date" in reasons[7]
    assert "not a number" in reasons[8]
    assert "yes or no" in reasons[9]
    assert summary.rejected_hours["unpaid work does not count"] == 3


def test_missing_columns_are_one_clear_error_each():
    with pytest.raises(HoursLogError) as exc:
        parse_hours_log("date,client,hours\n2025-01-01,A,3\n", "hours.csv")
    assert exc.value.problems == ["hours.csv: missing column 'activity'", "hours.csv: missing column 'paid'"]


def test_explanation_reads_like_staff_would_say_it(cpo):
    rows = log(
        "2025-01-10,A,on-site organizing,1300,yes",
        "2020-01-10,A,on-site organizing,140,yes",
        "2025-03-10,B,on-site organizing,48,no",
    )
    requirements, _, _ = check_cpo(cpo, facts(hours_rows=rows, education="bachelor"))
    detail = req(requirements, "paid_hours").detail
    assert detail.startswith("1,375 of the 1,500 hours count, so 125 hours are still missing")
    assert "140 h outside the window" in detail and "48 h unpaid" in detail
    assert "bachelor degree adds 75" in detail


def test_the_window_versions_and_their_dates_come_from_data(tmp_path, knowledge_copy):
    """Staff move the date the five-year window took effect by editing rules.yaml, not code."""
    path = knowledge_copy / "cpo/rules.yaml"
    data = yaml.safe_load(path.read_text())
    for rule in data["rules"]:
        for param in rule.get("parameters", []):
            if param["id"] == "experience_window_years":
                param["versions"][0]["effective_to"] = date(2026, 12, 31)
                param["versions"][1]["effective_from"] = date(2027, 1, 1)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    moved = load_knowledge(knowledge_copy)["cpo"]
    rows = log("2022-06-10,A,on-site organizing,1500,yes")
    requirements, summary, _ = check_cpo(moved, facts(hours_rows=rows))
    assert summary.window_years == 3 and summary.paid_in_window == 0
    assert not req(requirements, "paid_hours").met and req(requirements, "paid_hours").uncertain
    requirements, summary, _ = check_cpo(moved, facts(applied_on=date(2027, 3, 1), hours_rows=rows))
    assert summary.window_years == 5 and summary.paid_in_window == 1500 and req(requirements, "paid_hours").met


def test_education_and_ethics(cpo):
    requirements, _, _ = check_cpo(cpo, facts(paid_hours=1500, education="none", ethics_agreed=False))
    assert not req(requirements, "education").met
    assert not req(requirements, "ethics").met
    with pytest.raises(ValueError, match="unknown education level"):
        check_cpo(cpo, facts(paid_hours=1500, education="phd"))
