"""Entry points the CLI, the assistant and the UI share: one analyzer per program, built once."""

from __future__ import annotations

import threading
from pathlib import Path

from app.config import Settings
from app.documents import Document
from app.embeddings import get_embedder
from app.knowledge.loader import load_knowledge
from app.mapping.analyzer import AnalysisError, NarrativeAnalyzer
from app.mapping.classifier import MODEL_PATH, load_model
from app.mapping.evidence import EVIDENCE_DIR, load_evidence_model
from app.mapping.models import Analysis
from app.mapping.requirements import check_requirements, coverage

_analyzers: dict[tuple, NarrativeAnalyzer] = {}
_lock = threading.Lock()


def model_paths(settings: Settings) -> tuple[Path, Path]:
    """The passage model file and the sentence models' folder: the re-trained ones in the models folder
    when `certprep-eval train` wrote them there, else the ones shipped with certprep (training never
    writes into the installed package)."""
    trained = settings.trained_models_dir
    model = trained / "model.json" if (trained / "model.json").is_file() else MODEL_PATH
    evidence = trained / "evidence" if (trained / "evidence").is_dir() else EVIDENCE_DIR
    return model, evidence


def mapping_embedder(settings: Settings):
    """The bundled model on the runtime the sentence model runs on (``mapping_runtime``), which may differ
    from the one questions are embedded with."""
    runtime = settings.mapping_inference_runtime
    # the workers are the parallelism, on one-thread sessions; but on the questions' own runtime the questions'
    # session is shared rather than a second copy of the model loaded (measured: +130 MB)
    threads = 1 if settings.mapping_worker_count > 1 and runtime != settings.inference_runtime else 0
    return get_embedder(settings.embedding_model_path, settings, runtime, threads)


def get_analyzer(settings: Settings, program: str) -> NarrativeAnalyzer:
    model_path, evidence_dir = model_paths(settings)
    key = (
        str(settings.knowledge_dir),
        str(settings.prompts_dir),
        str(settings.embedding_model_path),
        str(model_path),
        str(evidence_dir),
        settings.inference_runtime,
        settings.mapping_inference_runtime,
        settings.tolerance_for(settings.mapping_inference_runtime),
        settings.mapping_worker_count,
        str(settings.onnx_cache_dir),
        program,
    )
    with _lock:
        if key in _analyzers:
            return _analyzers[key]
    knowledge = load_knowledge(settings.knowledge_dir)
    if program not in knowledge:
        raise AnalysisError(f"unknown program {program!r} (known: {', '.join(sorted(knowledge))})")
    embedder = get_embedder(settings.embedding_model_path, settings)
    analyzer = NarrativeAnalyzer(
        knowledge[program],
        embedder,
        settings.prompts_dir,
        model=load_model(model_path),
        evidence=load_evidence_model(program, mapping_embedder(settings), evidence_dir, settings.mapping_worker_count)
        or False,
    )
    with _lock:
        return _analyzers.setdefault(key, analyzer)


def prepare_models(settings: Settings) -> list[str]:
    """Export what the configured runtime needs for every program with a sentence model, now rather
    than at a user's first analysis (``certprep ingest`` and the server's warm-up call this). Returns the
    programs whose sentence model is ready."""
    _, evidence_dir = model_paths(settings)
    embedder = mapping_embedder(settings)
    ready = []
    for program in sorted(load_knowledge(settings.knowledge_dir)):
        if load_evidence_model(program, embedder, evidence_dir, settings.mapping_worker_count) is not None:
            ready.append(program)
    return ready


def analyze_documents(settings: Settings, program: str, documents: list[Document]) -> Analysis:
    analyzer = get_analyzer(settings, program)
    projects = [analyzer.analyze(doc) for doc in documents]
    return Analysis(
        program=program,
        projects=projects,
        coverage=coverage(analyzer.kb, projects),
        requirements=check_requirements(analyzer.kb, projects),
    )
