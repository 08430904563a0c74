"""Wording that reviewers may change lives in ``prompts/`` as files, never in code."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml


class TemplateError(RuntimeError):
    pass


@lru_cache(maxsize=32)
def load_templates(prompts_dir: Path, name: str) -> dict[str, str]:
    path = Path(prompts_dir) / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TemplateError(f"missing template file {path}") from exc
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise TemplateError(f"{path}: expected a mapping of names to text")
    return data
