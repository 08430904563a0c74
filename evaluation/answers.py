"""`certprep-eval answers`: the assistant's offline answers on the retrieval question set.

For every answerable question, in each role:
- facts: the answer restates at least one sentence of a passage labelled as answering the question
  (a grounded sentence whose cited passage is in the question's `relevant` list);
- cites correct source: at least one citation is a labelled passage;
- faithful: every sentence is traceable (passage sentences inside their cited passage, engine sentences
  inside the engine's results, the rest fixed template wording).
Out-of-scope questions count as correct when the answer cites nothing.
"""

from __future__ import annotations

import platform
from pathlib import Path

from app.chat.assistant import Assistant
from app.chat.citations import unfaithful_sentences
from app.chat.models import Grounding, Role
from app.config import Settings
from evaluation import write_result
from evaluation.retrieval import load_questions

RESULTS = Path(__file__).parent / "results" / "answers.json"


def evaluate(settings: Settings) -> dict:
    settings = settings.model_copy(update={"llm": "none"})
    bot = Assistant(settings)
    result: dict = {"definition": __doc__.strip().split("\n\n", 1)[1], "splits": {}}
    examples: list[dict] = []
    for split in ("dev", "test"):
        questions = [q for q in load_questions() if q.split == split]
        per_role = {}
        for role in Role:
            facts = cites = answerable = faithful = total = oos_ok = oos = 0
            for q in questions:
                reply = bot.respond(q.question, bot.new_session(q.program, role))
                total += 1
                problems = unfaithful_sentences(reply, reply.engine_facts)
                faithful += not problems
                if problems and len(examples) < 20:
                    examples.append({"id": q.id, "role": role.value, "problems": problems})
                if not q.relevant:
                    oos += 1
                    oos_ok += not reply.citations
                    continue
                answerable += 1
                relevant = set(q.relevant)
                cited_ids = [c.id for c in reply.citations]
                cites += any(c in relevant for c in cited_ids)
                facts += any(
                    s.grounding is Grounding.passage and any(cited_ids[n - 1] in relevant for n in s.cites)
                    for s in reply.sentences
                )
            per_role[role.value] = {
                "answerable": answerable,
                "contains_expected_facts": round(facts / answerable, 4) if answerable else None,
                "cites_correct_source": round(cites / answerable, 4) if answerable else None,
                "faithful": round(faithful / total, 4) if total else None,
                "out_of_scope_correct": f"{oos_ok}/{oos}",
            }
        result["splits"][split] = per_role
    result["unfaithful_examples"] = examples
    result["machine"] = {"python": platform.python_version()}
    return result


def run(settings: Settings, out: Path = RESULTS) -> dict:
    result = evaluate(settings)
    write_result(result, out)
    return result


def table(result: dict) -> str:
    lines = []
    for split, roles in result["splits"].items():
        lines.append(f"{split} split")
        lines.append(f"{'role':<10} {'facts':>7} {'source':>7} {'faithful':>9} {'out-of-scope':>13}")
        for role, m in roles.items():
            lines.append(
                f"{role:<10} {m['contains_expected_facts']:>7.3f} {m['cites_correct_source']:>7.3f} "
                f"{m['faithful']:>9.3f} {m['out_of_scope_correct']:>13}"
            )
    return "\n".join(lines)
