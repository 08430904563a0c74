"""What a conversation holds and what a reply carries. Every sentence of a reply records what it rests
on (a cited passage, an engine result, or fixed template wording), so faithfulness can be checked."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.retrieval.answer import Citation


class Role(StrEnum):
    candidate = "candidate"
    mentor = "mentor"
    staff = "staff"


class Intent(StrEnum):
    knowledge = "knowledge"
    narrative = "narrative"
    eligibility = "eligibility"
    followup = "followup"
    out_of_scope = "out_of_scope"


class Grounding(StrEnum):
    passage = "passage"  # restates cited passage(s)
    engine = "engine"  # a result of the mapping or rules engine
    template = "template"  # fixed wording from prompts/, states no fact


class AnswerSentence(BaseModel):
    text: str
    grounding: Grounding
    cites: list[int] = Field(default_factory=list, description="1-based citation numbers.")
    prefix: str = Field(default="", description="Template wording before the grounded text (states no fact).")
    bullet: bool = False
    paragraph: bool = False


class Turn(BaseModel):
    speaker: Literal["user", "assistant"]
    text: str
    intent: Intent | None = None
    program: str | None = None
    standard: str | None = None
    query: str | None = None  # the resolved question a follow-up builds on


class Session(BaseModel):
    """One conversation. Bounded: only the last ``max_turns`` turns are kept."""

    program: str = "cpt"
    role: Role = Role.candidate
    history: list[Turn] = Field(default_factory=list)
    facts: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Eligibility facts per program.")
    max_turns: int = 20

    def remember(self, turn: Turn) -> None:
        self.history.append(turn)
        del self.history[: max(0, len(self.history) - self.max_turns)]

    def last_assistant(self) -> Turn | None:
        return next((t for t in reversed(self.history) if t.speaker == "assistant"), None)


class Reply(BaseModel):
    text: str
    intent: Intent
    program: str
    role: Role
    sentences: list[AnswerSentence]
    citations: list[Citation] = Field(default_factory=list)
    confidence: Literal["high", "medium", "low", "none"] = "none"
    analysis: dict | None = None
    check: dict | None = None
    notices: list[str] = Field(default_factory=list)
    used_llm: bool = False
    query: str | None = None
    engine_facts: list[str] = Field(default_factory=list, description="Engine results the answer may restate.")

    def public(self) -> dict:
        return {
            "intent": self.intent.value,
            "program": self.program,
            "role": self.role.value,
            "answer": self.text,
            "citations": [
                {k: getattr(c, k) for k in ("source", "title", "kind", "standard", "text", "score", "confidence")}
                for c in self.citations
            ],
            "confidence": self.confidence,
            "analysis": self.analysis,
            "check": self.check,
            "notices": self.notices,
            "used_llm": self.used_llm,
        }

    def asked(self, question: str, program: str | None, default_program: str) -> dict:
        """What `certprep ask --json` prints and the HTTP API's ask returns. ``program`` is the one asked
        for (None: the default); the answer's program is named when it was asked for or the question moved
        away from the default."""
        data = {"question": question, **self.public()}
        data["program"] = self.program if (program or self.program != default_program) else program
        return data
