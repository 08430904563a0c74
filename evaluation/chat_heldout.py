"""The assistant on held-out hard questions (`data/chat_heldout_questions.yaml`): rule questions that quote
a number, the asker's own situation in number words, ranges and approximations, yes/no and how-many
questions, superlatives and comparisons. Written by an independent helper from the knowledge files only;
nothing is tuned on them. Run: `python -m evaluation.chat_heldout [label]`.

Scoring, per question, in the role the question gives:
- A (a rule question that quotes a number): every `must_include` string is in the answer, and no
  eligibility verdict about the asker is given;
- B (the asker's situation): the verdict matches (the verdict sentence says met / not met) and, when a
  requirement fails, the answer names its figure or level;
- C, D (direct answers): every `must_include` string is in the answer; `first` also asks that they all
  appear in the answer's first paragraph (the direct answer first).
"""

from __future__ import annotations

import platform
import re
import sys
from pathlib import Path

import yaml

from app.chat.assistant import Assistant
from app.config import Settings
from app.templates import load_templates
from evaluation import write_result

DATA = Path(__file__).parent / "data" / "chat_heldout_questions.yaml"
RESULTS = Path(__file__).parent / "results" / "chat_heldout.json"


def _has(text: str, needle: str) -> bool:
    return needle.lower() in text.lower()


def _verdict(text: str, templates: dict, program: str) -> str | None:
    met = templates["eligibility_verdict_met"].format(program=program)
    unmet = templates["eligibility_verdict_unmet"].format(program=program)
    if met in text:  # the whole sentence: the two share their first words
        return "eligible"
    if unmet in text:
        return "not_eligible"
    return None


def score(item: dict, text: str, templates: dict, short_name: str) -> dict:
    expected = item["expected"]
    first = re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0]
    verdict = _verdict(text, templates, short_name)
    if item["kind"] == "B":
        ok = verdict == expected["verdict"]
        return {"right": ok, "first": ok, "verdict": verdict}
    needles = expected.get("must_include", [])
    right = all(_has(text, n) for n in needles)
    if expected.get("no_verdict"):
        right = right and verdict is None
    return {"right": right, "first": right and all(_has(first, n) for n in needles), "verdict": verdict}


def evaluate(settings: Settings) -> dict:
    settings = settings.model_copy(update={"llm": "none"})
    bot = Assistant(settings)
    templates = load_templates(Path(settings.prompts_dir), "chat")
    items = yaml.safe_load(DATA.read_text())["items"]
    rows, kinds = [], {}
    for item in items:
        kb = bot.knowledge[item["program"]]
        reply = bot.respond(item["question"], bot.new_session(item["program"], item["role"]))
        result = score(item, reply.text, templates, kb.program.short_name)
        rows.append({"id": item["id"], "kind": item["kind"], **result, "answer": reply.text[:400]})
        k = kinds.setdefault(item["kind"], {"questions": 0, "right": 0, "direct_first": 0})
        k["questions"] += 1
        k["right"] += result["right"]
        k["direct_first"] += result["first"]
    return {
        "definition": __doc__.strip().split("\n\n", 1)[1],
        "questions": len(rows),
        "right": sum(r["right"] for r in rows),
        "direct_first": sum(r["first"] for r in rows),
        "by_kind": dict(sorted(kinds.items())),
        "rows": rows,
        "machine": platform.machine(),
    }


def main() -> None:
    label = sys.argv[1] if len(sys.argv) > 1 else "current"
    result = evaluate(Settings())
    out = RESULTS.with_name(f"chat_heldout_{label}.json") if label != "current" else RESULTS
    write_result(result, out)
    print(f"{result['right']}/{result['questions']} right, {result['direct_first']} with the answer first")
    for kind, k in result["by_kind"].items():
        print(f"  {kind}: {k['right']}/{k['questions']} right, {k['direct_first']} first")


if __name__ == "__main__":
    main()
