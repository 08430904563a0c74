"""Staff batch screening: one row per application, problems named, nothing read outside the upload."""

from __future__ import annotations

import csv
import io

import pytest

from app.config import REPO_ROOT
from app.eligibility.screening import SCREENING_HEADER, screen
from app.reports.gap_report import table_csv

EXAMPLES = REPO_ROOT / "examples"

pytestmark = pytest.mark.slow


def _files(*paths):
    return {p.name: p.read_bytes() for p in paths}


def test_screening_the_examples_gives_one_row_each(settings):
    files = _files(EXAMPLES / "cpo/application.yaml", EXAMPLES / "cpo/hours.csv")
    files["sam-cpt.yaml"] = (EXAMPLES / "cpt/application.yaml").read_bytes()
    files |= _files(*sorted((EXAMPLES / "cpt/projects").glob("*.md")))
    files["broken.yaml"] = b"program: cpo\napplicant: [unclosed\n"
    rows = {r.file: r for r in screen(settings, files)}
    assert set(rows) == {"application.yaml", "sam-cpt.yaml", "broken.yaml"}
    jane = rows["application.yaml"]
    assert (jane.applicant, jane.program, jane.eligible) == ("Jane Doe", "cpo", False)
    assert jane.unmet[0].startswith("1,500 hours of paid work in the 5 years before applying: 1,355 of the 1,500")
    sam = rows["sam-cpt.yaml"]
    assert (sam.applicant, sam.program) == ("Sam Rivera", "cpt") and sam.problems == []
    # experience, projects and attestations pass on the rules; whether every standard is demonstrated is
    # the mapping engine's judgement (tests/mapping), so only that requirement may stand between Sam and a yes
    assert all(line.startswith("Every standard demonstrated") for line in sam.unmet)
    assert sam.eligible is (sam.unmet == [])
    assert {"Signed attestations from a client or supervisor for each project"} <= set(sam.uncertain)
    assert any(u.startswith("Every standard demonstrated") for u in sam.uncertain)  # titles, not internal ids
    broken = rows["broken.yaml"]
    assert broken.eligible is None and broken.problems[0].startswith("broken.yaml:")
    assert "invalid YAML" in broken.problems[0]
    table = list(csv.reader(io.StringIO(table_csv(SCREENING_HEADER, [r.cells() for r in rows.values()]))))
    assert table[0] == SCREENING_HEADER and len(table) == 4
    sam_verdict = "eligible" if sam.eligible else "not eligible"
    assert sorted(row[3] for row in table[1:]) == sorted(["cannot check", "not eligible", sam_verdict])


def test_an_application_cannot_point_outside_the_upload(settings, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("private client notes " * 20)
    app_yaml = (
        "program: cpt\napplicant: X\napplied_on: 2026-11-01\nethics_agreed: true\n"
        "experience: [{role: r, start: 2019-01, end: present}]\n"
        f"projects:\n  - {{title: T, narrative: ../../{secret.name}}}\n"
        "  - {title: U, narrative: missing.md}\n"
    )
    [row] = screen(settings, {"x.yaml": app_yaml.encode()})
    assert row.eligible is None
    assert (row.applicant, row.program) == ("X", "cpt"), "whose row it is, even when a file is missing"
    assert any("points outside the uploaded files" in p for p in row.problems)
    assert any("names 'missing.md', which was not uploaded with it" in p for p in row.problems)
