"""The conversation: routes each message to retrieval, the mapping engine or the rules engine, and
composes a grounded, role-shaped answer (offline by default; an LLM may rephrase, never invent)."""
