"""Indexing: knowledge chunks, the Chroma store, and incremental ingest."""
