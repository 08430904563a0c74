"""The committed OpenAPI document (docs/openapi.json), written from the application itself; a test compares
the two, so the document cannot fall behind the code. Run ``python -m app.api.openapi`` after changing an
endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.config import REPO_ROOT, Settings

COMMITTED = REPO_ROOT / "docs" / "openapi.json"


def schema() -> dict[str, Any]:
    from app.api.app import create_app

    return create_app(Settings()).openapi()


def write(path: Path = COMMITTED) -> Path:
    path.write_text(json.dumps(schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write()}")
