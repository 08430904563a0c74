"""`make bench` completes (its numbers are reported, never asserted: they are benchmarks)."""

from __future__ import annotations

import json

import pytest

from evaluation import bench

pytestmark = pytest.mark.slow


def test_quick_bench_completes_and_writes_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    bench.run(quick=True, out=out)
    result = json.loads(out.read_text())
    assert set(result["cold"]) == {
        "ingest_from_scratch_s",
        "help_s",
        "process_start_to_first_answer_s",
        "peak_rss_children_mb",
    }
    assert result["warm_ask"]["n"] == 20
    assert set(result["retrieval_vs_langchain_baseline"]) == {"hybrid", "langchain_similarity_search"}
    assert result["warm_analyze_900_words"]["runs"] == result["warm_analyze_900_words"]["narratives"]
    assert "peak RSS" in bench.summary(result)
