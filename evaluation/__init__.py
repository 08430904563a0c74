"""Evaluation: labelled data, the code that scores certprep against it, and committed results."""

from __future__ import annotations

import json
from pathlib import Path


def write_result(result: dict, out: Path, indent: int = 2) -> Path:
    """Results are committed, so every evaluation writes them the same way: JSON with a final newline."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=indent) + "\n")
    return out
