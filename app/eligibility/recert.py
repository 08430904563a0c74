"""Recertification: CPT points and deadline from the anniversary date; CPO CEUs with the ethics minimum.

Credit logs are CSV files (date, activity, and `points` for CPT or `ceus` plus `ethics` for CPO); every row
that does not count says why, with its line number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from pydantic import BaseModel, Field

from app.eligibility.dates import parse_date
from app.eligibility.hours_log import YES, HoursLogError
from app.eligibility.models import RejectedRow, Requirement
from app.knowledge.schema import KnowledgeBase


class CreditRow(BaseModel):
    line: int
    day: dt.date | None
    activity: str
    amount: float | None
    ethics: bool = False
    reason: str | None = None


class RecertResult(BaseModel):
    program: str
    cycle_start: dt.date
    cycle_end: dt.date
    deadline: dt.date | None
    earned: float
    required: float
    ethics_earned: float | None = None
    requirements: list[Requirement]
    rejected_rows: list[RejectedRow] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    @property
    def met(self) -> bool:
        return all(r.met for r in self.requirements)


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def parse_credit_log(text: str, amount_column: str, name: str = "log") -> list[CreditRow]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise HoursLogError([f"{name}: the file is empty; expected columns date, activity, {amount_column}"])
    columns = {(c or "").strip().lower(): c for c in reader.fieldnames}
    missing = [c for c in ("date", "activity", amount_column) if c not in columns]
    if missing:
        raise HoursLogError([f"{name}: missing column {c!r}" for c in missing])
    rows = []
    for record in reader:
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
        row.ethics = get.get("ethics", "").lower() in YES
        rows.append(row)
    return rows


def read_credit_log(path: Path, amount_column: str) -> list[CreditRow]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise HoursLogError([f"{path}: cannot read ({exc.strerror or exc})"]) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return parse_credit_log(text, amount_column, str(path))


def _count(rows: list[CreditRow], start: dt.date, end: dt.date, today: dt.date) -> list[CreditRow]:
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
    return rows


def cpt_deadline(kb: KnowledgeBase, anniversary: dt.date) -> dt.date:
    """The first deadline on or after the anniversary, by the table of anniversary ranges (MM-DD)."""
    table = kb.value("recert_deadlines")
    md = anniversary.strftime("%m-%d")
    for entry in table:  # type: ignore[union-attr]
        lo, hi, deadline = entry["anniversary_from"], entry["anniversary_to"], entry["deadline"]
        inside = lo <= md <= hi if lo <= hi else (md >= lo or md <= hi)
        if inside:
            month, day = (int(x) for x in deadline.split("-"))
            candidate = dt.date(anniversary.year, month, day)
            return candidate if candidate >= anniversary else dt.date(anniversary.year + 1, month, day)
    raise ValueError(f"no deadline rule covers the anniversary {md}; check recert_deadlines in the knowledge base")


def _cite(kb: KnowledgeBase, parameter_id: str) -> tuple[str, bool]:
    rule, param = kb.parameters()[parameter_id]
    return f"{rule.id} ({', '.join(param.current_provenance.sources)})", param.uncertain


def _rejected(rows: list[CreditRow]) -> list[RejectedRow]:
    return [RejectedRow(row=r.line, reason=r.reason, hours=r.amount) for r in rows if r.reason]


def check_cpt_recert(kb: KnowledgeBase, anniversary: dt.date, rows: list[CreditRow], today: dt.date) -> RecertResult:
    """``anniversary``: the certification anniversary that ends the current cycle (the date on the certificate
    plus the cycle length); points count from the cycle's start up to the filing deadline."""
    cycle = int(kb.value("recert_cycle_years"))
    required = float(kb.value("recert_points_required"))
    certified_on = add_years(anniversary, -cycle)
    deadline = cpt_deadline(kb, anniversary)
    _count(rows, certified_on, deadline, today)
    earned = sum(r.amount or 0 for r in rows if not r.reason)
    source, uncertain = _cite(kb, "recert_points_required")
    dl_source, _ = _cite(kb, "recert_deadlines")
    missing = max(0.0, required - earned)
    requirements = [
        Requirement(
            id="points",
            title=f"{required:g} recertification points in the {cycle}-year cycle",
            met=missing == 0,
            detail=f"{earned:g} of {required:g} points count between {certified_on.isoformat()} and the "
            f"deadline {deadline.isoformat()}" + (f"; {missing:g} still needed." if missing else "."),
            source=source,
            uncertain=uncertain,
        ),
        Requirement(
            id="deadline",
            title="Recertification filed by the deadline",
            met=today <= deadline,
            detail=f"The anniversary {anniversary.isoformat()} falls in the range due on {deadline:%d %B %Y}; "
            + (f"{(deadline - today).days} days left." if today <= deadline else "the deadline has passed."),
            source=dl_source,
        ),
    ]
    warnings = []
    if any(r.reason for r in rows):
        warnings.append(f"{sum(1 for r in rows if r.reason)} row(s) of the points log do not count (see rejected rows)")
    return RecertResult(
        program=kb.program.id,
        cycle_start=certified_on,
        cycle_end=anniversary,
        deadline=deadline,
        earned=earned,
        required=required,
        requirements=requirements,
        rejected_rows=_rejected(rows),
        warnings=warnings,
    )


