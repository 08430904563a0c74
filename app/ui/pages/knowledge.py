"""Staff: the knowledge base as certprep uses it — programs, standards, rules, their sources and how
certain each one is."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.ui.context import sidebar
from app.ui.render import literal


def page() -> None:
    ctx = sidebar()
    kb = ctx.kb
    st.title(f"Knowledge browser: {kb.program.short_name}")
    st.markdown(f"**{literal(kb.program.name)}**")
    sources = {s.key: s for s in kb.sources}
    tabs = st.tabs(["Rules", "Standards", "Code of ethics", "Sources"])
    with tabs[0]:
        rows = [
            {
                "rule": r.id,
                "kind": r.kind.value,
                "title": r.title,
                "text": r.text,
                "sources": ", ".join(r.provenance.sources),
                "as of": r.provenance.as_of,
                "confidence": r.provenance.confidence.value,
                "note": r.provenance.note or "",
            }
            for r in kb.rules
        ]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="rules")
        uncertain = sum(1 for r in rows if r["confidence"] != "confirmed")
        st.caption(f"{len(rows)} rules; {uncertain} rest on uncertain sources (see their notes).")
    with tabs[1]:
        if not kb.standards:
            st.info(f"The {kb.program.short_name} has no standards to demonstrate in narratives.")
        for s in kb.standards:
            with st.expander(f"{s.id} {s.title}"):
                st.markdown(literal(s.summary))
                st.markdown("**Criteria**\n" + "\n".join(f"- {c.id}: {literal(c.text)}" for c in s.criteria))
                st.caption(
                    f"standard: sources {', '.join(s.provenance.sources)} ({s.provenance.confidence.value}); "
                    f"guidance: sources {', '.join(s.guidance_provenance.sources)} "
                    f"({s.guidance_provenance.confidence.value})"
                )
    with tabs[2]:
        if kb.ethics:
            for p in kb.ethics.principles:
                st.markdown(f"**{literal(p.name)}**: {literal(p.summary)}")
    with tabs[3]:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "key": k,
                        "title": s.title,
                        "publisher": s.publisher or "",
                        "date": s.date or "",
                        "url": s.url or "",
                    }
                    for k, s in sources.items()
                ]
            ),
            hide_index=True,
            width="stretch",
            key="sources",
        )


page()
