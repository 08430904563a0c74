"""`certprep-eval retrieval`: dense, BM25 and hybrid side by side on the labelled question set.

Ranking metrics are computed with the relevance floor off (so the three methods are compared on the
same footing); the floor itself is evaluated separately: how many out-of-scope questions it rejects
and how many answerable questions it wrongly rejects. Thresholds are tuned on `dev` only; `test` is
reported, never tuned on.
"""

from __future__ import annotations

import platform
import statistics
import time
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field

from app.config import Settings
from app.retrieval.service import KnowledgeRetriever
from evaluation import write_result
from evaluation.metrics import mean, ndcg_at, recall_at, reciprocal_rank

DATA = Path(__file__).parent / "data" / "retrieval_questions.yaml"
RESULTS = Path(__file__).parent / "results" / "retrieval.json"
MODES = ("dense", "bm25", "hybrid")


class LabelledQuestion(BaseModel):
    id: str
    program: str
    question: str
    style: str
    split: Literal["dev", "test"]
    relevant: list[str] = Field(default_factory=list, description="Chunk ids that answer it; empty = out of scope.")


def load_questions(path: Path = DATA) -> list[LabelledQuestion]:
    return [LabelledQuestion.model_validate(q) for q in yaml.safe_load(path.read_text())["questions"]]


def _scores(runs: list[tuple[list[str], set[str]]]) -> dict[str, float]:
    return {
        "recall@1": round(mean([recall_at(r, rel, 1) for r, rel in runs]), 4),
        "recall@3": round(mean([recall_at(r, rel, 3) for r, rel in runs]), 4),
        "recall@5": round(mean([recall_at(r, rel, 5) for r, rel in runs]), 4),
        "mrr@10": round(mean([reciprocal_rank(r, rel, 10) for r, rel in runs]), 4),
        "ndcg@10": round(mean([ndcg_at(r, rel, 10) for r, rel in runs]), 4),
    }


def evaluate(settings: Settings, questions: list[LabelledQuestion] | None = None) -> dict:
    questions = questions or load_questions()
    retriever = KnowledgeRetriever(settings)
    known = set(retriever._table.ids)
    unknown = sorted({cid for q in questions for cid in q.relevant if cid not in known})
    if unknown:
        raise ValueError(f"labels name chunks that are not in the index: {', '.join(unknown[:10])}")

    result: dict = {
        "what": "retrieval on the labelled question set; recall@k = share of questions with an answering "
        "chunk in the top k",
        "questions": {
            split: {
                "answerable": sum(1 for q in questions if q.split == split and q.relevant),
                "out_of_scope": sum(1 for q in questions if q.split == split and not q.relevant),
            }
            for split in ("dev", "test")
        },
        "chunks_indexed": retriever.chunk_count,
        "floor": settings.retrieval_floor,
        "modes": {},
        "misses": {},
    }
    retriever.search("warm up", k=1)
    for mode in MODES:
        retriever.forget_queries()  # each mode pays for embedding the question, as a first search would
        per_split: dict[str, dict] = {}
        latencies: list[float] = []
        for split in ("dev", "test"):
            runs, misses = [], []
            for q in (q for q in questions if q.split == split and q.relevant):
                started = time.perf_counter()
                hits = retriever.search(q.question, program=q.program, k=10, mode=mode, floor=0.0)
                latencies.append((time.perf_counter() - started) * 1000)
                ranked = [h.id for h in hits]
                runs.append((ranked, set(q.relevant)))
                if not set(q.relevant).intersection(ranked[:5]):
                    misses.append({"id": q.id, "question": q.question, "top3": ranked[:3]})
            per_split[split] = {**_scores(runs), "n": len(runs)}
            if mode == "hybrid":
                result["misses"][split] = misses
        per_split["latency_ms"] = {
            "p50": round(statistics.median(latencies), 2),
            "p95": round(statistics.quantiles(latencies, n=20)[18], 2),
        }
        result["modes"][mode] = per_split

    floor_eval = {}
    for split in ("dev", "test"):
        subset = [q for q in questions if q.split == split]
        in_scope = [q for q in subset if q.relevant]
        out_scope = [q for q in subset if not q.relevant]
        floored = sum(1 for q in in_scope if not retriever.search(q.question, program=q.program, k=5))
        rejected = sum(1 for q in out_scope if not retriever.search(q.question, program=q.program, k=5))
        floor_eval[split] = {
            "answerable_wrongly_rejected": floored,
            "answerable": len(in_scope),
            "out_of_scope_rejected": rejected,
            "out_of_scope": len(out_scope),
        }
    result["floor_eval"] = floor_eval
    result["machine"] = {"python": platform.python_version(), "cpu_count": __import__("os").cpu_count()}
    return result


def run(settings: Settings, out: Path = RESULTS) -> dict:
    result = evaluate(settings)
    write_result(result, out)
    return result


def table(result: dict, split: str = "test") -> str:
    cols = ["recall@1", "recall@3", "recall@5", "mrr@10", "ndcg@10"]
    lines = [
        f"{split} split ({result['modes']['hybrid'][split]['n']} questions)",
        f"{'mode':<8}" + "".join(f"{c:>10}" for c in cols) + f"{'p95 ms':>10}",
    ]
    for mode in MODES:
        row = result["modes"][mode]
        lines.append(
            f"{mode:<8}" + "".join(f"{row[split][c]:>10.3f}" for c in cols) + f"{row['latency_ms']['p95']:>10.1f}"
        )
    return "\n".join(lines)
