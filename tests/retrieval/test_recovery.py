"""A corrupt local index is detected, set aside and rebuilt from knowledge/ with a notice, not a crash."""

from __future__ import annotations

import pytest

from app.config import Settings
from app.index.ingest import ingest
from app.retrieval.service import KnowledgeRetriever

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("damage", ["garbage", "empty"])
def test_corrupt_index_is_rebuilt(tmp_path, fixture_knowledge, embedder, damage):
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=fixture_knowledge)
    ingest(settings, embedder=embedder)
    database = settings.chroma_dir / "chroma.sqlite3"
    database.write_bytes(b"this is not a database " * 100 if damage == "garbage" else b"")
    retriever = KnowledgeRetriever(settings, embedder=embedder)
    hits = retriever.search("How should rejected widgets be reported?", program="cwi", k=3)
    assert hits and hits[0].metadata["standard"] == "S2"
    if damage == "garbage":
        assert retriever.notices and "rebuilt from the knowledge base" in retriever.notices[0]
        assert list(tmp_path.joinpath("data").glob("chroma.broken-*"))


def test_ask_on_a_corrupt_index_answers_with_a_notice(tmp_path, fixture_knowledge):
    import os
    import subprocess
    import sys

    from app.config import REPO_ROOT

    env = {**os.environ, "CERTPREP_DATA_DIR": str(tmp_path / "d"), "CERTPREP_KNOWLEDGE_DIR": str(fixture_knowledge)}
    cli = [sys.executable, "-m", "app.cli"]
    subprocess.run([*cli, "ingest"], env=env, cwd=REPO_ROOT, check=True, capture_output=True)
    (tmp_path / "d" / "chroma" / "chroma.sqlite3").write_bytes(b"\x00garbage" * 512)
    done = subprocess.run(
        [*cli, "ask", "--program", "cwi", "How should rejected widgets be reported?"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "note: The search index could not be opened" in done.stderr
    assert "[1] Standard 2: Report Nonconforming Widgets" in done.stdout


def test_stale_index_is_brought_up_to_date_with_a_notice(tmp_path, fixture_knowledge, embedder):
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=fixture_knowledge)
    ingest(settings, embedder=embedder)
    assert KnowledgeRetriever(settings, embedder=embedder).notices == []
    faq = next(fixture_knowledge.rglob("faq.md"))
    faq.write_text(
        faq.read_text()
        + "\n\n## How long is a widget certificate valid?\n"
        + "id: validity | audience: candidate | sources: W1 | as_of: 2026 | confidence: confirmed\n\n"
        + "A widget certificate is valid for four years, after which the inspector sits the test again.\n"
    )
    retriever = KnowledgeRetriever(settings, embedder=embedder)
    assert retriever.notices and "out of date with the knowledge base" in retriever.notices[0]
    hits = retriever.search("How long is a widget certificate valid?", program="cwi", k=1)
    assert "four years" in hits[0].text
