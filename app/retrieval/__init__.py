"""Retrieval over the indexed knowledge base."""
