"""What the API accepts and what it says about itself. The results of ask, analyze, check, recert and
programs are the command line's ``--json`` objects, made by the same functions, so they are not
re-declared here (a second declaration could only drift from the first)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.chat.models import Role

MAX_QUESTION_CHARS = 4000


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenRequest(Request):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=2048)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds the session lasts at most (it also ends after idle time).")


class AskRequest(Request):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    program: str | None = Field(default=None, description="Program id (cpt, cpo, pmp...); default: the server's.")
    role: Role | None = Field(
        default=None,
        description="Answer style. Organization mode: the account's own; staff and administrators may ask as "
        "another role (a preview). Personal mode: candidate unless given.",
    )
    top_k: int = Field(default=5, ge=1, le=20, description="Passages to retrieve (`certprep ask --top`).")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        return value.strip()


class Narrative(Request):
    text: str = Field(min_length=1, description="The narrative as plain text or Markdown.")
    name: str = Field(default="narrative", max_length=200, description="Labels the project in the result.")


class AnalyzeRequest(Request):
    program: str = Field(default="cpt", description="Program id, e.g. cpt.")
    narratives: list[Narrative] = Field(min_length=1, max_length=20, description="One per project.")


class CheckRequest(Request):
    application: dict[str, Any] | str = Field(
        description="The application: its fields as an object, or the YAML text of an application file "
        "(the format of `certprep check`)."
    )
    files: dict[str, str] = Field(
        default_factory=dict,
        max_length=50,
        description="Texts of the files the application names (hours_log, projects' narratives), keyed by the "
        "name the application gives them. Nothing is read from the server's disk.",
    )


class RecertRequest(Request):
    program: str = Field(description="Program id (cpt, cpo, pmp...).")
    anniversary: dt.date = Field(description="Certification anniversary that ends the cycle (YYYY-MM-DD).")
    log: str = Field(
        description="The credit log as CSV text: date, activity, the program's credit column (points, ceus, "
        "pdus) and, where the program has them, category or yes/no flag columns such as ethics."
    )
    today: dt.date | None = Field(default=None, description="Check as of this date (default: today).")


class Health(BaseModel):
    status: str = "ok"


class Part(BaseModel):
    ready: bool
    detail: str


class Readiness(BaseModel):
    ready: bool
    parts: dict[str, Part] = Field(description="knowledge, index, database, models: each ready or why not.")
    error: str | None = Field(default=None, description="Which parts are not ready, in one line.")


class ErrorBody(BaseModel):
    error: str = Field(description="What went wrong, in one line.")
    problems: list[str] | None = Field(default=None, description="Each problem, when there are several.")
