"""Recertification by credits per cycle (CPT points, CPO CEUs, PMP PDUs...), for any program whose
``checks.yaml`` has a ``recertification`` entry: the total, minimums per category, caps per category, and
the filing deadline (the cycle's end, or a table of deadlines by anniversary).

Credit logs are CSV files (date, activity, the program's amount column, and optionally ``category`` and
yes/no flag columns); every row that does not count says why, with its line number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from pydantic import BaseModel, Field

from app.eligibility.citing import cite
from app.eligibility.dates import parse_date
from app.eligibility.hours_log import YES, HoursLogError, csv_records
from app.eligibility.models import RejectedRow, Requirement
from app.knowledge.checks import CreditsPerCycle
from app.knowledge.schema import KnowledgeBase


class RecertError(ValueError):
    """The program has no recertification rules certprep can check."""


class CreditRow(BaseModel):
    line: int
    day: dt.date | None
    activity: str
    amount: float | None
    categories: set[str] = Field(default_factory=set)
    reason: str | None = None


class RecertResult(BaseModel):
    program: str
    unit: str
    cycle_start: dt.date
    cycle_end: dt.date
    deadline: dt.date | None
    earned: float = Field(description="Credits that count toward the total, after caps.")
    required: float
    category_earned: dict[str, float] = Field(default_factory=dict, description="Counted credits per category.")
    requirements: list[Requirement]
    rejected_rows: list[RejectedRow] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    @property
    def met(self) -> bool:
        return all(r.met for r in self.requirements)

    def public(self) -> dict:
        """The JSON of `certprep recert --json` and the HTTP API: every field, plus the verdict."""
        return self.model_dump(mode="json") | {"met": self.met}


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def spec_of(kb: KnowledgeBase) -> CreditsPerCycle:
    if kb.checks is None or kb.checks.recertification is None:
        raise RecertError(f"program {kb.program.id!r} has no recertification rules in its knowledge base")
    return kb.checks.recertification


def log_column(kb: KnowledgeBase) -> str:
    """The credit log's amount column for this program (points, ceus, pdus...)."""
    return spec_of(kb).column


def parse_credit_log(
    text: str, amount_column: str, name: str = "log", spec: CreditsPerCycle | None = None
) -> list[CreditRow]:
    reader = csv.DictReader(io.StringIO(text, newline=""))  # lone \r and \r\n are line ends
    if not reader.fieldnames:
        raise HoursLogError([f"{name}: the file is empty; expected columns date, activity, {amount_column}"])
    columns = {(c or "").strip().lower(): c for c in reader.fieldnames}
    missing = [c for c in ("date", "activity", amount_column) if c not in columns]
    if missing:
        raise HoursLogError([f"{name}: missing column {c!r}" for c in missing])
    known = {c.id for c in spec.categories} if spec else set()
    flags = list(spec.flag_columns) if spec else ["ethics"]
    rows = []
    for record in csv_records(reader, name):
        get = {key: (record.get(original) or "").strip() for key, original in columns.items()}
        row = CreditRow(line=reader.line_num, day=None, activity=get.get("activity", ""), amount=None)
        try:
            row.day = parse_date(get["date"])
        except ValueError:
            row.reason = f"date {get['date']!r} is not a date (use YYYY-MM-DD)"
        try:
            row.amount = float(get[amount_column].replace(",", "."))
        except ValueError:
            row.reason = row.reason or f"{amount_column} {get[amount_column]!r} is not a number"
        for flag in flags:
            if get.get(flag, "").lower() in YES:
                row.categories.add(flag)
        for tag in filter(None, (t.strip().lower().replace(" ", "_") for t in get.get("category", "").split(";"))):
            if spec and tag not in known:
                row.reason = row.reason or f"category {tag!r} is not one of {', '.join(sorted(known))}"
            row.categories.add(tag)
        rows.append(row)
    return rows


def read_credit_log(path: Path, kb: KnowledgeBase) -> list[CreditRow]:
    spec = spec_of(kb)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise HoursLogError([f"{path}: cannot read ({exc.strerror or exc})"]) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return parse_credit_log(text, spec.column, str(path), spec)


def _count(rows: list[CreditRow], start: dt.date, end: dt.date, today: dt.date) -> None:
    seen: set[tuple] = set()
    for row in rows:
        if row.reason:
            continue
        assert row.day is not None and row.amount is not None
        key = (row.day, row.activity.lower(), row.amount)
        if row.amount <= 0:
            row.reason = "zero or negative"
        elif row.day > today:
            row.reason = f"dated in the future (after {today.isoformat()})"
        elif not start <= row.day <= end:
            row.reason = f"outside the cycle ({start.isoformat()} to {end.isoformat()})"
        elif key in seen:
            row.reason = "duplicate of an earlier row"
        seen.add(key)


def deadline_by_table(kb: KnowledgeBase, anniversary: dt.date) -> dt.date:
    """The first deadline on or after the anniversary, by the table of anniversary ranges (MM-DD)."""
    spec = spec_of(kb)
    if spec.deadline_table is None:
        return anniversary
    md = anniversary.strftime("%m-%d")
    for entry in kb.value(spec.deadline_table, anniversary):  # type: ignore[union-attr]
        lo, hi, deadline = entry["anniversary_from"], entry["anniversary_to"], entry["deadline"]
        inside = lo <= md <= hi if lo <= hi else (md >= lo or md <= hi)
        if inside:
            month, day = (int(x) for x in deadline.split("-"))
            candidate = dt.date(anniversary.year, month, day)
            return candidate if candidate >= anniversary else dt.date(anniversary.year + 1, month, day)
    raise ValueError(f"no deadline rule covers the anniversary {md}; check {spec.deadline_table} in the knowledge base")


