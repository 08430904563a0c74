"""Application: the eligibility checklist from the rules engine. The form shows the fields the program's
checks read (``checks.yaml``): an hours log counted over time, experience, hours of instruction, the
projects x standards matrix and the attestation tracker. Everything entered here is saved with the
workspace."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st
from pydantic import ValidationError

from app.eligibility.check import ApplicationCheck, check_facts, has_checks
from app.eligibility.dates import parse_date
from app.eligibility.facts import (
    EDUCATION_LEVELS,
    ApplicantFacts,
    AttestationFact,
    ProjectFact,
    RoleSpan,
    Substitution,
)
from app.eligibility.hours_log import HoursLogError, counted_over_time, parse_hours_log
from app.eligibility.models import HoursSummary, hours_text
from app.knowledge.checks import Attestations, EducationHours, ExperienceMonths, PaidHoursInWindow
from app.knowledge.locate import describe_source
from app.reports.check_text import group_rejected
from app.reports.gap_report import table_csv
from app.reports.workspace import latest_results
from app.storage import AttestationState, StorageError
from app.ui.context import Context, sidebar
from app.ui.render import heatmap, literal, matrix_frame


def _checklist(check: ApplicationCheck, kb) -> None:
    verdict = "meets every requirement checked" if check.eligible else "does not yet meet every requirement"
    (st.success if check.eligible else st.warning)(f"This application {verdict}.")
    for req in check.requirements:
        flag = " — *rule uncertain: check the current handbook*" if req.uncertain else ""
        icon = ":green[:material/check_circle:]" if req.met else ":red[:material/cancel:]"
        source = literal(describe_source(kb, req.source))
        st.markdown(f"{icon} **{literal(req.title)}**: {literal(req.detail)}{flag}  \n*{source}*")
    for warning in check.warnings:
        st.info(warning)


def _common(saved: dict, reads: set[str]) -> tuple[dt.date, bool | None]:
    default_day = parse_date(saved["applied_on"]) if saved.get("applied_on") else dt.date.today()
    c1, c2 = st.columns(2)
    applied_on = c1.date_input("Application date", value=default_day, key="applied-on")
    ethics = None
    if "ethics_agreed" in reads:
        ethics = c2.checkbox("I agree to the Code of Ethics", value=saved.get("ethics", False), key="ethics")
    return applied_on, ethics


def _education(saved: dict) -> str:
    chosen = saved.get("education", "none")
    return st.selectbox(
        "Highest education",
        EDUCATION_LEVELS,
        index=EDUCATION_LEVELS.index(chosen) if chosen in EDUCATION_LEVELS else 0,
        format_func=lambda e: e.replace("_", " "),
        key="education",
    )


def _save(ctx: Context, saved: dict, **values) -> None:
    """The form is saved as it is filled in, by its owner; a reader's changes stay a what-if on screen."""
    if ctx.can_edit and saved | values != saved:
        ctx.store.set_setting(ctx.workspace.id, "application", saved | values)


def _hours_chart(points: list[tuple[dt.date, float]], hours: HoursSummary) -> None:
    if not points:
        return
    required, extra = hours.required, hours.substitute_counted
    frame = pd.DataFrame({"date": [p[0] for p in points], "hours that count": [p[1] + extra for p in points]})
    line = alt.Chart(frame).mark_line(point=True).encode(x="date:T", y="hours that count:Q")
    rule = (
        alt.Chart(pd.DataFrame({"required": [required]}))
        .mark_rule(strokeDash=[6, 4], color="#b71c1c")
        .encode(y="required:Q")
    )
    st.altair_chart(line + rule, width="stretch")
    how = f" ({'; '.join(hours.substitute_parts())})" if extra else ""
    st.caption(
        f"Paid hours in the window, cumulative, plus {hours_text(extra)} substitute hours{how}; dashed line: "
        f"the {hours_text(required)} hours required."
    )


