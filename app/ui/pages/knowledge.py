"""Staff: the knowledge base as certprep uses it — programs, standards, rules, their sources and how
certain each one is. A citation elsewhere in the app opens this page at the cited entry (``?cite=``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.knowledge.locate import TABS, Located, locate, source_names
from app.ui.context import sidebar
from app.ui.render import highlighted, literal


def _cited(kb, place: Located) -> None:
    with st.container(border=True, key="cited-passage"):
        st.markdown(f"**Cited passage: {literal(place.title)}**")
        st.html(highlighted(place.text, [(0, len(place.text))]))
        flag = f" · {place.note}" if place.note else ""
        st.caption(f"Sources: {source_names(kb, place.sources)} · {place.confidence}{flag}")


def page() -> None:
    ctx = sidebar()
    kb = ctx.kb
    st.title(f"Knowledge browser: {kb.program.short_name}")
    st.markdown(f"**{literal(kb.program.name)}**")
    cite = st.query_params.get("cite")
    place = locate(kb, cite) if cite else None
    if cite and place is None:
        st.warning(f"The cited passage ({cite}) is not in the {kb.program.short_name} knowledge base any more.")
    if place:
        _cited(kb, place)
    sources = {s.key: s for s in kb.sources}
    tabs = dict(zip(TABS, st.tabs(TABS, default=place.tab if place else None, key=f"tabs-{cite}"), strict=True))
    with tabs["Rules"]:
        rows = [
            {
                "rule": r.title,
                "kind": r.kind.value,
                "text": r.text,
                "sources": source_names(kb, r.provenance.sources),
                "as of": r.provenance.as_of,
                "confidence": r.provenance.confidence.value,
                "note": r.provenance.note or "",
                "id": r.id,
            }
            for r in kb.rules
        ]
        frame = pd.DataFrame(rows)
        cited_rule = place.ref.removeprefix("rule.") if place and place.tab == "Rules" else None
        styled = frame.style.apply(
            lambda row: ["background-color: #ffb74d" if row["id"] == cited_rule else "" for _ in row], axis=1
        )
        st.dataframe(styled, hide_index=True, width="stretch", key="rules")
        uncertain = sum(1 for r in rows if r["confidence"] != "confirmed")
        st.caption(f"{len(rows)} rules; {uncertain} rest on uncertain sources (see their notes).")
    with tabs["Standards"]:
        if not kb.standards:
            st.info(f"The {kb.program.short_name} has no standards to demonstrate in narratives.")
        for s in kb.standards:
            with st.expander(f"{s.id} {s.title}", expanded=bool(place and place.standard == s.id)):
                st.markdown(literal(s.summary))
                lines = []
                for c in s.criteria:
                    line = f"{literal(c.text)} *({c.id})*"
                    lines.append(
                        f"- :orange-background[**{line}**]" if place and place.criterion == c.id else f"- {line}"
                    )
                st.markdown("**Criteria**\n" + "\n".join(lines))
                st.caption(
                    f"standard: {source_names(kb, s.provenance.sources)} ({s.provenance.confidence.value}); "
                    f"guidance: {source_names(kb, s.guidance_provenance.sources)} "
                    f"({s.guidance_provenance.confidence.value})"
                )
    with tabs["Exam"]:
        if kb.exam:
            st.markdown(literal(kb.exam.summary))
            st.dataframe(
                pd.DataFrame(
                    [{"domain": d.name, "weight %": d.weight, "what it covers": d.description} for d in kb.exam.domains]
                ),
                hide_index=True,
                width="stretch",
                key="exam",
            )
        else:
            st.info(f"The {kb.program.short_name} has no exam.")
    with tabs["Code of ethics"]:
        if kb.ethics:
            for p in kb.ethics.principles:
                st.markdown(f"**{literal(p.name)}**: {literal(p.summary)}")
    with tabs["FAQ"]:
        for entry in kb.faq:
            with st.expander(entry.question, expanded=bool(place and place.ref == f"faq.{entry.id}")):
                st.markdown(literal(entry.answer))
                st.caption(
                    f"Sources: {source_names(kb, entry.provenance.sources)} · {entry.provenance.confidence.value}"
                )
    with tabs["Sources"]:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "title": s.title,
                        "publisher": s.publisher or "",
                        "date": s.date or "",
                        "url": s.url or "",
                        "key": k,
                    }
                    for k, s in sources.items()
                ]
            ),
            hide_index=True,
            width="stretch",
            key="sources",
        )


page()
