"""The gap report says the same thing in Markdown, DOCX and PDF, gaps first, and shows narrative text
literally."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from docx import Document as DocxDocument
from pypdf import PdfReader

from app.eligibility.models import Requirement
from app.mapping.models import Analysis, Evidence, ProjectResult, StandardResult, Status
from app.reports.gap_report import (
    coverage_csv,
    escape_markdown,
    report_blocks,
    table_csv,
    to_docx,
    to_markdown,
    to_pdf,
)
from app.storage.models import Comment


def _standard(sid, title, status, evidence=(), criteria=(), suggestion=None):
    return StandardResult(
        id=sid,
        title=title,
        status=status,
        confidence=0.8,
        evidence=[Evidence(text=t, start=0, end=len(t), strength=0.7) for t in evidence],
        criteria_met=list(criteria),
        suggestion=suggestion,
    )


@pytest.fixture
def analysis() -> Analysis:
    hotel = ProjectResult(
        source="Hotel check-in",
        standards=[
            _standard(
                "S1", "Focus on Results", Status.demonstrated, ["We cut check-in from 9 to 4 minutes."], ["S1.C5"]
            ),
            _standard("S2", "Take a Systemic View", Status.missing, suggestion="Nothing shows a systemic view yet."),
            _standard("S3", "Add Value", Status.partial, ["<script>alert(1)</script> *saved* money"]),
        ],
    )
    plant = ProjectResult(
        source='=HYPERLINK("x") plant',
        standards=[
            _standard("S1", "Focus on Results", Status.partial),
            _standard("S2", "Take a Systemic View", Status.demonstrated),
            _standard("S3", "Add Value", Status.missing),
        ],
    )
    return Analysis(
        program="cpt",
        projects=[hotel, plant],
        coverage={"S1": 1, "S2": 1, "S3": 0},
        requirements=[
            Requirement(
                id="standards",
                title="Every standard demonstrated",
                met=False,
                detail="S3 is in no project",
                source="standards-per-project (I1)",
                uncertain=True,
            )
        ],
    )


COMMENT = Comment(id=1, draft_id=1, standard_id="S2", author="Alex", text="Ask about the front desk.", created_at="t")


def test_markdown_puts_gaps_first_and_escapes_narrative_text(analysis):
    md = to_markdown(report_blocks(analysis, comments={"Hotel check-in": [COMMENT]}, today=date(2026, 11, 23)))
    assert "2026-11-23" in md
    section = md[md.index("## Project: Hotel") :]
    order = [section.index(f"### {sid} ") for sid in ("S2", "S3", "S1")]
    assert order == sorted(order), "missing, then partial, then demonstrated"
    assert "\\<script\\>alert(1)\\</script\\> \\*saved\\* money" in section
    assert "Mentor (Alex): Ask about the front desk." in section
    assert "Not met: Every standard demonstrated: S3 is in no project (rule uncertain)" in md
    assert "| Hotel check-in | demonstrated | missing | partial |" in md


def test_docx_and_pdf_carry_the_same_content(analysis):
    blocks = report_blocks(analysis, comments={"Hotel check-in": [COMMENT]})
    doc = DocxDocument(io.BytesIO(to_docx(blocks)))
    paragraphs = [p.text for p in doc.paragraphs]
    assert "S2 Take a Systemic View: missing (0.80)" in paragraphs
    assert "Evidence: \u201c<script>alert(1)</script> *saved* money\u201d (strength 0.70)" in paragraphs
    assert [c.text for c in doc.tables[0].rows[1].cells] == ["Hotel check-in", "demonstrated", "missing", "partial"]

    pdf = to_pdf(blocks)
    assert pdf.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "S2 Take a Systemic View: missing (0.80)" in text
    assert "Mentor (Alex): Ask about the front desk." in text


def test_pdf_export_survives_characters_outside_latin1(analysis):
    analysis.projects[0].standards[0].evidence[0].text = "مرحبا 👋 — “quoted” 漢字"
    text = PdfReader(io.BytesIO(to_pdf(report_blocks(analysis)))).pages[0].extract_text()
    assert text  # rendered, with unsupported characters replaced instead of failing the export


def test_coverage_csv_has_one_row_per_project_and_neutralises_formulas(analysis):
    rows = list(csv.reader(io.StringIO(coverage_csv(analysis))))
    assert rows[0] == ["project", "S1", "S2", "S3"]
    assert rows[1] == ["Hotel check-in", "demonstrated", "missing", "partial"]
    assert rows[2][0] == '\'=HYPERLINK("x") plant'
    assert rows[3] == ["demonstrated in", "1", "1", "0"]
    assert table_csv(["a", "b"], [["@SUM(1)", 3]]) == "a,b\n'@SUM(1),3\n"


def test_escape_markdown_neutralises_structure():
    assert escape_markdown("# Title\n- item\n1. first\n[link](http://x) _em_ | pipe") == (
        "\\# Title\n\\- item\n1\\. first\n\\[link\\](http://x) \\_em\\_ \\| pipe"
    )


def test_pdf_matrix_of_ten_standards_breaks_no_status_word():
    statuses = [Status.demonstrated, Status.partial, Status.missing] * 3 + [Status.demonstrated]
    project = ProjectResult(
        source="A project with a rather long title indeed",
        standards=[_standard(f"S{i}", f"Standard {i}", s) for i, s in enumerate(statuses, 1)],
    )
    analysis = Analysis(program="cpt", projects=[project], coverage={f"S{i}": 1 for i in range(1, 11)}, requirements=[])
    pdf = to_pdf(report_blocks(analysis))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    matrix = text[text.index("Coverage") :]
    assert matrix.count("demonstrated") >= 4 and "demonstrat\n" not in matrix and "demonstra\n" not in matrix
