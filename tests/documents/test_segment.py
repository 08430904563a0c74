"""Segmentation: paragraphs and sentences with offsets that always point back into the original text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.documents.segment import MAX_SENTENCE_CHARS, segment


def test_paragraphs_and_sentences_with_offsets():
    text = "First we met Dr. Lee at 9 a.m. on site. She agreed.\n\n  Then we measured 4.5% fewer errors!\n"
    seg = segment(text)
    assert [text[p.start : p.end] for p in seg.paragraphs] == [
        "First we met Dr. Lee at 9 a.m. on site. She agreed.",
        "Then we measured 4.5% fewer errors!",
    ]
    assert [(s.text, s.paragraph) for s in seg.sentences] == [
        ("First we met Dr. Lee at 9 a.m. on site.", 0),
        ("She agreed.", 0),
        ("Then we measured 4.5% fewer errors!", 1),
    ]
    for s in seg.sentences:
        assert text[s.start : s.end] == s.text


def test_long_run_on_is_split():
    text = ", ".join(f"we did step {i}" for i in range(120)) + "."
    seg = segment(text)
    assert len(seg.sentences) > 1
    assert all(len(s.text) <= MAX_SENTENCE_CHARS for s in seg.sentences)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_offsets_always_match_the_text(text):
    seg = segment(text)
    for s in seg.sentences:
        assert 0 <= s.start < s.end <= len(text)
        assert text[s.start : s.end] == s.text
        assert s.text.strip() == s.text
    for p in seg.paragraphs:
        assert 0 <= p.start <= p.end <= len(text)
