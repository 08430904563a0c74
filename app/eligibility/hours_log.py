"""Read a CPO hours log (CSV: date, client, activity, hours, paid) and decide which rows count.

Every row that does not count says why, with its line number, so staff can point at it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from app.eligibility.dates import parse_date

REQUIRED_COLUMNS = ("date", "client", "activity", "hours", "paid")
YES = {"yes", "y", "true", "1", "paid"}
NO = {"no", "n", "false", "0", "unpaid", ""}


class HoursLogError(ValueError):
    """The file cannot be read as an hours log at all (one message per problem)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class LogRow:
    line: int
    day: date | None
    client: str
    activity: str
    hours: float | None
    paid: bool | None
    reason: str | None = None  # why it does not count; None = counts


def csv_records(reader: csv.DictReader, name: str):
    """The reader's rows; a file the csv module cannot read (a NUL byte, a broken quote) is one clear
    problem with its line, not a crash."""
    try:
        yield from reader
    except csv.Error as exc:
        raise HoursLogError([f"{name}:{reader.line_num}: not a readable CSV row ({exc})"]) from None


def read_hours_log(path: Path) -> list[LogRow]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise HoursLogError([f"{path}: cannot read ({exc.strerror})"]) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return parse_hours_log(text, str(path))


def parse_hours_log(text: str, name: str = "hours log") -> list[LogRow]:
    reader = csv.DictReader(io.StringIO(text, newline=""))  # lone \r and \r\n are line ends
    if not reader.fieldnames:
        raise HoursLogError([f"{name}: the file is empty; expected columns {', '.join(REQUIRED_COLUMNS)}"])
    columns = {(c or "").strip().lower(): c for c in reader.fieldnames}
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise HoursLogError([f"{name}: missing column {c!r}" for c in missing])
    rows = []
    for record in csv_records(reader, name):
        line = reader.line_num
        get = {key: (record.get(original) or "").strip() for key, original in columns.items()}
        row = LogRow(line=line, day=None, client=get["client"], activity=get["activity"], hours=None, paid=None)
        try:
            row.day = parse_date(get["date"])
        except ValueError:
            row.reason = f"date {get['date']!r} is not a date (use YYYY-MM-DD)"
        try:
            row.hours = float(get["hours"].replace(",", "."))
        except ValueError:
            row.reason = row.reason or f"hours {get['hours']!r} is not a number"
        paid = get["paid"].lower()
        if paid in YES:
            row.paid = True
        elif paid in NO:
            row.paid = False
        else:
            row.reason = row.reason or f"paid {get['paid']!r} is not yes or no"
        rows.append(row)
    return rows


def classify_rows(rows: list[LogRow], window_start: date, window_end: date) -> list[LogRow]:
    """Copies of the rows, each that does not count marked with its reason (first reason wins). The input
    is left alone so the same log can be classified against another window."""
    rows = [replace(r) for r in rows]
    seen: set[tuple] = set()
    for row in rows:
        if row.reason:
            continue
        assert row.day is not None and row.hours is not None
        key = (row.day, row.client.lower(), row.activity.lower(), row.hours)
        if row.hours <= 0:
            row.reason = "zero or negative hours"
        elif row.day > window_end:
            row.reason = f"dated after the application date ({window_end.isoformat()})"
        elif row.day < window_start:
            row.reason = f"outside the window (before {window_start.isoformat()})"
        elif not row.paid:
            row.reason = "unpaid work does not count"
        elif key in seen:
            row.reason = "duplicate of an earlier row (same date, client, activity and hours)"
        seen.add(key)
    return rows


def counted_over_time(rows: list[LogRow], window_start: date, window_end: date) -> list[tuple[date, float]]:
    """Cumulative hours that count, by date: the curve a candidate watches climb toward the requirement."""
    total = 0.0
    points: dict[date, float] = {}
    counted = [r for r in classify_rows(rows, window_start, window_end) if r.reason is None]
    for row in sorted(counted, key=lambda r: r.day):
        total += row.hours
        points[row.day] = round(total, 2)
    return sorted(points.items())
