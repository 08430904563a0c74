"""`make bench`: the speed and footprint figures issue 9 asks for, measured in one run on this machine,
with LangChain's plain ``Chroma.similarity_search`` as the retrieval baseline (latency and quality on the
retrieval test split). Benchmarks, never assertions: CI runs ``--quick`` only to see that it completes.

Run: ``python -m evaluation.bench [--quick] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from app.config import REPO_ROOT, Settings
from evaluation import write_result
from evaluation.metrics import mean, recall_at

RESULTS = Path(__file__).parent / "results" / "bench.json"
QUESTION = "What does standard 6 expect?"


def _percentiles(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 2), "p95_ms": round(p95, 2)}


def _wall(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True, cwd=REPO_ROOT)
    return time.perf_counter() - started


def _certprep() -> list[str]:
    script = Path(sys.executable).with_name("certprep")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


def _cold(data_dir: Path, repeats: int) -> dict:
    """Fresh processes: ingest from scratch, `--help`, and process start to first answer."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTPREP_")}
    env["CERTPREP_DATA_DIR"] = str(data_dir)
    ingest_s = _wall([*_certprep(), "ingest"], env)
    help_s = [_wall([*_certprep(), "--help"], env) for _ in range(repeats)]
    first_answer_s = [_wall([*_certprep(), "ask", "--program", "cpt", QUESTION], env) for _ in range(repeats)]
    return {
        "ingest_from_scratch_s": round(ingest_s, 2),
        "help_s": {"median": round(statistics.median(help_s), 3), "max": round(max(help_s), 3)},
        "process_start_to_first_answer_s": {
            "median": round(statistics.median(first_answer_s), 2),
            "max": round(max(first_answer_s), 2),
        },
        "peak_rss_children_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }


def _warm_ask(settings: Settings, questions, quick: bool) -> dict:
    from langchain_chroma import Chroma

    from app.chat.assistant import Assistant
    from app.embeddings import get_embedder
    from app.index.store import make_client

    assistant = Assistant(settings)
    assistant.respond("warm up", assistant.new_session("cpt"))
    asked = questions[:20] if quick else questions
    ask_ms = []
    for q in asked:
        session = assistant.new_session(q.program)
        started = time.perf_counter()
        assistant.respond(q.question, session)
        ask_ms.append((time.perf_counter() - started) * 1000)

    # retrieval only: certprep's hybrid search against LangChain's plain similarity_search, same store
    retriever = assistant.retriever
    baseline = Chroma(
        client=make_client(settings),
        collection_name=settings.collection,
        embedding_function=get_embedder(settings.embedding_model_path, settings),
    )
    baseline.similarity_search("warm up", k=5)
    test = [q for q in questions if q.split == "test" and q.relevant]
    if quick:
        test = test[:10]
    rows = {"hybrid": ([], []), "langchain_similarity_search": ([], [])}
    retriever.forget_queries()  # the ask loop above saw these questions: embed them afresh, like the baseline
    for q in test:
        started = time.perf_counter()
        hits = retriever.search(q.question, program=q.program, k=5, floor=0.0)
        rows["hybrid"][0].append((time.perf_counter() - started) * 1000)
        rows["hybrid"][1].append(recall_at([h.id for h in hits], set(q.relevant), 5))
        started = time.perf_counter()
        docs = baseline.similarity_search(q.question, k=5, filter={"program": q.program})
        rows["langchain_similarity_search"][0].append((time.perf_counter() - started) * 1000)
        rows["langchain_similarity_search"][1].append(recall_at([d.id for d in docs], set(q.relevant), 5))
    retrieval = {name: {**_percentiles(ms), "recall@5_test": round(mean(hits), 4)} for name, (ms, hits) in rows.items()}
    return {"ask": _percentiles(ask_ms), "retrieval": retrieval}


def _warm_analyze(settings: Settings, quick: bool) -> dict:
    from app.mapping.service import get_analyzer
    from evaluation.mapping import warm_latency
    from evaluation.mapping_data import load_projects

    return warm_latency(get_analyzer(settings, "cpt"), load_projects(), repeats=1 if quick else 3, digits=3)


def _shared_server(settings: Settings, questions, quick: bool) -> dict:
    """One user analyses the largest narrative certprep accepts while another asks questions: how long the
    big job takes, and what it does to the other user's answers (Streamlit gives each session a thread)."""
    import threading

    from app.chat.assistant import Assistant
    from app.documents import read_text_input
    from app.documents.readers import MAX_TEXT_CHARS
    from app.mapping.service import get_analyzer

    projects = "\n\n".join(p.read_text() for p in sorted((REPO_ROOT / "examples/cpt/projects").glob("*.md")))
    text = (projects * (MAX_TEXT_CHARS // len(projects) + 1))[: MAX_TEXT_CHARS - 1000]
    if quick:
        text = text[: MAX_TEXT_CHARS // 10]
    document = read_text_input(text, source="largest accepted narrative")
    analyzer = get_analyzer(settings, "cpt")
    assistant = Assistant(settings)
    asked = list(questions)[:20]

    def ask_once(q) -> float:
        started = time.perf_counter()
        assistant.respond(q.question, assistant.new_session(q.program))
        return (time.perf_counter() - started) * 1000

    alone = [ask_once(q) for q in asked]
    started = time.perf_counter()
    analyzer.analyze(document)
    big_alone_s = time.perf_counter() - started
    done = threading.Event()
    big_shared: list[float] = []

    def big_job() -> None:
        begun = time.perf_counter()
        analyzer.analyze(document)
        big_shared.append(time.perf_counter() - begun)
        done.set()

    worker = threading.Thread(target=big_job)
    worker.start()
    during = []
    while not done.is_set():
        during.append(ask_once(asked[len(during) % len(asked)]))
    worker.join()
    return {
        "narrative_chars": len(text),
        "narrative_words": len(text.split()),
        "big_analysis_alone_s": round(big_alone_s, 2),
        "big_analysis_while_others_ask_s": round(big_shared[0], 2),
        "ask_alone": _percentiles(alone),
        "ask_during_big_analysis": _percentiles(during),
    }


def run(quick: bool = False, out: Path | None = RESULTS) -> dict:
    from evaluation.retrieval import load_questions

    with tempfile.TemporaryDirectory(prefix="certprep-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        cold = _cold(data_dir, repeats=1 if quick else 3)
        settings = Settings(data_dir=data_dir)
        questions = [q for q in load_questions() if q.relevant]
        warm = _warm_ask(settings, questions, quick)
        analyze = _warm_analyze(settings, quick)
        shared = _shared_server(settings, questions, quick)
        from evaluation import runtimes

        compared = runtimes.run(Path(tmp) / "runtimes", quick)
    result = {
        "what": "certprep benchmarks (make bench); warm = model, store and BM25 loaded in this process",
        "quick": quick,
        "cold": cold,
        "warm_ask": warm["ask"],
        "retrieval_vs_langchain_baseline": warm["retrieval"],
        "warm_analyze_900_words": analyze,
        "shared_server": shared,
        "runtimes": compared,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "targets": {"warm_ask_p95_ms": 50, "warm_analyze_900_words_s": 0.5, "peak_rss_mb": 1536, "help_s": 1.0},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
    }
    if out is not None:
        write_result(result, out)
    return result


def summary(result: dict) -> str:
    cold, ask = result["cold"], result["warm_ask"]
    lines = [
        f"ingest from scratch          {cold['ingest_from_scratch_s']:.2f} s",
        f"certprep --help              {cold['help_s']['median']:.3f} s (median)",
        f"process start → 1st answer   {cold['process_start_to_first_answer_s']['median']:.2f} s (median)",
        f"warm ask (n={ask['n']})          p50 {ask['p50_ms']:.1f} ms, p95 {ask['p95_ms']:.1f} ms",
    ]
    for name, row in result["retrieval_vs_langchain_baseline"].items():
        lines.append(
            f"retrieval {name:<28} p50 {row['p50_ms']:.1f} ms, p95 {row['p95_ms']:.1f} ms, "
            f"recall@5 {row['recall@5_test']:.3f}"
        )
    an = result["warm_analyze_900_words"]
    lines.append(f"warm analyze, 900 words      median {an['median_s']:.3f} s, max {an['max_s']:.3f} s")
    sh = result["shared_server"]
    lines.append(
        f"largest narrative ({sh['narrative_words']:,} words): {sh['big_analysis_alone_s']:.1f} s alone; "
        f"another user's ask meanwhile p50 {sh['ask_during_big_analysis']['p50_ms']:.0f} ms, "
        f"p95 {sh['ask_during_big_analysis']['p95_ms']:.0f} ms (alone p95 {sh['ask_alone']['p95_ms']:.0f} ms)"
    )
    lines.append(
        "runtime                 cold 1st answer  ask+analyse RSS  query p95  900 words  max |diff|  recall@5  F1"
    )
    for name, row in result["runtimes"]["runtimes"].items():
        cold_row = row["cold"]
        lines.append(
            f"{name:<23} {cold_row['process_start_to_first_answer_s']:>8.2f} s  "
            f"{cold_row['answer_and_analyse_process']['peak_rss_mb']:>10.0f} MB  "
            f"{row['query_embedding']['p95_ms']:>6.1f} ms  {row['warm_analyze_900_words']['median_s']:>6.3f} s  "
            f"{row['max_abs_diff_from_torch']:>9.1e}  {row['retrieval_recall@5_test']:.3f}  "
            f"{row['mapping_macro_f1_test']:.3f}"
        )
    peer = result["runtimes"]["chroma_default_embedding_function"]
    lines.append(
        f"Chroma's default embedding function: query p95 {peer['query_embedding']['p95_ms']:.1f} ms, "
        f"{peer['sentences_per_s']:.0f} sentences/s, max |diff| {peer['max_abs_diff_from_torch']:.1e}"
    )
    lines.append(f"peak RSS                     {result['peak_rss_mb']:.0f} MB (bench process)")
    lines.append(f"peak RSS of child processes  {cold['peak_rss_children_mb']:.0f} MB")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Fewer repetitions (CI checks that it completes).")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    result = run(quick=args.quick, out=args.out)
    print(summary(result))
    print(f"results written to {args.out}")


if __name__ == "__main__":
    main()
