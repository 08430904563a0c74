"""Turn an uploaded or named file into plain text, or a clear, one-line reason why not.

Every failure is a ``DocumentError`` naming the file: the CLI prints it on one line and the UI shows it
without losing what the user typed.
"""

from __future__ import annotations

import io
from pathlib import Path

from pydantic import BaseModel

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
# What a file may *expand* to, not only its size: a 1 MB .docx can hold 400 MB of XML, and a 2 MB PDF
# thousands of pages; either stalled a shared server for minutes. A project narrative is a few thousand
# words, so these leave ample room for a real one.
MAX_DOCX_UNCOMPRESSED = 25 * 1024 * 1024  # all parts of the package together
MAX_DOCX_RATIO = 100  # uncompressed / compressed of any part (text XML is typically 3-10)
MAX_PDF_PAGES = 300
MAX_TEXT_CHARS = 400_000  # about 60,000 words
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text", ""}
SUPPORTED = ".txt, .md, .docx, .pdf"


class DocumentError(ValueError):
    """A file we cannot read as a narrative; the message says which file and why."""


class Document(BaseModel):
    source: str
    text: str
    notice: str | None = None


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 1_048_576 else f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"


def _decode(data: bytes, source: str) -> tuple[str, str | None]:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentError(f"{source}: this looks like a binary file, not text ({SUPPORTED} are supported)")
    for encoding in ("utf-8-sig", "utf-16"):
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            return data.decode(encoding), None
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("cp1252"), f"{source}: not UTF-8; read as Windows-1252 (check accented letters)"
    except UnicodeDecodeError:
        return data.decode("latin-1"), f"{source}: not UTF-8; read as Latin-1 (check accented letters)"


def _docx_text(data: bytes, source: str) -> str:
    import zipfile

    from docx import Document as DocxDocument

    try:
        parts = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile as exc:
        raise DocumentError(f"{source}: not a readable .docx file (corrupt or not Word format)") from exc
    expanded = sum(p.file_size for p in parts)
    if expanded > MAX_DOCX_UNCOMPRESSED or any(
        p.file_size > MAX_DOCX_RATIO * max(p.compress_size, 1024) for p in parts
    ):
        raise DocumentError(
            f"{source}: the .docx expands to {_size(expanded)}, far more than a narrative needs "
            f"(limit {_size(MAX_DOCX_UNCOMPRESSED)}, {MAX_DOCX_RATIO}x per part); save it again or paste the text"
        )
    try:
        doc = DocxDocument(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"{source}: not a readable .docx file (corrupt or not Word format)") from exc
    except Exception as exc:  # python-docx raises several lxml/opc errors for damaged packages
        raise DocumentError(f"{source}: not a readable .docx file ({type(exc).__name__})") from exc
    blocks: list[str] = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            cells: list[str] = []
            for cell in row.cells:
                text = cell.text.strip()
                if text and (not cells or cells[-1] != text):  # merged cells repeat their text
                    cells.append(text)
            if cells:
                blocks.append(" | ".join(cells))
    return "\n\n".join(b.strip() for b in blocks if b.strip())


def _pdf_text(data: bytes, source: str) -> str:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise DocumentError(f"{source}: the PDF is password-protected; save an unprotected copy")
            except DocumentError:
                raise
            except Exception as exc:
                raise DocumentError(f"{source}: the PDF is password-protected; save an unprotected copy") from exc
        if len(reader.pages) > MAX_PDF_PAGES:
            raise DocumentError(
                f"{source}: the PDF has {len(reader.pages):,} pages, more than a narrative needs "
                f"(limit {MAX_PDF_PAGES}); export only the project pages"
            )
        pages, chars = [], 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            chars += len(pages[-1])
            if chars > MAX_TEXT_CHARS:
                break  # reported below with the other formats
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise DocumentError(f"{source}: not a readable PDF (corrupt or truncated)") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text.strip():
        raise DocumentError(
            f"{source}: the PDF has no text layer (scanned or image-only); paste the text or export it again"
        )
    return text


def read_bytes(data: bytes, name: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read an upload. ``name`` only decides the format and labels errors; it is never a path."""
    source = Path(name).name or "upload"
    if len(data) > max_bytes:
        raise DocumentError(f"{source}: {_size(len(data))} is over the {_size(max_bytes)} limit")
    suffix = Path(source).suffix.lower()
    notice = None
    if suffix == ".docx":
        text = _docx_text(data, source)
    elif suffix == ".pdf":
        text = _pdf_text(data, source)
    elif suffix in TEXT_SUFFIXES:
        if data.startswith(b"%PDF"):
            text = _pdf_text(data, source)
        elif data.startswith(b"PK\x03\x04"):
            text = _docx_text(data, source)
        else:
            text, notice = _decode(data, source)
    else:
        raise DocumentError(f"{source}: unsupported file type {suffix!r} ({SUPPORTED} are supported)")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise DocumentError(f"{source}: the file is empty (no text to analyse)")
    if len(text) > MAX_TEXT_CHARS:
        raise DocumentError(
            f"{source}: over {MAX_TEXT_CHARS:,} characters of text, far more than a project narrative; "
            "split it into one file per project"
        )
    return Document(source=source, text=text, notice=notice)


def read_document(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, stdin: io.IOBase | None = None) -> Document:
    """Read a named file, or standard input for ``-``."""
    if str(path) == "-":
        import sys

        stream = stdin if stdin is not None else sys.stdin.buffer
        data = stream.read(max_bytes + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
        return read_bytes(data, "stdin.txt", max_bytes)
    file = Path(path)
    if not file.exists():
        raise DocumentError(f"{path}: no such file")
    if file.is_dir():
        raise DocumentError(f"{path}: is a folder, not a file")
    size = file.stat().st_size
    if size > max_bytes:
        raise DocumentError(f"{path}: {_size(size)} is over the {_size(max_bytes)} limit")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path}: cannot be read ({exc.strerror})") from exc
    document = read_bytes(data, file.name, max_bytes)
    return document.model_copy(update={"source": str(path)})


def read_text_input(text: str, source: str = "pasted text") -> Document:
    """Pasted text, checked like a file."""
    if not text or not text.strip():
        raise DocumentError(f"{source}: the text is empty (nothing to analyse)")
    if len(text) > MAX_TEXT_CHARS:
        raise DocumentError(
            f"{source}: over {MAX_TEXT_CHARS:,} characters of text, far more than a project narrative; "
            "split it into one text per project"
        )
    return Document(source=source, text=text.replace("\r\n", "\n").replace("\r", "\n"))
