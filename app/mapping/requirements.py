"""Program-level requirements on a set of projects, read from the knowledge base's parameters.

Parameter ids are a convention any program folder can use: ``min_projects`` (how many projects an
application needs) and ``min_projects_per_standard`` (in how many projects each standard must be
demonstrated; 1 when a program does not say).
"""

from __future__ import annotations

from app.knowledge.schema import KnowledgeBase, Parameter
from app.mapping.models import ProjectResult, RequirementResult, Status


def _source(kb: KnowledgeBase, parameter: Parameter) -> str:
    keys = parameter.current_provenance.sources
    return ", ".join(f"{k}: {kb.source(k).title}" for k in keys)


def _param(kb: KnowledgeBase, parameter_id: str) -> Parameter | None:
    try:
        return kb.parameter(parameter_id)
    except KeyError:
        return None


def coverage(kb: KnowledgeBase, projects: list[ProjectResult]) -> dict[str, int]:
    return {s.id: sum(1 for p in projects if p.status(s.id) is Status.demonstrated) for s in kb.standards}


def check_requirements(kb: KnowledgeBase, projects: list[ProjectResult]) -> list[RequirementResult]:
    results: list[RequirementResult] = []
    count = _param(kb, "min_projects")
    if count is not None:
        need = int(count.current)
        have = len(projects)
        uncertain = count.uncertain or any(
            r.provenance.confidence.value == "uncertain" for r in kb.rules if count in r.parameters
        )
        detail = f"{have} project(s) analysed; the application needs at least {need}"
        if uncertain:
            detail += " (the number is uncertain in the sources; see the rule's note)"
        results.append(
            RequirementResult(
                id="projects_count",
                title=count.title,
                met=have >= need,
                detail=detail,
                uncertain=uncertain,
                source=_source(kb, count),
            )
        )
    per_standard = _param(kb, "min_projects_per_standard")
    need = int(per_standard.current) if per_standard is not None else 1
    cov = coverage(kb, projects)
    short = [f"{sid} ({n} of {need})" for sid, n in cov.items() if n < need]
    uncertain = bool(per_standard and per_standard.uncertain) or bool(
        per_standard
        and any(r.provenance.confidence.value == "uncertain" for r in kb.rules if per_standard in r.parameters)
    )
    if short:
        detail = f"{len(short)} standard(s) not demonstrated in enough projects: " + ", ".join(short)
    else:
        detail = f"every standard is demonstrated in at least {need} project(s)"
    if uncertain:
        detail += " (how many times each standard must be shown is uncertain in the sources)"
    results.append(
        RequirementResult(
            id="standard_coverage",
            title=per_standard.title if per_standard is not None else "Every standard demonstrated",
            met=not short,
            detail=detail,
            uncertain=uncertain,
            source=_source(kb, per_standard) if per_standard is not None else None,
        )
    )
    return results