def _hours(ctx: Context, saved: dict, spec: PaidHoursInWindow, applied_on: dt.date) -> dict:
    """The hours log and substitute hours; returns the facts and the values to save."""
    upload = st.file_uploader(
        f"Hours log (CSV: date, client, activity, hours, paid; up to {ctx.settings.upload_limit_text})",
        type=["csv"],
        key="hours-log",
    )
    csv_text = saved.get("hours_csv")
    if upload is not None:
        raw = upload.getvalue()
        if len(raw) > ctx.settings.max_upload_bytes:
            st.error(f"{upload.name} is too large: the limit is {ctx.settings.upload_limit_text}; it was not read")
        else:
            try:
                csv_text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                csv_text = raw.decode("cp1252", errors="replace")
                st.info(f"{upload.name}: not UTF-8; read as Windows-1252")
    # degree credit comes from the education above; the other categories, with their names, from the rules
    listed = ctx.kb.value(spec.substitute_categories, applied_on) if spec.substitute_categories else []
    categories = {c["id"]: c for c in listed if c["id"] != "degree"}
    st.markdown(
        "**Other substitute hours** (" + ", ".join(c["label"].lower() for c in categories.values()) + "): "
        "add a row per item; dated items must fall inside the window."
    )
    table = pd.DataFrame(saved.get("substitutions") or [], columns=["category", "hours", "date", "note"])
    subs = st.data_editor(
        table.astype({"category": "string", "hours": "float", "note": "string"}).assign(
            date=pd.to_datetime(table["date"], errors="coerce").dt.date
        ),
        num_rows="dynamic",
        key="substitutions",
        width="stretch",
        column_config={
            "category": st.column_config.SelectboxColumn(
                "Category", options=list(categories), format_func=lambda c: categories[c]["label"], required=True
            ),
            "hours": st.column_config.NumberColumn("Hours", min_value=0, step=0.5, required=True),
            "date": st.column_config.DateColumn("Date", format="YYYY-MM-DD"),
            "note": st.column_config.TextColumn("Note"),
        },
    )
    substitutions, problems = [], []
    for n, row in enumerate(subs.to_dict("records"), 1):
        values = {k: (None if v is None or pd.isna(v) or str(v).strip() == "" else v) for k, v in row.items()}
        if not any(values.values()):
            continue
        try:
            substitutions.append(
                Substitution(
                    category=str(values["category"] or "").strip(),
                    hours=float(values["hours"]),
                    date=parse_date(str(values["date"])[:10]) if values["date"] else None,
                    note=values["note"],
                )
            )
        except (ValueError, TypeError, ValidationError):
            problems.append(f"Other substitute hours, row {n}: choose a category and give the hours (and a date)")
    for problem in problems:
        st.error(problem)
    rows = None
    if csv_text:
        try:
            rows = parse_hours_log(csv_text, upload.name if upload else "hours log")
        except HoursLogError as exc:
            for problem in exc.problems:
                st.error(problem)
    return {
        "facts": {"hours_rows": rows, "substitutions": substitutions},
        "save": {"hours_csv": csv_text, "substitutions": [s.model_dump(mode="json") for s in substitutions]},
    }


def _hours_detail(check: ApplicationCheck, rows) -> None:
    """The hours that count over time, and every row that does not, with its reason."""
    if check.hours and rows is not None:
        hours = check.hours
        start, end = parse_date(hours.window_start), parse_date(hours.window_end)
        st.subheader("Hours that count over time")
        _hours_chart(counted_over_time(rows, start, end), hours)
        if hours.rejected_rows:
            st.subheader(f"Rows that do not count ({len(hours.rejected_rows)})")
            table = [
                {"reason": reason, "rows (line numbers)": ", ".join(map(str, lines)), "hours": amount}
                for reason, lines, amount in group_rejected(hours.rejected_rows)
            ]
            st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch", key="rejected")
            st.download_button(
                "Rejected rows (.csv)",
                table_csv(["line", "reason", "hours"], [[r.row, r.reason, r.hours] for r in hours.rejected_rows]),
                "rejected-rows.csv",
                "text/csv",
            )


def _experience(saved: dict) -> list[RoleSpan]:
    st.markdown("**Experience** (months as YYYY-MM; leave the end empty for a current role)")
    roles_frame = st.data_editor(
        pd.DataFrame(saved.get("roles") or [], columns=["role", "start", "end"]).astype("string"),
        num_rows="dynamic",
        key="roles",
        width="stretch",
    )
    roles, problems = [], []
    for n, row in enumerate(roles_frame.to_dict("records"), 1):
        values = {
            k: (None if v is None or pd.isna(v) or not str(v).strip() else str(v).strip()) for k, v in row.items()
        }
        if not any(values.values()):
            continue
        if not values.get("start") or not values["start"][:4].isdigit() or len(values["start"]) != 7:
            problems.append(f"experience row {n}: the start must be a month as YYYY-MM")
            continue
        roles.append(RoleSpan(role=values.get("role") or "role", start=values["start"], end=values.get("end")))
    for problem in problems:
        st.error(problem)
    return roles


def _credentials_offered(ctx: Context, applied_on: dt.date) -> list[str]:
    """Every credential a check of the program takes into account: accepted instead of instruction hours,
    or shortening the experience needed."""
    checks = ctx.kb.checks
    offered: list[str] = []
    hours = checks.check(EducationHours) if checks else None
    if isinstance(hours, EducationHours) and hours.alternatives:
        offered += [str(a) for a in ctx.kb.value(hours.alternatives, applied_on)]
    experience = checks.check(ExperienceMonths) if checks else None
    if isinstance(experience, ExperienceMonths) and experience.credential_months:
        offered += [str(c) for c in ctx.kb.value(experience.credential_months, applied_on)]
    return list(dict.fromkeys(offered))


