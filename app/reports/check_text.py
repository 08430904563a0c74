"""Terminal rendering of an application check and a recertification check: what to fix first, then the
full checklist, each verdict with its rule and whether the rule is uncertain."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from app.eligibility.check import ApplicationCheck
from app.eligibility.models import RejectedRow, Requirement
from app.eligibility.recert import RecertResult


def _mark(requirement: Requirement) -> str:
    mark = "[green]✔ met[/]" if requirement.met else "[bold red]✘ not met[/]"
    return mark + (" [yellow](uncertain rule)[/]" if requirement.uncertain else "")


def _checklist(console: Console, requirements: list[Requirement]) -> None:
    table = Table(show_lines=True, expand=True)
    table.add_column("Requirement", ratio=3)
    table.add_column("Verdict", ratio=2)
    table.add_column("Why (rule and sources)", ratio=8)
    for r in requirements:
        table.add_row(escape(r.title), _mark(r), f"{escape(r.detail)}\n[dim]rule: {escape(r.source)}[/]")
    console.print(table)


def _ranges(numbers: list[int]) -> str:
    spans: list[list[int]] = []
    for n in sorted(numbers):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def group_rejected(rows: list[RejectedRow]) -> list[tuple[str, list[int], float]]:
    """Rejected rows grouped by reason, in file order: (reason, row numbers, hours)."""
    groups: dict[str, tuple[list[int], list[float]]] = {}
    for row in rows:
        lines, amounts = groups.setdefault(row.reason, ([], []))
        lines.append(row.row)
        amounts.append(row.hours or 0.0)
    return [(reason, lines, sum(amounts)) for reason, (lines, amounts) in groups.items()]


def _rejected(console: Console, rows: list[RejectedRow], unit: str) -> None:
    if not rows:
        return
    table = Table(title=f"Rows that do not count ({len(rows)})", expand=False)
    table.add_column("Reason")
    table.add_column("Rows (line numbers)")
    table.add_column(unit.capitalize(), justify="right")
    for reason, lines, amount in group_rejected(rows):
        table.add_row(escape(reason), _ranges(lines), f"{amount:g}")
    console.print(table)


def render_check(check: ApplicationCheck, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    who = f" for {escape(check.applicant)}" if check.applicant else ""
    verdict = "[bold green]eligible[/]" if check.eligible else "[bold red]not eligible yet[/]"
    console.rule(f"[bold]{check.program.upper()} application{who}[/]: {verdict}")
    fix = check.fix_first()
    if fix:
        console.print("[bold]Fix first:[/]")
        for number, r in enumerate(fix, 1):
            note = " [yellow](rests on an uncertain rule: confirm with the certifying body)[/]" if r.uncertain else ""
            console.print(f"  {number}. {escape(r.title)}: {escape(r.detail)}{note}")
    else:
        console.print("Every requirement is met.")
    _checklist(console, check.requirements)
    if check.hours is not None:
        _rejected(console, check.hours.rejected_rows, "hours")
    if check.projects:
        table = Table(title="Standards demonstrated per project", expand=False)
        table.add_column("Project")
        ids = [s["id"] for s in check.projects[0]["standards"]]
        for sid in ids:
            table.add_column(sid, justify="center")
        symbol = {"demonstrated": "[green]✔[/]", "partial": "[yellow]~[/]", "missing": "[red]✘[/]"}
        for project in check.projects:
            table.add_row(escape(project["title"]), *(symbol[s["status"]] for s in project["standards"]))
        console.print(table)
        console.print("[dim]✔ demonstrated  ~ partial  ✘ missing — run `certprep analyze` on a narrative for detail[/]")
    for warning in check.warnings:
        console.print(f"[yellow]note:[/] {escape(warning)}")


def render_recert(result: RecertResult, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    verdict = "[bold green]on track[/]" if result.met else "[bold red]not met yet[/]"
    console.rule(f"[bold]{result.program.upper()} recertification[/]: {verdict}")
    console.print(
        f"Cycle {result.cycle_start.isoformat()} to {result.cycle_end.isoformat()}"
        + (f"; due by {result.deadline:%d %B %Y}" if result.deadline else "")
        + f"; {result.earned:g} of {result.required:g} {result.unit} counted"
        + "".join(
            f", {amount:g} in {category.replace('_', ' ')}" for category, amount in result.category_earned.items()
        )
        + "."
    )
    _checklist(console, result.requirements)
    _rejected(console, result.rejected_rows, "amount")
    for warning in result.warnings:
        console.print(f"[yellow]note:[/] {escape(warning)}")
