"""Hostile or unusual input: client names never reach the logs, and a long narrative full of HTML,
right-to-left text and emoji is analysed with every evidence span pointing at the right text."""

from __future__ import annotations

import logging

import pytest

from app.chat.assistant import Assistant
from app.config import REPO_ROOT, Settings
from app.documents import Document
from app.mapping.service import get_analyzer
from tests.conftest import SHIPPED_KNOWLEDGE

pytestmark = pytest.mark.slow
CLIENT = "Zebulon Quartermaine-Okafor"


def test_narratives_and_client_names_are_never_logged(tmp_path, caplog):
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=SHIPPED_KNOWLEDGE)
    text = (REPO_ROOT / "examples/cpt/projects/food-waste.md").read_text().replace("the plant director", CLIENT)
    caplog.set_level(logging.DEBUG)
    get_analyzer(settings, "cpt").analyze(Document(source="p.md", text=text))
    assistant = Assistant(settings)
    assistant.respond(f"Does this show standard 6? {text}", assistant.new_session("cpt"))
    assistant.respond(f"My client {CLIENT} wants to know about ethics.", assistant.new_session("cpt"))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert CLIENT not in logged
    assert "weighed waste by line" not in logged


def test_long_mixed_script_narrative_keeps_offsets_true(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=SHIPPED_KNOWLEDGE)
    base = (REPO_ROOT / "examples/cpt/projects/medication-errors.md").read_text()
    extras = "\n\n<script>alert('x')</script> مرحبا بالعالم، قمنا بقياس الأخطاء 📉🔥 שלום <b>bold</b>\n\n"
    text = ""
    while len(text.split()) < 10_000:
        text += base + extras
    result = get_analyzer(settings, "cpt").analyze(Document(source="long.md", text=text))
    assert result.words >= 10_000
    spans = [e for s in result.standards for e in s.evidence]
    assert spans
    for evidence in spans:
        assert 0 <= evidence.start < evidence.end <= len(text)
        assert text[evidence.start : evidence.end] == evidence.text
