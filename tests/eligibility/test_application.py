"""Application files: every problem at once, each with file, line and field; paths relative to the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import REPO_ROOT
from app.eligibility.application import ApplicationError, load_application, resolve
from app.eligibility.check import check_application

EXAMPLES = REPO_ROOT / "examples"


def write(tmp_path: Path, text: str, name: str = "application.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_examples_load():
    cpo = load_application(EXAMPLES / "cpo/application.yaml")
    assert cpo.program == "cpo" and cpo.education == "bachelor" and len(cpo.substitutions) == 2
    cpt = load_application(EXAMPLES / "cpt/application.yaml")
    assert [r.end for r in cpt.experience] == ["2022-06", None]
    assert cpt.projects[2].attestations[0].relation == "peer"


def test_every_problem_is_reported_with_line_and_field(tmp_path):
    path = write(
        tmp_path,
        "program: cpt\n"
        "applicant: X\n"
        "applied_on: 2026-13-01\n"
        "educaton: bachelor\n"
        "experience:\n"
        "  - {role: A, start: 2020-01, end: 2019-05}\n"
        "  - {role: B, start: 2020/01}\n",
    )
    with pytest.raises(ApplicationError) as exc:
        load_application(path)
    assert exc.value.problems == [
        f"{path}:3: applied_on: Input should be a valid date or datetime, "
        "month value is outside expected range of 1-12",
        f"{path}:4: educaton: unknown field (check the spelling; see the README for the format)",
        f"{path}:6: experience[0]: ends (2019-05) before it starts (2020-01)",
        f"{path}:7: experience[1].start: '2020/01' is not a month (use YYYY-MM)",
    ]


def test_broken_yaml_names_the_line(tmp_path):
    path = write(tmp_path, "program: cpo\napplicant: [Jane\n")
    with pytest.raises(ApplicationError) as exc:
        load_application(path)
    assert len(exc.value.problems) == 1 and exc.value.problems[0].startswith(f"{path}:3: invalid YAML")


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "plain text\n"])
def test_not_a_mapping(tmp_path, text):
    with pytest.raises(ApplicationError, match="expected a mapping"):
        load_application(write(tmp_path, text))


def test_unknown_education_level_and_negative_hours(tmp_path):
    path = write(tmp_path, "program: cpo\napplicant: X\napplied_on: 2026-01-01\neducation: phd\npaid_hours: -5\n")
    with pytest.raises(ApplicationError) as exc:
        load_application(path)
    assert [p.split(": ")[1] for p in exc.value.problems] == ["education", "paid_hours"]
    assert "is not one of none, high_school, associate, bachelor, advanced" in exc.value.problems[0]


def test_paths_are_relative_to_the_file(tmp_path):
    assert resolve(tmp_path / "sub/app.yaml", "hours.csv") == tmp_path / "sub/hours.csv"
    assert resolve(tmp_path / "sub/app.yaml", "/abs/hours.csv") == Path("/abs/hours.csv")


def test_missing_hours_log_and_bad_columns_are_user_errors(tmp_path, settings):
    path = write(tmp_path, "program: cpo\napplicant: X\napplied_on: 2026-01-01\nhours_log: hours.csv\n")
    with pytest.raises(ApplicationError, match=r"hours\.csv: cannot read"):
        check_application(settings, path)
    (tmp_path / "hours.csv").write_text("date,hours\n2025-01-01,3\n")
    with pytest.raises(ApplicationError) as exc:
        check_application(settings, path)
    assert [p.rsplit(": ", 1)[1] for p in exc.value.problems] == [
        "missing column 'client'",
        "missing column 'activity'",
        "missing column 'paid'",
    ]


def test_missing_narrative_is_reported_per_project(tmp_path, settings):
    path = write(
        tmp_path,
        "program: cpt\napplicant: X\napplied_on: 2026-01-01\nprojects:\n"
        "  - {title: A, narrative: a.md}\n  - {title: B, narrative: b.md}\n",
    )
    with pytest.raises(ApplicationError) as exc:
        check_application(settings, path)
    assert len(exc.value.problems) == 2
    assert "projects[0].narrative" in exc.value.problems[0] and "projects[1].narrative" in exc.value.problems[1]


def test_unknown_program(tmp_path, settings):
    path = write(tmp_path, "program: cma\napplicant: X\napplied_on: 2026-01-01\n")
    with pytest.raises(ApplicationError, match="unknown program 'cma'"):
        check_application(settings, path)


def test_cpo_example_numbers(settings):
    result = check_application(settings, EXAMPLES / "cpo/application.yaml")
    hours = result.hours
    assert hours is not None
    # the 5-year window is the version in force for 2026 (since 2020); the 2021 rows fall outside either
    assert hours.window_years == 5 and hours.window_start == "2021-11-01"
    assert hours.paid_in_window == 1240
    assert hours.rejected_hours == {
        "outside the window": 140,
        "unpaid work does not count": 48,
        "duplicate of an earlier row": 4,
        "dated after the application date": 5,
        "date '15/03/2025' is not a date": 3,
    }
    assert hours.degree_credit == 75 and hours.substitute_counted == 115
    assert hours.total_counted == 1355 and hours.missing == 145
    assert not result.eligible
    assert [r.id for r in result.fix_first()] == ["paid_hours"]
    requirement = result.requirements[0]
    assert requirement.uncertain
    assert requirement.source == "paid-hours (N1, N2, N17, N8); substitute-hours (N1, N2); degree-credit (N2)"
    # the other version is worked out too, so staff see whether the uncertainty matters for this applicant
    assert (
        "under the 3-year window (the version in force until 2019-12-31; named by N1, N2, uncertain), "
        "1,240 paid hours would count (145 short)" in requirement.detail
    )
    assert (
        "Applied for 2026-11-01: Window before applying in which paid hours count: the version in force "
        "since 2020-01-01." in requirement.detail
    )
