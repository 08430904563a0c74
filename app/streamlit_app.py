"""certprep's web UI: a thin layer over the core (``app.*``), which knows nothing of Streamlit."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.config import get_settings

st.set_page_config(page_title="certprep", page_icon="📋", layout="wide")


@st.cache_resource(show_spinner="Loading the knowledge base…")
def _programs(knowledge_dir: str) -> dict:
    from app.knowledge import load_knowledge

    return load_knowledge(Path(knowledge_dir))


@st.cache_resource(show_spinner="Loading the embedding model and index…")
def _ready_index(data_dir: str) -> bool:
    from app.embeddings import get_embedder
    from app.index.ingest import index_exists, ingest

    settings = get_settings()
    embedder = get_embedder(settings.embedding_model_path)
    if not index_exists(settings):
        ingest(settings, embedder=embedder)
    embedder.embed_query("warm up")
    return True


def main() -> None:
    settings = get_settings()
    programs = _programs(str(settings.knowledge_dir))
    st.title("certprep")
    st.caption("Prepare your certification application: standards, evidence and eligibility, with sources.")
    with st.sidebar:
        program_id = st.selectbox(
            "Program",
            options=list(programs),
            format_func=lambda pid: f"{programs[pid].program.short_name} — {programs[pid].program.name}",
            key="program",
        )
    question = st.text_input("Ask about the standards, the code of ethics or the eligibility rules", key="question")
    if question.strip():
        from app.retrieval.service import search

        _ready_index(str(settings.data_dir))
        hits = search(settings, question, program=program_id, k=5)
        if not hits:
            st.info("The knowledge base does not cover this question.")
        for n, hit in enumerate(hits, 1):
            meta = hit.metadata
            flag = " · uncertain: check the current handbook" if meta.get("confidence") == "uncertain" else ""
            with st.expander(f"[{n}] {meta.get('title')}{flag}", expanded=n == 1):
                st.text(hit.text)
                st.caption(f"source {meta.get('sources')} · {meta.get('kind')} · as of {meta.get('as_of')}")


main()
