"""Narrative-to-standards mapping: which standards a project really demonstrates, and what is missing."""