def _instruction(saved: dict, with_hours: bool, offered: list[str]) -> tuple[float | None, list]:
    """Hours of formal instruction (when the program counts them) and the credentials it takes into account."""
    c1, c2 = st.columns(2)
    hours = (
        c1.number_input(
            "Hours of instruction (contact hours)",
            min_value=0.0,
            step=1.0,
            value=saved.get("education_hours"),
            key="education-hours",
        )
        if with_hours
        else None
    )
    held = (
        c2.multiselect(
            "Credentials held",
            offered,
            default=[c for c in saved.get("credentials", []) if c in offered],
            format_func=lambda c: c.upper() if "_" not in c else c.replace("_", " "),
            key="credentials",
        )
        if offered
        else []
    )
    return hours, held


def _projects(ctx: Context, spec: Attestations | None, applied_on: dt.date) -> list[ProjectFact]:
    """The projects x standards matrix and, where the program asks for attestations, their tracker."""
    results = latest_results(ctx.store, ctx.workspace.id)
    if ctx.kb.standards:
        st.subheader("Projects x standards")
        heatmap(matrix_frame([(p.source, p) for _, p in results]), key="projects-matrix")
    if spec is not None:
        relations = [str(r) for r in ctx.kb.value(spec.accepted, applied_on)]
        relations += [str(r) for r in (ctx.kb.value(spec.doubtful, applied_on) if spec.doubtful else [])]
        _attestation_tracker(ctx, results, relations)
    attestations = ctx.store.attestations(ctx.workspace.id)
    return [
        ProjectFact(
            title=result.source,
            analysis=result,
            words=result.words,
            attestations=[
                AttestationFact(name=a.name, relation=a.relation, signed=a.state is AttestationState.signed)
                for a in attestations
                if a.project == result.source
            ],
        )
        for _, result in results
    ]


def _attestation_tracker(ctx: Context, results, relations: list[str]) -> None:
    st.subheader("Attestation tracker")
    titles = [p.source for _, p in results] or [d.title for d in ctx.store.drafts(ctx.workspace.id)]
    tracker = pd.DataFrame(
        [
            a.model_dump(include={"project", "name", "relation", "state"})
            for a in ctx.store.attestations(ctx.workspace.id)
        ],
        columns=["project", "name", "relation", "state"],
    )
    edited = st.data_editor(
        tracker,
        num_rows="dynamic",
        key="attestations",
        width="stretch",
        disabled=not ctx.can_edit,
        column_config={
            "project": st.column_config.SelectboxColumn("project", options=titles, required=True),
            "relation": st.column_config.SelectboxColumn("relation", options=relations),
            "state": st.column_config.SelectboxColumn(
                "state", options=[s.value for s in AttestationState], default=AttestationState.to_request.value
            ),
        },
    )
    if ctx.can_edit and st.button("Save attestations", key="save-attestations"):
        try:
            ctx.store.replace_attestations(ctx.workspace.id, edited.to_dict("records"))
            st.toast("Attestations saved.")
        except StorageError as exc:
            st.error(str(exc))


def _form(ctx: Context, saved: dict) -> None:
    """The fields the program's checks read, in a fixed order, then the checklist."""
    checks = ctx.kb.checks
    assert checks is not None
    reads = checks.reads()
    applied_on, ethics = _common(saved, reads)
    values: dict = {"applied_on": applied_on.isoformat()}
    if ethics is not None:
        values["ethics"] = ethics
    facts: dict = {"applied_on": applied_on, "ethics_agreed": ethics}
    if "education" in reads:
        facts["education"] = values["education"] = _education(saved)
    hours_spec = checks.check(PaidHoursInWindow)
    hours = _hours(ctx, saved, hours_spec, applied_on) if isinstance(hours_spec, PaidHoursInWindow) else None
    if hours:
        facts |= hours["facts"]
        values |= hours["save"]
    if "experience" in reads:
        roles = _experience(saved)
        facts["experience"] = roles
        values["roles"] = [r.model_dump() for r in roles]
    with_hours = isinstance(checks.check(EducationHours), EducationHours)
    offered = _credentials_offered(ctx, applied_on)
    if with_hours or offered:
        facts["education_hours"], facts["credentials"] = _instruction(saved, with_hours, offered)
        values["education_hours"], values["credentials"] = facts["education_hours"], facts["credentials"]
    if "projects" in reads:
        attest = checks.check(Attestations)
        facts["projects"] = _projects(ctx, attest if isinstance(attest, Attestations) else None, applied_on)
    _save(ctx, saved, **values)
    st.subheader("Eligibility checklist")
    check = check_facts(ctx.kb, ApplicantFacts(**facts))
    _checklist(check, ctx.kb)
    if hours:
        _hours_detail(check, facts.get("hours_rows"))


def page() -> None:
    ctx = sidebar()
    st.title(f"Application: {ctx.kb.program.short_name}")
    st.caption("Checked against the rules in the knowledge base; each verdict names its rule and source.")
    saved = ctx.store.get_setting(ctx.workspace.id, "application", {})
    if not ctx.can_edit:
        st.info("You are reading another person's application: changes you make here are not saved.")
    if has_checks(ctx.kb):
        _form(ctx, saved)
    else:
        st.info(f"certprep has no eligibility rules for {ctx.kb.program.short_name} yet.")


page()
