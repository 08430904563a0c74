"""Recertification: the 15 June / 15 November deadline table at its edges, 40 points, CPO CEUs and ethics."""

from __future__ import annotations

from datetime import date

import pytest

from app.eligibility.hours_log import HoursLogError
from app.eligibility.recert import check_recert, deadline_by_table, parse_credit_log
from app.knowledge import load_knowledge
from tests.conftest import SHIPPED_KNOWLEDGE


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(SHIPPED_KNOWLEDGE)


@pytest.mark.parametrize(
    ("anniversary", "deadline"),
    [
        (date(2026, 6, 15), date(2026, 6, 15)),  # last day of the June range
        (date(2026, 6, 16), date(2026, 11, 15)),  # first day of the November range
        (date(2026, 11, 15), date(2026, 11, 15)),
        (date(2026, 11, 16), date(2027, 6, 15)),  # wraps into next year
        (date(2026, 12, 31), date(2027, 6, 15)),
        (date(2027, 1, 1), date(2027, 6, 15)),
        (date(2028, 2, 29), date(2028, 6, 15)),  # leap day
    ],
)
def test_deadline_table_edges(kb, anniversary, deadline):
    assert deadline_by_table(kb["cpt"], anniversary) == deadline


def points(*rows: str):
    return parse_credit_log("date,activity,points\n" + "\n".join(rows) + "\n", "points")


def test_exactly_40_points_in_the_cycle(kb):
    rows = points("2024-01-10,Conference,30", "2026-01-10,Workshop,10")
    result = check_recert(kb["cpt"], date(2026, 3, 1), rows, today=date(2026, 4, 1))
    assert result.cycle_start == date(2023, 3, 1) and result.deadline == date(2026, 6, 15)
    assert result.earned == 40 and result.met


def test_39_points_is_not_enough_and_says_how_many_are_missing(kb):
    rows = points("2024-01-10,Conference,30", "2026-01-10,Workshop,9")
    result = check_recert(kb["cpt"], date(2026, 3, 1), rows, today=date(2026, 4, 1))
    points_req = next(r for r in result.requirements if r.id == "points")
    assert not points_req.met and "1 still needed" in points_req.detail


def test_points_outside_the_cycle_duplicate_or_future_do_not_count(kb):
    rows = points(
        "2023-02-28,Before the cycle,10",
        "2023-03-01,First day of the cycle,5",
        "2026-06-15,On the deadline,5",
        "2026-06-16,After the deadline,5",
        "2023-03-01,First day of the cycle,5",
        "2026-05-01,Not yet happened,5",
    )
    result = check_recert(kb["cpt"], date(2026, 3, 1), rows, today=date(2026, 4, 1))
    reasons = {r.row: r.reason for r in result.rejected_rows}
    assert result.earned == 5
    assert reasons[2].startswith("outside the cycle")
    assert reasons[4].startswith("dated in the future")  # the deadline is still ahead of today
    assert reasons[5].startswith("dated in the future")
    assert reasons[6].startswith("duplicate")
    assert reasons[7].startswith("dated in the future")
    assert 3 not in reasons


def test_deadline_passed(kb):
    result = check_recert(kb["cpt"], date(2026, 3, 1), points("2024-01-10,x,40"), today=date(2026, 6, 16))
    assert not next(r for r in result.requirements if r.id == "deadline").met


def ceus(*rows: str):
    return parse_credit_log("date,activity,ceus,ethics\n" + "\n".join(rows) + "\n", "ceus")


def test_cpo_36_ceus_with_one_in_ethics(kb):
    rows = ceus("2024-01-10,Course,35,no", "2025-01-10,Ethics module,1,yes")
    result = check_recert(kb["cpo"], date(2026, 12, 31), rows, today=date(2026, 11, 1))
    assert result.earned == 36 and result.category_earned["ethics"] == 1 and result.met
    ceu_req = next(r for r in result.requirements if r.id == "ceus")
    assert ceu_req.uncertain and "Other sources ask for 45 CEUs" in ceu_req.detail
    assert any("other requirement of 45" in w for w in result.warnings)


def test_cpo_without_ethics_ceu_fails(kb):
    result = check_recert(kb["cpo"], date(2026, 12, 31), ceus("2024-01-10,Course,40,no"), today=date(2026, 11, 1))
    assert not result.met
    assert not next(r for r in result.requirements if r.id == "ethics_ceus").met


def test_credit_log_missing_column():
    with pytest.raises(HoursLogError) as exc:
        parse_credit_log("date,activity\n2025-01-01,x\n", "points", "points.csv")
    assert exc.value.problems == ["points.csv: missing column 'points'"]