def _num(value: float) -> str:
    return f"{value:g}"


def check_recert(kb: KnowledgeBase, anniversary: dt.date, rows: list[CreditRow], today: dt.date) -> RecertResult:
    """``anniversary``: the day the current cycle ends (the certificate's date plus the cycle length).
    Credits count from the cycle's start to its end, or to the filing deadline where the program allows."""
    spec = spec_of(kb)
    unit = spec.unit
    cycle = int(kb.value(spec.cycle_years, anniversary))
    required = float(kb.value(spec.required, anniversary))
    start = add_years(anniversary, -cycle)
    deadline = deadline_by_table(kb, anniversary)
    _count(rows, start, deadline if spec.count_until_deadline else anniversary, today)
    counted = [r for r in rows if not r.reason]
    warnings: list[str] = []

    category_earned: dict[str, float] = {}
    for category in spec.categories:
        category_earned[category.id] = sum(r.amount or 0 for r in counted if category.id in r.categories)
    # caps apply in the order listed, narrowest first (a sub-cap inside a wider one): each scales down the
    # amounts still counting in its categories, so a row is never taken off twice
    counts = {id(r): r.amount or 0.0 for r in counted}
    cap_notes = []
    for cap in spec.caps:
        maximum = float(kb.value(cap.maximum, anniversary))
        inside = [r for r in counted if r.categories & set(cap.categories)]
        logged = sum(r.amount or 0 for r in inside)
        counting = sum(counts[id(r)] for r in inside)
        if counting > maximum:
            for r in inside:
                counts[id(r)] *= maximum / counting
            cap_notes.append(f"{cap.label}: {_num(logged)} logged, at most {_num(maximum)} count")
    earned = round(sum(counts.values()), 2)

    citation = cite(kb, [spec.required, spec.cycle_years, *(c.maximum for c in spec.caps)], anniversary)
    total = kb.resolve(spec.required, anniversary)
    end_text = f"the deadline {deadline.isoformat()}" if spec.count_until_deadline else anniversary.isoformat()
    detail = f"{_num(earned)} of {_num(required)} {unit} count between {start.isoformat()} and {end_text}"
    detail += f"; {_num(required - earned)} still needed." if earned < required else "."
    if cap_notes:
        detail += " Capped: " + "; ".join(cap_notes) + "."
    others = [a for a in total.alternatives if float(a.value) != required]
    if others:
        detail += (
            f" Other sources ask for {', '.join(_num(float(a.value)) for a in others)} {unit}; "
            f"the rule in force is used."
        )
        higher = max(float(a.value) for a in others)
        if earned < higher:
            warnings.append(f"{_num(earned)} {unit} would not meet the other requirement of {_num(higher)}")
    requirements = [
        Requirement(
            id=spec.column,
            title=f"{_num(required)} {unit} in the {cycle}-year cycle",
            met=earned >= required,
            detail=detail,
            source=citation.source,
            uncertain=citation.uncertain,
            why_uncertain=citation.why,
        )
    ]
    for minimum in spec.minimums:
        need = float(kb.value(minimum.minimum, anniversary))
        have = sum(r.amount or 0 for r in counted if r.categories & set(minimum.categories))
        labels = {c.id: c.label for c in spec.categories}
        named = ", ".join(labels[c] for c in minimum.categories)
        c = cite(kb, [minimum.minimum], anniversary)
        requirements.append(
            Requirement(
                id=minimum.id,
                title=minimum.label.format_map({minimum.minimum: _num(need)}),
                met=have >= need,
                detail=f"{_num(have)} {unit} recorded in {named}; at least {_num(need)} needed.",
                source=c.source,
                uncertain=c.uncertain,
                why_uncertain=c.why,
            )
        )
    c = cite(kb, [spec.deadline_table or spec.cycle_years], anniversary)
    left = (deadline - today).days
    requirements.append(
        Requirement(
            id="deadline",
            title="Recertification filed by the deadline",
            met=today <= deadline,
            detail=(
                f"The anniversary {anniversary.isoformat()} falls in the range due on {deadline:%d %B %Y}; "
                if spec.deadline_table
                else f"The cycle ends on {deadline:%d %B %Y}; "
            )
            + (f"{left} days left." if left >= 0 else "the deadline has passed."),
            source=c.source,
            uncertain=c.uncertain,
            why_uncertain=c.why,
        )
    )
    rejected = [RejectedRow(row=r.line, reason=r.reason, hours=r.amount) for r in rows if r.reason]
    if rejected:
        warnings.append(f"{len(rejected)} row(s) of the {unit} log do not count (see rejected rows)")
    return RecertResult(
        program=kb.program.id,
        unit=unit,
        cycle_start=start,
        cycle_end=anniversary,
        deadline=deadline,
        earned=earned,
        required=required,
        category_earned=category_earned,
        requirements=requirements,
        rejected_rows=rejected,
        warnings=warnings,
    )
