"""`python -m evaluation.chat_dev`: the chat assistant on its dev set of direct-answer and fact questions.

The set (`data/chat_dev_questions.yaml`) holds questions from the issue-18 user-testing report: numbers and
degrees quoted in a question about a rule, numbers written as words, ranges and approximations, yes/no,
superlative, comparison and how-many questions, and answers whose confidence wording must agree with
their sources. A question counts as right in a role when every expectation written for it holds, the
answer is faithful to its citations, and its confidence wording agrees with every cited passage. It is a
dev set: the method was built while looking at it, so its score says the listed cases work, not how
well unseen questions are answered.
"""

from __future__ import annotations

import argparse
import platform
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from app.chat.assistant import Assistant
from app.chat.citations import unfaithful_sentences
from app.chat.models import Reply, Role, Session
from app.config import Settings
from evaluation import write_result

DATA = Path(__file__).parent / "data" / "chat_dev_questions.yaml"
RESULTS = Path(__file__).parent / "results" / "chat_dev.json"


class Expect(BaseModel):
    intent: str | None = None
    facts: dict[str, Any] | None = None
    first: list[str] = Field(default_factory=list)
    first_not: list[str] = Field(default_factory=list)
    contains: list[str] = Field(default_factory=list)
    absent: list[str] = Field(default_factory=list)


class DevQuestion(BaseModel):
    id: str
    program: str
    question: str
    roles: list[Role] = Field(default_factory=lambda: list(Role))
    before: list[str] = Field(default_factory=list)
    expect: Expect


def load_questions(path: Path = DATA) -> list[DevQuestion]:
    return [DevQuestion.model_validate(q) for q in yaml.safe_load(path.read_text())["questions"]]


def first_sentence(reply: Reply) -> str:
    """What the answer leads with: its first sentence, without a role's framing prefix ("Rule: ")."""
    if not reply.sentences:
        return reply.text
    return reply.sentences[0].text.strip()


def confidence_problems(reply: Reply, t: dict[str, str]) -> list[str]:
    """The closing confidence must agree with every cited passage."""
    problems = []
    uncertain = [c for c in reply.citations if c.confidence == "uncertain"]
    if uncertain and t["staff_confirmed"] in reply.text:
        problems.append("says confirmed next to an uncertain passage")
    for c in uncertain:
        if c.note and c.note not in reply.text:
            problems.append(f"does not say why {c.title!r} is uncertain")
    return problems


def check(q: DevQuestion, reply: Reply, session: Session, t: dict[str, str]) -> list[str]:
    e = q.expect
    problems: list[str] = []
    if e.intent and reply.intent.value != e.intent:
        problems.append(f"intent {reply.intent.value}, expected {e.intent}")
    if e.facts is not None:
        got = session.facts.get(q.program, {})
        if {k: float(v) if isinstance(v, int | float) else v for k, v in got.items()} != {
            k: float(v) if isinstance(v, int | float) else v for k, v in e.facts.items()
        }:
            problems.append(f"facts {got}, expected {e.facts}")
    first = first_sentence(reply)
    if e.first and not any(x in first for x in e.first):
        problems.append(f"first sentence {first!r} has none of {e.first}")
    if any(first.startswith(x) for x in e.first_not):
        problems.append(f"first sentence {first!r} starts with one of {e.first_not}")
    problems += [f"missing {x!r}" for x in e.contains if x not in reply.text]
    problems += [f"should not say {x!r}" for x in e.absent if x in reply.text]
    problems += [f"unfaithful: {p}" for p in unfaithful_sentences(reply, reply.engine_facts)]
    problems += confidence_problems(reply, t)
    return problems


def evaluate(settings: Settings, questions: list[DevQuestion] | None = None) -> dict:
    settings = settings.model_copy(update={"llm": "none"})
    bot = Assistant(settings)
    questions = questions or load_questions()
    rows = []
    for q in questions:
        for role in q.roles:
            session = bot.new_session(q.program, role)
            for message in q.before:
                bot.respond(message, session)
            reply = bot.respond(q.question, session)
            problems = check(q, reply, session, bot.t)
            rows.append({"id": q.id, "role": role.value, "right": not problems, "problems": problems})
            rows[-1]["answer"] = reply.text
    right = sum(r["right"] for r in rows)
    by_question = {}
    for r in rows:
        by_question[r["id"]] = by_question.get(r["id"], True) and r["right"]
    return {
        "definition": __doc__.strip().split("\n\n", 1)[1],
        "answers_right": f"{right}/{len(rows)}",
        "questions_right_in_every_role": f"{sum(by_question.values())}/{len(by_question)}",
        "per_role": {
            role.value: f"{sum(r['right'] for r in rows if r['role'] == role.value)}/"
            f"{sum(1 for r in rows if r['role'] == role.value)}"
            for role in Role
        },
        "wrong": [{k: r[k] for k in ("id", "role", "problems", "answer")} for r in rows if not r["right"]],
        "machine": {"python": platform.python_version()},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help=f"write the result as JSON (e.g. {RESULTS})")
    parser.add_argument("--only", default=None, help="a regular expression on question ids")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every wrong answer")
    args = parser.parse_args(argv)
    from app.config import get_settings

    questions = [q for q in load_questions() if not args.only or re.search(args.only, q.id)]
    result = evaluate(get_settings(), questions)
    if args.verbose:
        for w in result["wrong"]:
            print(f"- {w['id']} [{w['role']}]: {'; '.join(w['problems'])}\n    {w['answer'][:400]!r}")
    print(f"answers right: {result['answers_right']} (per role: {result['per_role']})")
    print(f"questions right in every role: {result['questions_right_in_every_role']}")
    if args.out:
        write_result(result, args.out)


if __name__ == "__main__":
    main()
