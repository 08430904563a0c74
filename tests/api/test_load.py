"""The load benchmark completes and writes every figure (its timings are reported, never asserted)."""

from __future__ import annotations

import json

import pytest

from evaluation import load

pytestmark = pytest.mark.slow


def test_a_short_load_run_completes_without_errors(tmp_path):
    out = tmp_path / "load.json"
    load.run(duration=5, users=4, spawn_rate=4, wait=0.5, mix={"ask": 1, "check": 1, "analyze": 1}, out=out)
    result = json.loads(out.read_text())
    assert set(result["endpoints"]) == {"ask", "check", "analyze"}
    assert result["errors"]["total"] == 0, result["errors"]
    assert result["overall"]["requests"] == sum(e["requests"] for e in result["endpoints"].values())
    assert {"p50_ms", "p95_ms", "p99_ms", "rps"} <= set(result["endpoints"]["ask"])
    assert result["server"]["workers"] == 1 and result["machine"]["cpus"] and result["users"] == 4
    assert "targets met" in load.summary(result)
