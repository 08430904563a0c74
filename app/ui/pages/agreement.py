"""Staff: how often reviewers agree with the engine, per standard and overall (Cohen's kappa with its
counts), over every workspace the signed-in user may read: how far to trust the engine, and where it is
weak."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.accounts import AccountRole
from app.reports.gap_report import table_csv
from app.reviews import agreement
from app.ui.context import sidebar

MINIMUM = 5  # verdicts below which a standard's kappa is shown but not ranked: too few to say much


def _figure(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def page() -> None:
    ctx = sidebar()
    st.title("Reviewer agreement")
    if not (ctx.principal.personal or ctx.principal.role is AccountRole.staff):
        st.error("Reviewer agreement is for the certifying body's staff; your account cannot use it.")
        return
    programs = [p for p in sorted(ctx.knowledge) if ctx.knowledge[p].standards]
    program = st.selectbox(
        "Program",
        programs,
        index=programs.index(ctx.program) if ctx.program in programs else 0,
        format_func=lambda p: ctx.knowledge[p].program.short_name,
        key="agreement-program",
    )
    kb = ctx.knowledge[program]
    report = agreement(ctx.store, program, [s.id for s in kb.standards])
    overall = report.overall
    st.caption(
        "Each draft's newest verdict per standard, against the engine's status on the version the reviewer "
        "judged. Kappa corrects the share of agreement for agreement by chance: 1 is perfect, 0 no better than "
        "chance; it is undefined when every verdict and status is the same."
    )
    if not overall.n:
        st.info(f"No reviewer verdicts on {kb.program.short_name} drafts you can read yet.")
        return
    cols = st.columns(4)
    cols[0].metric("Verdicts", overall.n)
    cols[1].metric("Confirm the engine", f"{overall.agreed} ({_figure(overall.observed)})")
    cols[2].metric("Cohen's kappa", _figure(overall.kappa))
    cols[3].metric("Drafts · workspaces", f"{report.drafts} · {report.workspaces}")
    if overall.n < MINIMUM * len(kb.standards):
        st.caption(
            f"Few verdicts so far: a kappa over fewer than {MINIMUM} verdicts for a standard says little about it."
        )
    titles = {s.id: s.title for s in kb.standards}
    rows = [
        [
            f"{s.standard_id} {titles[s.standard_id]}",
            s.n,
            s.agreed,
            _figure(s.observed),
            _figure(s.kappa),
            ", ".join(f"to {k}: {v}" for k, v in sorted(s.overridden_to.items())),
        ]
        for s in report.standards
    ]
    header = ["standard", "verdicts", "confirm", "share", "kappa", "overrides"]
    st.subheader("Per standard")
    st.table(pd.DataFrame(rows, columns=header).set_index("standard"))
    weak = report.weakest(MINIMUM)
    if weak:
        st.markdown(
            f"**Weakest** (at least {MINIMUM} verdicts): "
            + "; ".join(f"{s.standard_id} kappa {_figure(s.kappa)} over {s.n}" for s in weak[:3])
        )
    st.subheader("Engine against reviewer, all standards")
    confusion = pd.DataFrame(overall.confusion).T
    confusion.index = [f"engine: {i}" for i in confusion.index]
    confusion.columns = [f"reviewer: {c}" for c in confusion.columns]
    st.table(confusion)
    st.download_button(
        "Agreement per standard (.csv)",
        table_csv(
            header, [*rows, ["all", overall.n, overall.agreed, _figure(overall.observed), _figure(overall.kappa), ""]]
        ),
        f"{program}-reviewer-agreement.csv",
        "text/csv",
        key="agreement-csv",
    )


page()
