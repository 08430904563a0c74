"""The one base every knowledge file's model derives from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt key in YAML must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
