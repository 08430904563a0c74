"""A name for a pasted narrative, so that people can paste first and name the project later."""

from __future__ import annotations

import re

MAX_TITLE = 60


def title_from_text(text: str, taken: set[str] | None = None) -> str:
    """The first heading or short first line, else the first words; made unique among ``taken``."""
    taken = taken or set()
    lines = [re.sub(r"^[#>*\-\s]+|[*_`]+", "", line).strip() for line in text.strip().splitlines()]
    first = next((line for line in lines if line), "")
    if len(first) > MAX_TITLE:
        words, title = first.split(), ""
        for word in words:
            if len(title) + len(word) + 1 > MAX_TITLE - 1:
                break
            title = f"{title} {word}".strip()
        first = title.rstrip(",.;:") + "…"
    base = first or "Untitled project"
    title, n = base, 2
    while title in taken:
        title, n = f"{base} ({n})", n + 1
    return title
