"""The application file (YAML) a candidate or staff member gives to `certprep check`.

Every problem is reported at once, each with the file, the line and the field, so a user fixes the file
in one pass. Paths inside the file are relative to the file itself.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.eligibility.facts import EDUCATION_LEVELS, Substitution

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_APPLICATION_BYTES = 1_048_576


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so an impossible date (2026-13-01) becomes a validation
    problem with its line number instead of a crash inside the YAML parser."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class ApplicationError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Attestation(Strict):
    name: str = Field(min_length=1)
    relation: str = Field(min_length=1, description="client, internal_client, external_client, supervisor, peer…")
    signed: bool = False

    @field_validator("relation")
    @classmethod
    def _normalise(cls, value: str) -> str:
        return value.strip().lower().replace(" ", "_").replace("-", "_")


class ProjectEntry(Strict):
    title: str = Field(min_length=1)
    narrative: str = Field(min_length=1, description="Path to the narrative, relative to the YAML file.")
    attestations: list[Attestation] = Field(default_factory=list)


class Role(Strict):
    role: str = Field(min_length=1)
    organization: str | None = None
    start: str
    end: str | None = Field(default=None, description="YYYY-MM, or empty / `present` for a current role.")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _month(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, dt.date):
            return f"{value.year:04d}-{value.month:02d}"
        text = str(value).strip()
        if text.lower() in {"present", "now", "current", ""}:
            return None
        if not _MONTH.match(text):
            raise ValueError(f"{text!r} is not a month (use YYYY-MM)")
        return text

    @model_validator(mode="after")
    def _ordered(self) -> Role:
        if self.start is None:
            raise ValueError("start is required (YYYY-MM)")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"ends ({self.end}) before it starts ({self.start})")
        return self


class ApplicationFile(Strict):
    program: str = Field(min_length=1)
    applicant: str = Field(min_length=1)
    applied_on: dt.date
    education: str | None = Field(default=None, description=" | ".join(EDUCATION_LEVELS))
    ethics_agreed: bool | None = None
    hours_log: str | None = None
    paid_hours: float | None = Field(default=None, ge=0, description="A total of paid hours, when there is no log.")
    education_hours: float | None = Field(default=None, ge=0, description="Contact hours of formal instruction.")
    credentials: list[str] = Field(default_factory=list, description="Credentials held, e.g. capm.")
    substitutions: list[Substitution] = Field(default_factory=list)
    experience: list[Role] = Field(default_factory=list)
    projects: list[ProjectEntry] = Field(default_factory=list)

    @field_validator("program")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator("credentials")
    @classmethod
    def _credential_ids(cls, values: list[str]) -> list[str]:
        return [v.strip().lower().replace(" ", "_").replace("-", "_") for v in values]

    @field_validator("education")
    @classmethod
    def _known_level(cls, value: str | None) -> str | None:
        if value is None:
            return None
        level = value.strip().lower().replace(" ", "_").replace("-", "_")
        if level not in EDUCATION_LEVELS:
            raise ValueError(f"{value!r} is not one of {', '.join(EDUCATION_LEVELS)}")
        return level


def _line(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if match is None:
                break
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line


def _field(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and not part.startswith(("function-", "literal[", "union[")):
            out += f".{part}" if out else part
    return out or "(top level)"


def load_application(path: Path) -> ApplicationFile:
    """Parse and validate; raises ApplicationError listing every problem as `file:line: field: message`."""
    name = str(path)
    if not path.is_file():
        raise ApplicationError([f"{name}: no such file"])
    if path.stat().st_size > MAX_APPLICATION_BYTES:
        raise ApplicationError([f"{name}: too large for an application file (over 1 MB)"])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ApplicationError([f"{name}: not UTF-8 text"]) from None
    return parse_application(text, name)


def parse_application(text: str, name: str = "application") -> ApplicationFile:
    """An application's YAML (or JSON) text, as `load_application` reads a file: also for text that never was
    one (the HTTP API). ``name`` labels the problems."""
    if len(text.encode("utf-8")) > MAX_APPLICATION_BYTES:
        raise ApplicationError([f"{name}: too large for an application file (over 1 MB)"])
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark else name
        raise ApplicationError([f"{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}"]) from None
    return validate_application(data, name, node)


def validate_application(data: Any, name: str = "application", node: yaml.Node | None = None) -> ApplicationFile:
    """Parsed fields (from YAML, whose ``node`` gives the line numbers, or JSON) as an application."""
    if not isinstance(data, dict):
        raise ApplicationError([f"{name}: expected a mapping of fields (program, applicant, applied_on, …)"])
    try:
        return ApplicationFile.model_validate(data)
    except ValidationError as exc:
        problems: list[tuple[int, str]] = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = _line(node, loc)
            where = f"{name}:{line}" if line else name
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown field (check the spelling; see the README for the format)"
            problems.append((line or 0, f"{where}: {_field(loc)}: {message}"))
        raise ApplicationError([text for _, text in sorted(problems, key=lambda p: p[0])]) from None


def resolve(application_path: Path, relative: str) -> Path:
    """A path named in the application file, relative to that file's folder."""
    candidate = Path(relative).expanduser()
    return candidate if candidate.is_absolute() else (application_path.parent / candidate)
