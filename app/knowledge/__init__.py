"""The knowledge base: schema, loading and validation of ``knowledge/<program>/``."""

from app.knowledge.loader import KnowledgeError, Problem, load_knowledge, load_program, validate_tree
from app.knowledge.schema import KnowledgeBase, Parameter, Standard

__all__ = [
    "KnowledgeBase",
    "KnowledgeError",
    "Parameter",
    "Problem",
    "Standard",
    "load_knowledge",
    "load_program",
    "validate_tree",
]
