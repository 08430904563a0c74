"""``certprep reviews``: reviewer agreement with the engine, and reviewer verdicts exported as training data.
Both act for one user (``--user`` in organization mode) through the same store and rules as the app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.cli_accounts import JsonOption, PasswordStdin, UserOption, _fail, _with_store

reviews_app = typer.Typer(
    help="Reviewer verdicts: agreement with the engine, export for training.", no_args_is_help=True
)
ProgramOption = Annotated[str, typer.Option("--program", "-p", help="Program id (cpt, cpo, pmp...).")]


def _kb(program: str):
    from app.cli import _settings
    from app.knowledge.loader import load_knowledge

    knowledge = load_knowledge(_settings().knowledge_dir)
    if program not in knowledge:
        _fail(f"unknown program {program!r} (known: {', '.join(sorted(knowledge))})")
    kb = knowledge[program]
    if not kb.standards:
        _fail(f"the {kb.program.short_name} has no standards to give verdicts on")
    return kb


@reviews_app.command("agreement")
def agreement_cmd(
    program: ProgramOption = "cpt",
    user: UserOption = None,
    password_stdin: PasswordStdin = False,
    as_json: JsonOption = False,
):
    """How often reviewers agree with the engine, per standard and overall (Cohen's kappa, with counts), over
    the workspaces this user may read."""
    from app.reviews import agreement

    kb = _kb(program)
    report = _with_store(user, password_stdin, lambda store: agreement(store, program, [s.id for s in kb.standards]))
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), indent=2))
        return
    typer.echo(
        f"{kb.program.short_name}: {report.overall.n} verdict(s) on {report.drafts} draft(s) in "
        f"{report.workspaces} workspace(s)"
    )
    typer.echo(f"{'standard':<10}{'verdicts':>9}{'agree':>7}{'share':>8}{'kappa':>8}  overridden to")
    for row in [*report.standards, report.overall]:
        share = "-" if row.observed is None else f"{row.observed:.2f}"
        kappa = "-" if row.kappa is None else f"{row.kappa:.2f}"
        overrides = ", ".join(f"{k} {v}" for k, v in sorted(row.overridden_to.items()))
        typer.echo(f"{row.standard_id or 'all':<10}{row.n:>9}{row.agreed:>7}{share:>8}{kappa:>8}  {overrides}")


@reviews_app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Option(help="Where to write the YAML (the evaluation data's format).")],
    program: ProgramOption = "cpt",
    user: UserOption = None,
    password_stdin: PasswordStdin = False,
):
    """Reviewer verdicts as labelled data for `certprep-eval train --reviews FILE`: staff only, only from
    workspaces whose owners allowed it, with pseudonymous ids and names redacted."""
    import yaml

    from app.reviews.export import export_reviews

    kb = _kb(program)
    exported = _with_store(user, password_stdin, lambda store: export_reviews(store, kb))
    out.write_text(yaml.safe_dump(exported.items, sort_keys=False, allow_unicode=True), encoding="utf-8")
    typer.echo(
        f"wrote {len(exported.items)} reviewed draft(s) ({exported.verdicts} verdicts, {exported.workspaces} "
        f"workspace(s)) to {out}; {exported.without_consent} workspace(s) with verdicts left out: their owners "
        "have not allowed training"
    )
    for reason in exported.left_out:
        typer.echo(f"left out: {reason}", err=True)