def check_cpo_recert(kb: KnowledgeBase, anniversary: dt.date, rows: list[CreditRow], today: dt.date) -> RecertResult:
    """``anniversary``: the date the current certification cycle ends; CEUs count inside the cycle."""
    cycle = int(kb.value("recert_cycle_years"))
    param = kb.parameter("recert_ceus_required")
    required = float(param.current)
    min_ethics = float(kb.value("recert_min_ethics_ceus"))
    end = anniversary
    certified_on = add_years(anniversary, -cycle)
    _count(rows, certified_on, end, today)
    counted = [r for r in rows if not r.reason]
    earned = sum(r.amount or 0 for r in counted)
    ethics = sum(r.amount or 0 for r in counted if r.ethics)
    source, uncertain = _cite(kb, "recert_ceus_required")
    eth_source, eth_uncertain = _cite(kb, "recert_min_ethics_ceus")
    other = [o for o in (param.options or []) if o.id != param.active]
    note = ""
    if other:
        note = " Older sources ask for " + ", ".join(f"{o.value:g}" for o in other) + " CEUs; the current rule is used."
    warnings = []
    if other and earned < max(float(o.value) for o in other):
        warnings.append(
            f"{earned:g} CEUs would not meet the older requirement of {max(float(o.value) for o in other):g}"
        )
    return RecertResult(
        program=kb.program.id,
        cycle_start=certified_on,
        cycle_end=end,
        deadline=end,
        earned=earned,
        required=required,
        ethics_earned=ethics,
        requirements=[
            Requirement(
                id="ceus",
                title=f"{required:g} CEUs in the {cycle}-year cycle",
                met=earned >= required,
                detail=f"{earned:g} of {required:g} CEUs count between {certified_on.isoformat()} and "
                f"{end.isoformat()}" + (f"; {required - earned:g} still needed." if earned < required else ".") + note,
                source=source,
                uncertain=uncertain or bool(other),
            ),
            Requirement(
                id="ethics_ceus",
                title=f"At least {min_ethics:g} CEU in ethics",
                met=ethics >= min_ethics,
                detail=f"{ethics:g} ethics CEU(s) recorded (column `ethics` = yes); at least {min_ethics:g} needed.",
                source=eth_source,
                uncertain=eth_uncertain,
            ),
        ],
        rejected_rows=_rejected(rows),
        warnings=warnings,
    )


class RecertError(ValueError):
    """The program has no recertification rules certprep can check."""


def log_column(kb: KnowledgeBase) -> str:
    """The credit log's amount column, chosen by which recertification parameter the program defines."""
    parameters = kb.parameters()
    if "recert_points_required" in parameters:
        return "points"
    if "recert_ceus_required" in parameters:
        return "ceus"
    raise RecertError(f"program {kb.program.id!r} has no recertification requirement in its knowledge base")


def check_recert(kb: KnowledgeBase, anniversary: dt.date, rows: list[CreditRow], today: dt.date) -> RecertResult:
    if log_column(kb) == "points":
        return check_cpt_recert(kb, anniversary, rows, today)
    return check_cpo_recert(kb, anniversary, rows, today)
