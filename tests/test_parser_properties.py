"""Property tests: the parsers never fail with anything but their own clear error, whatever they get."""

from __future__ import annotations

import re
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.documents import DocumentError, read_bytes
from app.eligibility.hours_log import HoursLogError, classify_rows, parse_hours_log
from app.reports.gap_report import escape_markdown
from app.storage.uploads import safe_name

NAMES = st.sampled_from(["a.txt", "b.md", "c.docx", "d.pdf", "e", "f.exe", "../g.txt", "h.PDF"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=4000), name=NAMES)
def test_read_bytes_gives_text_or_a_document_error(data, name):
    try:
        document = read_bytes(data, name, max_bytes=3000)
    except DocumentError as exc:
        assert str(exc).split(":")[0] in {"a.txt", "b.md", "c.docx", "d.pdf", "e", "f.exe", "g.txt", "h.PDF"}
    else:
        assert document.text.strip() and "\r" not in document.text


@settings(max_examples=100, deadline=None)
@given(prefix=st.sampled_from([b"%PDF-1.7\n", b"PK\x03\x04"]), rest=st.binary(max_size=2000))
def test_corrupt_pdf_and_docx_are_document_errors(prefix, rest):
    """Whatever the bytes: a one-line DocumentError naming the file, or usable text; never another error."""
    for name in ("x.pdf", "x.docx", "x.txt"):
        try:
            document = read_bytes(prefix + rest, name)
        except DocumentError as exc:
            assert str(exc).startswith(f"{name}:") and "\n" not in str(exc)
        else:
            assert document.text.strip() and "\r" not in document.text


CELLS = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    header=st.lists(st.sampled_from(["date", "client", "activity", "hours", "paid", "other", ""]), max_size=7),
    rows=st.lists(st.lists(CELLS, max_size=7), max_size=8),
)
def test_hours_log_rows_are_classified_or_refused(header, rows):
    text = "\n".join([",".join(header), *(",".join(r) for r in rows)])
    try:
        parsed = parse_hours_log(text, "log.csv")
    except HoursLogError as exc:
        assert all(p.startswith("log.csv:") for p in exc.problems)
        return
    for row in classify_rows(parsed, date(2023, 1, 1), date(2026, 1, 1)):
        assert row.reason is not None or (row.hours is not None and row.hours > 0 and row.paid)


@given(st.text(max_size=200))
def test_escaped_markdown_is_lossless_and_has_no_live_html_or_links(text):
    escaped = escape_markdown(text)
    assert re.sub(r"\\(.)", r"\1", escaped, flags=re.S) == text
    assert not re.search(r"(?<!\\)[<\[]", escaped.replace("\\\\", ""))


@given(st.text(max_size=300))
def test_safe_names_stay_in_their_folder(name):
    cleaned = safe_name(name)
    assert cleaned and "/" not in cleaned and "\\" not in cleaned and not cleaned.startswith(".")
    assert len(cleaned) <= 120
