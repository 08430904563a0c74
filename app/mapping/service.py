"""Entry points the CLI, the assistant and the UI share: one analyzer per program, built once."""

from __future__ import annotations

import threading

from app.config import Settings
from app.documents import Document
from app.embeddings import get_embedder
from app.knowledge.loader import load_knowledge
from app.mapping.analyzer import AnalysisError, NarrativeAnalyzer
from app.mapping.models import Analysis
from app.mapping.requirements import check_requirements, coverage

_analyzers: dict[tuple, NarrativeAnalyzer] = {}
_lock = threading.Lock()


def get_analyzer(settings: Settings, program: str) -> NarrativeAnalyzer:
    key = (
        str(settings.knowledge_dir),
        str(settings.prompts_dir),
        str(settings.embedding_model_path),
        program,
    )
    with _lock:
        if key in _analyzers:
            return _analyzers[key]
    knowledge = load_knowledge(settings.knowledge_dir)
    if program not in knowledge:
        raise AnalysisError(f"unknown program {program!r} (known: {', '.join(sorted(knowledge))})")
    analyzer = NarrativeAnalyzer(knowledge[program], get_embedder(settings.embedding_model_path), settings.prompts_dir)
    with _lock:
        return _analyzers.setdefault(key, analyzer)


def analyze_documents(settings: Settings, program: str, documents: list[Document]) -> Analysis:
    analyzer = get_analyzer(settings, program)
    projects = [analyzer.analyze(doc) for doc in documents]
    return Analysis(
        program=program,
        projects=projects,
        coverage=coverage(analyzer.kb, projects),
        requirements=check_requirements(analyzer.kb, projects),
    )
