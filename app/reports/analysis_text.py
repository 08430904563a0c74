"""Terminal rendering of a narrative analysis: the gaps first, then the evidence, then the matrix."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from app.mapping.models import Analysis, Comparison, Status

_ORDER = {Status.missing: 0, Status.partial: 1, Status.demonstrated: 2}
_STYLE = {Status.missing: "bold red", Status.partial: "yellow", Status.demonstrated: "green"}


def render_analysis(analysis: Analysis, console: Console | None = None) -> None:
    console = console or Console(highlight=False, soft_wrap=False)
    for project in analysis.projects:
        console.rule(f"[bold]{escape(project.source)}[/] ({project.words} words)")
        for warning in project.warnings:
            console.print(f"[yellow]note:[/] {escape(warning)}")
        table = Table(show_lines=True, expand=True)
        table.add_column("Standard", ratio=2)
        table.add_column("Status", ratio=1)
        table.add_column("Evidence / what to add", ratio=6)
        for result in sorted(project.standards, key=lambda r: (_ORDER[r.status], int(r.id[1:]))):
            lines = []
            if result.suggestion:
                lines.append(escape(result.suggestion))
            for ev in result.evidence:
                lines.append(f"[dim]“{escape(ev.text)}” (strength {ev.strength:.2f})[/]")
            if result.criteria_met:
                lines.append(f"[dim]criteria met: {', '.join(result.criteria_met)}[/]")
            table.add_row(
                f"{result.id} {escape(result.title)}",
                f"[{_STYLE[result.status]}]{result.status.value}[/] ({result.confidence:.2f})",
                "\n".join(lines) or "-",
            )
        console.print(table)
    if len(analysis.projects) > 1:
        matrix = Table(title="Coverage (projects x standards)")
        matrix.add_column("Project")
        ids = list(analysis.coverage)
        for sid in ids:
            matrix.add_column(sid, justify="center")
        for project in analysis.projects:
            cells = []
            for sid in ids:
                status = project.status(sid)
                cells.append(f"[{_STYLE[status]}]{status.value[:4]}[/]")
            matrix.add_row(escape(project.source), *cells)
        matrix.add_row("[bold]demonstrated in[/]", *[str(analysis.coverage[s]) for s in ids])
        console.print(matrix)
    for req in analysis.requirements:
        mark = "[green]met[/]" if req.met else "[bold red]not met[/]"
        flag = " [yellow](uncertain rule)[/]" if req.uncertain else ""
        console.print(f"{mark} {escape(req.title or req.id)}: {escape(req.detail)}{flag}")


def render_comparison(comparison: Comparison, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    table = Table(title=f"{escape(comparison.old)} → {escape(comparison.new)}")
    for column in ("Standard", "Before", "After", "Change", "Criteria added", "Criteria lost"):
        table.add_column(column)
    order = {"regressed": 0, "improved": 1, "unchanged": 2}
    for change in sorted(comparison.standards, key=lambda c: (order[c.change], int(c.id[1:]))):
        style = {"regressed": "bold red", "improved": "green", "unchanged": "dim"}[change.change]
        table.add_row(
            f"{change.id} {escape(change.title)}",
            change.before.value,
            change.after.value,
            f"[{style}]{change.change}[/]",
            ", ".join(change.criteria_added) or "-",
            ", ".join(change.criteria_lost) or "-",
        )
    console.print(table)
