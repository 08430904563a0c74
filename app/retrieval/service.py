"""The retrieval entry point the CLI, the assistant and the UI share."""

from __future__ import annotations

from app.config import Settings
from app.retrieval.dense import Hit
from app.retrieval.hybrid import Mode, get_retriever


def search(
    settings: Settings,
    question: str,
    program: str | None = None,
    k: int = 5,
    kinds: list[str] | None = None,
    mode: Mode = "hybrid",
) -> list[Hit]:
    """Top passages for a question (hybrid by default); builds the index first if it is missing."""
    return get_retriever(settings).search(question, program=program, kinds=kinds, k=k, mode=mode)
