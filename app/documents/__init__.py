"""Reading narratives from files and splitting them into located paragraphs and sentences."""

from app.documents.readers import Document, DocumentError, read_bytes, read_document, read_text_input
from app.documents.segment import Paragraph, Segmented, Sentence, segment

__all__ = [
    "Document",
    "DocumentError",
    "Paragraph",
    "Segmented",
    "Sentence",
    "read_bytes",
    "read_document",
    "read_text_input",
    "segment",
]
