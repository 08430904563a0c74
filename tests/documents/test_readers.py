"""Readers: every supported format, and every bad input gives one clear DocumentError naming the file."""

from __future__ import annotations

import io

import pytest

from app.documents import DocumentError, read_bytes, read_document, read_text_input
from app.documents.readers import DEFAULT_MAX_BYTES, MAX_PDF_PAGES, MAX_TEXT_CHARS


def make_pdf(text: str) -> bytes:
    """A one-page PDF with a real text layer, written by hand so the test needs no PDF writer."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >>"
        b" /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    from docx import Document

    doc = Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    if table:
        grid = doc.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_utf8_text_and_markdown():
    doc = read_bytes("Café résumé — we met 12 nurses.\r\nSecond line.".encode(), "n.md")
    assert doc.text == "Café résumé — we met 12 nurses.\nSecond line." and doc.notice is None


def test_cp1252_is_decoded_with_a_notice():
    doc = read_bytes("We surveyed 40 clients’ homes in Zürich.".encode("cp1252"), "n.txt")
    assert "clients’ homes in Zürich" in doc.text
    assert doc.notice == "n.txt: not UTF-8; read as Windows-1252 (check accented letters)"


def test_utf16_with_bom():
    doc = read_bytes("Plain narrative.".encode("utf-16"), "n.txt")
    assert doc.text == "Plain narrative."


def test_docx_includes_table_text():
    data = make_docx(["We ran a cause analysis."], [["Measure", "Before", "After"], ["Defects", "4.1%", "2.3%"]])
    text = read_bytes(data, "draft.docx").text
    assert "We ran a cause analysis." in text
    assert "Defects | 4.1% | 2.3%" in text


def test_pdf_text_layer():
    assert (
        "Six months later we compared defects"
        in read_bytes(make_pdf("Six months later we compared defects"), "a.pdf").text
    )


def test_encrypted_pdf_is_a_clear_error():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(make_pdf("secret"))))
    writer.encrypt(user_password="pw", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(DocumentError, match=r"a\.pdf: the PDF is password-protected"):
        read_bytes(out.getvalue(), "a.pdf")


def test_image_only_pdf_is_a_clear_error():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(DocumentError, match="no text layer"):
        read_bytes(out.getvalue(), "scan.pdf")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.4\n garbage", "broken.pdf", "broken.pdf: not a readable PDF"),
        (b"PK\x03\x04 not really a zip", "broken.docx", "broken.docx: not a readable .docx file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.txt", "photo.txt: this looks like a binary file"),
        (b"   \n\t\n", "empty.txt", "empty.txt: the file is empty"),
        (b"hello", "notes.rtf", "notes.rtf: unsupported file type '.rtf'"),
    ],
)
def test_bad_files(data, name, message):
    with pytest.raises(DocumentError) as exc:
        read_bytes(data, name)
    assert str(exc.value).startswith(message)


def test_size_limit(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"word " * 1000)
    with pytest.raises(DocumentError, match=r"big\.txt: 5 KB is over the 100 bytes limit"):
        read_document(path, max_bytes=100)
    with pytest.raises(DocumentError, match=r"big\.txt: 2\.0 MB is over the 2\.0 MB limit"):
        read_bytes(b"x" * (2 * 1_048_576 + 1), "big.txt")
    assert read_document(path, max_bytes=10_000).text.startswith("word word")


def test_upload_names_cannot_carry_a_path():
    assert read_bytes(b"text", "../../etc/passwd.txt").source == "passwd.txt"


def test_missing_file_folder_and_stdin(tmp_path):
    with pytest.raises(DocumentError, match="no such file"):
        read_document(tmp_path / "nope.md")
    with pytest.raises(DocumentError, match="is a folder"):
        read_document(tmp_path)
    assert read_document("-", stdin=io.BytesIO(b"From stdin.")).text == "From stdin."


def test_pasted_text_must_not_be_blank():
    with pytest.raises(DocumentError, match="the text is empty"):
        read_text_input("  \n ")


def test_a_docx_that_expands_far_beyond_its_size_is_refused_before_it_is_parsed():
    """A decompression bomb under the upload limit (issue 20): refused from the zip's directory, without
    inflating it."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:t>" + "a" * (60 * 1024 * 1024) + "</w:t>")
    data = out.getvalue()
    assert len(data) < DEFAULT_MAX_BYTES  # it passes the upload limit ...
    with pytest.raises(DocumentError, match=r"bomb\.docx: the \.docx expands to 60\.0 MB"):
        read_bytes(data, "bomb.docx")  # ... and is stopped by what it expands to


def test_a_pdf_with_thousands_of_pages_is_refused():
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(MAX_PDF_PAGES + 1):
        writer.add_blank_page(width=72, height=72)
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(DocumentError, match=rf"pages\.pdf: the PDF has {MAX_PDF_PAGES + 1:,} pages"):
        read_bytes(out.getvalue(), "pages.pdf")


def test_text_far_longer_than_a_narrative_is_refused_with_what_to_do():
    long = "We measured the defects again. " * (MAX_TEXT_CHARS // 30)
    with pytest.raises(DocumentError, match="split it into one"):
        read_bytes(long.encode(), "all-projects.txt")
    with pytest.raises(DocumentError, match="split it into one"):
        read_text_input(long)
    assert read_text_input(long[: MAX_TEXT_CHARS - 100]).text.startswith("We measured")
