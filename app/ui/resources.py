"""Heavy things loaded once per server process (``st.cache_resource``), keyed by the paths they read so
a test or a reconfigured server never sees another data directory's objects."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app import warmup
from app.config import Settings, get_settings


def settings() -> Settings:
    return get_settings()


@st.cache_resource(show_spinner=False)
def _storage(path: str):
    from app.storage import Storage

    return Storage(path)


def storage():
    return _storage(settings().database)


@st.cache_resource(show_spinner="Loading the knowledge base…")
def _knowledge(knowledge_dir: str) -> dict:
    from app.knowledge import load_knowledge

    return load_knowledge(Path(knowledge_dir))


def knowledge() -> dict:
    return _knowledge(str(settings().knowledge_dir))


def assistant():
    """The process's assistant: loaded in the background since the server started (app.warmup)."""
    return warmup.assistant(settings())


def warm_state():
    return warmup.state(settings())


def start_warmup() -> None:
    warmup.start(settings())


@st.cache_resource(show_spinner="Loading the narrative analyzer…")
def _analyzer(knowledge_dir: str, program: str):
    from app.mapping.service import get_analyzer

    return get_analyzer(settings(), program)


def analyzer(program: str):
    return _analyzer(str(settings().knowledge_dir), program)
