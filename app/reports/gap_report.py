"""The gap report a candidate or mentor downloads: the same content as Markdown, DOCX and PDF, plus the
coverage matrix as CSV.

The content is built once as a list of blocks and each format only lays the blocks out, so the three
documents cannot drift apart. Narrative text is data: it is escaped for Markdown and never interpreted.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from app.mapping.models import Analysis, ProjectResult, Status
from app.reviews.verdicts import StandardReview
from app.storage.models import Comment

Reviews = dict[str, dict[str, StandardReview]]  # project source -> standard id -> engine beside reviewer

GAP_ORDER = {Status.missing: 0, Status.partial: 1, Status.demonstrated: 2}


@dataclass
class Block:
    kind: str  # heading | paragraph | bullets | table
    text: str = ""
    level: int = 1
    items: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def gaps_first(project: ProjectResult):
    return sorted(project.standards, key=lambda r: (GAP_ORDER[r.status], int(r.id[1:]) if r.id[1:].isdigit() else 0))


def report_blocks(
    analysis: Analysis,
    title: str | None = None,
    comments: dict[str, list[Comment]] | None = None,
    today: date | None = None,
    reviews: Reviews | None = None,
) -> list[Block]:
    """``comments`` maps a project's source to the mentor's comments on that draft; ``reviews`` to each
    standard's reviewer verdict beside the engine's status."""
    comments, reviews = comments or {}, reviews or {}
    blocks = [
        Block("heading", title or f"Gap report: {analysis.program.upper()}", level=1),
        Block(
            "paragraph",
            f"Prepared by certprep on {(today or date.today()).isoformat()}. "
            "Statuses come from the narrative check; a reviewer's judgement is final.",
        ),
    ]
    if analysis.requirements:
        blocks.append(Block("heading", "Program requirements", level=2))
        blocks.append(
            Block(
                "bullets",
                items=[
                    f"{'Met' if r.met else 'Not met'}: {r.title or r.id}: {r.detail}"
                    + (" (rule uncertain)" if r.uncertain else "")
                    for r in analysis.requirements
                ],
            )
        )
    if analysis.projects:
        ids = [s.id for s in analysis.projects[0].standards]
        blocks.append(Block("heading", "Coverage", level=2))
        blocks.append(
            Block(
                "table",
                header=["Project", *ids],
                rows=[[p.source, *[_cell(p, i, reviews) for i in ids]] for p in analysis.projects]
                + [["Demonstrated in", *[str(analysis.coverage.get(i, 0)) for i in ids]]],
            )
        )
    for project in analysis.projects:
        blocks.append(Block("heading", f"Project: {project.source}", level=2))
        if project.warnings:
            blocks.append(Block("bullets", items=[f"Note: {w}" for w in project.warnings]))
        by_standard: dict[str | None, list[Comment]] = {}
        for comment in comments.get(project.source, []):
            by_standard.setdefault(comment.standard_id, []).append(comment)
        for result in gaps_first(project):
            review = reviews.get(project.source, {}).get(result.id)
            verdict = f"; reviewer: {review.label()}" if review and review.verdict else ""
            blocks.append(
                Block(
                    "heading",
                    f"{result.id} {result.title}: {result.status.value} ({result.confidence:.2f}){verdict}",
                    level=3,
                )
            )
            if result.suggestion:
                blocks.append(Block("paragraph", result.suggestion))
            items = [f"Evidence: \u201c{ev.text}\u201d (strength {ev.strength:.2f})" for ev in result.evidence]
            if result.criteria_met:
                items.append("Criteria met: " + ", ".join(result.criteria_met))
            if review and review.verdict:
                items.append(_verdict_line(review))
            items += [f"Mentor ({c.author}): {c.text}" for c in by_standard.get(result.id, [])]
            if items:
                blocks.append(Block("bullets", items=items))
        general = by_standard.get(None, [])
        if general:
            blocks.append(Block("heading", "Mentor's general comments", level=3))
            blocks.append(Block("bullets", items=[f"{c.author}: {c.text}" for c in general]))
    return blocks


def _cell(project: ProjectResult, standard_id: str, reviews: Reviews) -> str:
    """The engine's status, and the reviewer's when it is for this version and differs."""
    engine = project.status(standard_id).value
    review = reviews.get(project.source, {}).get(standard_id)
    if review and review.current and review.final.value != engine:
        return f"{engine}; reviewer: {review.final.value}"
    return engine


def _verdict_line(review: StandardReview) -> str:
    v = review.verdict
    assert v is not None
    word = "overrides the engine" if v.overrides else "confirms the engine"
    stale = "" if review.current else f" (given on v{v.version}; not yet looked at again)"
    line = f"Reviewer verdict ({v.reviewer}, v{v.version}): {v.status}, {word}{stale}"
    if v.reason:
        line += f". Reason: {v.reason}"
    if v.evidence:
        line += ". Evidence relied on: " + " ".join(f"\u201c{q}\u201d" for q in v.evidence.splitlines())
    return line


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+-]|\d+[.)])", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """Enough escaping that narrative text shows literally: no emphasis, links, HTML, tables or headings."""

    def line_start(m: re.Match) -> str:
        marker = m.group(2)
        return m.group(1) + marker[:-1] + "\\" + marker[-1]

    return _MD_LINE_START.sub(line_start, _MD_SPECIAL.sub(r"\\\1", text))


def to_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if b.kind == "heading":
            out.append("#" * b.level + " " + escape_markdown(b.text))
        elif b.kind == "paragraph":
            out.append(escape_markdown(b.text))
        elif b.kind == "bullets":
            out.append("\n".join(f"- {escape_markdown(i)}" for i in b.items))
        elif b.kind == "table":
            cells = [[escape_markdown(c) for c in row] for row in [b.header, *b.rows]]
            lines = ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * len(b.header)]
            lines += ["| " + " | ".join(row) + " |" for row in cells[1:]]
            out.append("\n".join(lines))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def to_docx(blocks: list[Block]) -> bytes:
    from docx import Document

    doc = Document()
    for b in blocks:
        if b.kind == "heading":
            doc.add_heading(b.text, level=min(b.level - 1, 3) if b.level > 1 else 0)
        elif b.kind == "paragraph":
            doc.add_paragraph(b.text)
        elif b.kind == "bullets":
            for item in b.items:
                doc.add_paragraph(item, style="List Bullet")
        elif b.kind == "table":
            table = doc.add_table(rows=1 + len(b.rows), cols=len(b.header))
            table.style = "Table Grid"
            for r, row in enumerate([b.header, *b.rows]):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


_PDF_REPLACEMENTS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u2022": "-",
        "\u00a0": " ",
        "\u2212": "-",
        "\u2192": "->",
    }
)


def _latin1(text: str) -> str:
    """The PDF uses the built-in Helvetica (no font file to ship), which covers Latin-1 only; other
    characters become '?' rather than failing the export."""
    return text.translate(_PDF_REPLACEMENTS).encode("latin-1", "replace").decode("latin-1")


def to_pdf(blocks: list[Block]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw
    sizes = {1: 16, 2: 13, 3: 11}
    for b in blocks:
        if b.kind == "heading":
            pdf.set_font("Helvetica", "B", sizes.get(b.level, 11))
            pdf.multi_cell(width, 7, _latin1(b.text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif b.kind == "paragraph":
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(width, 5, _latin1(b.text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif b.kind == "bullets":
            pdf.set_font("Helvetica", "", 10)
            for item in b.items:
                pdf.multi_cell(width, 5, _latin1("- " + item), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif b.kind == "table":
            first = min(40.0, width / 4)
            rest = (width - first) / max(1, len(b.header) - 1)
            _fit_font(pdf, [value for row in [b.header, *b.rows] for value in row[1:]], rest - 2.5)
            with pdf.table(col_widths=(first, *[rest] * (len(b.header) - 1)), text_align="LEFT") as table:
                for row in [b.header, *b.rows]:
                    cells = table.row()
                    for value in row:
                        cells.cell(_latin1(value))
            pdf.ln(2)
    return bytes(pdf.output())


def _fit_font(pdf, values: list[str], room: float, largest: float = 7.0, smallest: float = 5.0) -> None:
    """The largest font size at which no word of ``values`` is broken across lines in a ``room``-mm cell
    ("demonstrat/ed" in a ten-standard matrix)."""
    words = [w for value in values for w in _latin1(value).split()] or [""]
    size = largest
    while size > smallest:
        pdf.set_font("Helvetica", "", size)
        if max(pdf.get_string_width(w) for w in words) <= room:
            return
        size -= 0.25
    pdf.set_font("Helvetica", "", smallest)


def coverage_csv(analysis: Analysis, reviews: Reviews | None = None) -> str:
    """One row per project, one column per standard (the engine's status), then the count of demonstrating
    projects. With reviewer verdicts, a column per standard with the reviewer's (``from v2``: given on an
    earlier version)."""
    ids = [s.id for s in analysis.projects[0].standards] if analysis.projects else list(analysis.coverage)
    reviews = reviews or {}
    reviewed = any(r.verdict for project in reviews.values() for r in project.values())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["project", *ids, *([f"{i} reviewer" for i in ids] if reviewed else [])])
    for project in analysis.projects:
        row = [_csv_safe(project.source), *[project.status(i).value for i in ids]]
        if reviewed:
            row += [_reviewer_cell(reviews.get(project.source, {}).get(i)) for i in ids]
        writer.writerow(row)
    writer.writerow(["demonstrated in", *[analysis.coverage.get(i, 0) for i in ids]])
    return buffer.getvalue()


def _reviewer_cell(review: StandardReview | None) -> str:
    if review is None or review.verdict is None:
        return ""
    return review.verdict.status + ("" if review.current else f" (from v{review.verdict.version})")


def _csv_safe(value: str) -> str:
    """A cell starting with = + - @ would run as a formula in a spreadsheet: prefix it with a quote."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def table_csv(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_safe(v) if isinstance(v, str) else v for v in row])
    return buffer.getvalue()
