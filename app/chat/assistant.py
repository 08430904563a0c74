"""The assistant: one message in, one grounded reply out (or a stream of it).

Routing picks the engine; the offline composer builds the answer from cited passages and engine results;
an LLM, when configured, may rephrase that answer, and its citations are checked before it is shown.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.chat import compose, structured
from app.chat.citations import validate_citations
from app.chat.compose import cited, describe_fact, engine, passage_sentences, render, template
from app.chat.facts import applicant_values
from app.chat.llm import LLMUnavailable, provider, should_redact, stream_answer
from app.chat.models import AnswerSentence, Grounding, Intent, Reply, Role, Session, Turn
from app.chat.redact import redact
from app.chat.router import GREETING, Route, route, unknown_standard
from app.config import Settings
from app.knowledge import load_knowledge
from app.knowledge.locate import describe_source
from app.knowledge.schema import KnowledgeBase
from app.retrieval.answer import Citation, to_citation
from app.templates import load_templates

log = logging.getLogger(__name__)

# the fact each kind of check turns on (its first ``reads``) -> the applicant values that state it
_CHAT_FACT = {
    "paid_hours": ("paid_hours",),
    "education": ("education",),
    "ethics_agreed": ("ethics_agreed",),
    "experience": ("experience_years",),
    "projects": ("projects",),
    "education_hours": ("education_hours", "credentials"),
}


@dataclass
class StreamEvent:
    """``token``: more answer text; ``replace``: discard what was streamed and show ``text`` instead;
    ``done``: the final reply."""

    kind: str
    text: str = ""
    reply: Reply | None = None


class Assistant:
    def __init__(self, settings: Settings, top_k: int = 5):
        self.settings = settings
        self.top_k = top_k
        self.knowledge: dict[str, KnowledgeBase] = load_knowledge(settings.knowledge_dir)
        self.t = load_templates(Path(settings.prompts_dir), "chat")
        self._retriever = None
        self._documents = None
        self._structures: dict[str, structured.Structure] = {}
        self._vectors: dict[tuple[str, ...], np.ndarray] = {}

    @property
    def retriever(self):
        if self._retriever is None:
            from app.retrieval.service import get_retriever

            self._retriever = get_retriever(self.settings)
        return self._retriever

    def new_session(self, program: str | None = None, role: Role | str = Role.candidate) -> Session:
        program = program if program in self.knowledge else next(iter(sorted(self.knowledge)))
        return Session(program=program, role=Role(role), max_turns=self.settings.chat_history_turns)

    # --- entry points ---------------------------------------------------------------------------
    def respond(self, message: str, session: Session, attachment: str | None = None) -> Reply:
        reply = None
        for event in self.stream(message, session, attachment):
            if event.kind == "done":
                reply = event.reply
        assert reply is not None
        return reply

    def stream(self, message: str, session: Session, attachment: str | None = None) -> Iterator[StreamEvent]:
        if not message.strip() and not attachment:
            raise ValueError("the message is empty")
        r = route(message, session, self.knowledge, attachment)
        notices = []
        if r.switched_program or r.switched_role:
            notices.append(
                self.t["switched"].format(program=self.knowledge[r.program].program.short_name, role=r.role.value)
            )
        session.program, session.role = r.program, r.role
        reply, facts = self._offline(r, session)
        reply.engine_facts = facts
        reply.notices = notices + reply.notices
        session.remember(Turn(speaker="user", text=message[:2000], program=r.program))
        session.remember(
            Turn(
                speaker="assistant",
                text=reply.text,
                intent=r.intent,
                program=r.program,
                standard=r.standard,
                query=r.query if r.intent in (Intent.knowledge, Intent.followup) else None,
            )
        )
        if provider(self.settings) is None or not reply.citations or r.intent is Intent.out_of_scope:
            for chunk in _chunks(reply.text):
                yield StreamEvent("token", chunk)
            yield StreamEvent("done", reply=reply)
            return
        yield from self._llm(r, reply, facts)

    # --- LLM refinement ---------------------------------------------------------------------------
    def _llm(self, r: Route, reply: Reply, facts: list[str]) -> Iterator[StreamEvent]:
        question = r.query or ""
        draft = reply.text
        if should_redact(self.settings):
            keep = {kb.program.short_name for kb in self.knowledge.values()} | {
                w for kb in self.knowledge.values() for s in kb.standards for w in s.title.split()
            }
            question, draft = redact(question, keep), redact(draft, keep)
            facts = [redact(f, keep) for f in facts]
        streamed: list[str] = []
        try:
            for token in stream_answer(self.settings, r.role.value, question, reply.citations, facts, draft):
                streamed.append(token)
                yield StreamEvent("token", token)
        except LLMUnavailable as exc:
            reply.notices.append(f"{exc}; showing the offline answer")
            yield StreamEvent("replace", reply.text)
            yield StreamEvent("done", reply=reply)
            return
        text = "".join(streamed).strip()
        problem = validate_citations(text, len(reply.citations))
        if problem:
            reply.notices.append(f"the generated answer was not used ({problem}); showing the offline answer")
            yield StreamEvent("replace", reply.text)
        else:
            reply.text, reply.used_llm = text, True
        yield StreamEvent("done", reply=reply)

    # --- offline answers ----------------------------------------------------------------------------
    def _offline(self, r: Route, session: Session) -> tuple[Reply, list[str]]:
        if r.intent is Intent.out_of_scope:
            # the router knows only general vocabulary; the knowledge base decides for everything else
            if GREETING.match(r.query) or not self._search(r.query, r.program, k=1):
                return self._out_of_scope(r), []
            r.intent = Intent.knowledge
        if r.intent is Intent.narrative:
            return self._narrative(r)
        if r.intent is Intent.eligibility:
            return self._eligibility(r, session)
        reply = self._knowledge(r)
        return reply, [s.text for s in reply.sentences if s.grounding is Grounding.engine]

    def _reply(self, r: Route, sentences: list[AnswerSentence], citations: list[Citation], **kw) -> Reply:
        return Reply(
            text=render(sentences),
            intent=r.intent,
            program=r.program,
            role=r.role,
            sentences=sentences,
            citations=citations,
            query=r.query,
            **kw,
        )

    def _out_of_scope(self, r: Route) -> Reply:
        short = [kb.program.short_name for _, kb in sorted(self.knowledge.items())]
        names = " and ".join(short) if len(short) < 3 else ", ".join(short[:-1]) + " and " + short[-1]
        key = "greeting" if GREETING.match(r.query) or r.switched_program or r.switched_role else "out_of_scope"
        return self._reply(r, [template(self.t[key].format(programs=names))], [])

    def _search(self, query: str, program: str, kinds: list[str] | None = None, k: int | None = None) -> list[Citation]:
        """Passages through the retrieval service's LangChain adapter: what the LLM is given to rephrase is
        exactly what LangChain code would retrieve."""
        from app.retrieval.langchain_retriever import CertprepRetriever, to_hit

        if self._documents is None or self._documents.core is not self.retriever:
            self._documents = CertprepRetriever(core=self.retriever)
        documents = self._documents.invoke(query, k=k or self.top_k, program=program, kinds=kinds)
        return [to_citation(to_hit(d)) for d in documents]

    def _by_id(self, ids: list[str]) -> list[Citation]:
        return [to_citation(h) for h in self.retriever.get(ids)]

    def _fetch(self, ids: list[str]) -> list[Citation]:
        """Passages by id, a split passage by its first part."""
        found = []
        for chunk_id in ids:
            found += self._by_id([chunk_id]) or self._by_id([f"{chunk_id}#1"])
        return found

    def _similarity(self, text: str, others: list[str]) -> list[float]:
        """Cosine of ``text`` with each of ``others`` (the FAQ's questions, embedded once per program)."""
        key = tuple(others)
        if key not in self._vectors:
            self._vectors[key] = np.asarray(self.retriever.embedder.embed(others), dtype=np.float32)
        query = self.retriever.query_vector(text)
        return [float(x) for x in self._vectors[key] @ query]

    def _direct(self, r: Route, hits: list[Citation]) -> structured.Direct | None:
        kb = self.knowledge[r.program]
        if r.program not in self._structures:
            self._structures[r.program] = structured.build(kb, self.t)
        return structured.answer(r.query, kb, hits, self._fetch, self._similarity, self.t, self._structures[r.program])

    def _knowledge(self, r: Route) -> Reply:
        kb = self.knowledge[r.program]
        missing = unknown_standard(r.query, kb) if kb.standards and not r.standard else None
        if missing is not None:
            text = self.t["unknown_standard"].format(
                number=missing,
                program=kb.program.short_name,
                first=kb.standards[0].number,
                last=kb.standards[-1].number,
            )
            return self._reply(r, [engine(text)], [], confidence="none")
        citations = self._search(r.query, r.program)
        if r.standard:
            # a question about a named standard starts from the standard itself, then its closest details
            main = self._by_id([f"{r.program}:{r.standard}"])
            rest = [c for c in citations if c.standard == r.standard and c.id not in {m.id for m in main}]
            citations = main + rest + [c for c in citations if c.standard != r.standard]
        if not citations:
            return self._reply(r, [template(self.t["not_covered"])], [], confidence="none")
        direct = self._direct(r, citations)
        if direct is not None:  # the passages behind the direct answer lead, the rest support it
            ids = {c.id for c in direct.citations}
            citations = direct.citations + [c for c in citations if c.id not in ids]
        extra: dict[str, list[int]] = {}
        standard = r.standard or citations[0].standard
        if r.role is Role.mentor and standard:
            ids = [f"{r.program}:{standard}.C{i}" for i in (1, 2, 3)] + [f"{r.program}:{standard}.questions"]
            if citations[0].id in ids:  # lead with what the standard is, not with one of its details
                citations = self._by_id([f"{r.program}:{standard}"]) + citations
            have = {c.id for c in citations}
            for c in self._by_id([i for i in ids if i not in have]):
                citations.append(c)
            number = {c.id: n for n, c in enumerate(citations, 1)}
            extra["criteria"] = [number[i] for i in ids[:3] if i in number]
            extra["questions"] = [number[i] for i in ids[3:] if i in number]
        lead: list[AnswerSentence] = []
        if direct is not None:
            position = {c.id: n for n, c in enumerate(citations, 1)}
            for s in direct.sentences:
                lead.append(s.model_copy(update={"cites": [position[direct.citations[n - 1].id] for n in s.cites]}))
        sentences = compose.knowledge_answer(
            r.role,
            citations,
            self.t,
            extra,
            has_standards=bool(kb.standards),
            direct=lead,
            related_margin=self.settings.answer_related_margin,
            unanswered=direct is None and structured.Question.read(r.query).yes_no,
        )
        best = citations[0].score
        high, medium = self.settings.answer_confidence_high, self.settings.answer_confidence_medium
        confidence = "high" if best >= high else "medium" if best >= medium else "low"
        cited_numbers = {n for s in sentences for n in s.cites}
        if confidence == "high" and any(citations[n - 1].confidence == "uncertain" for n in cited_numbers):
            confidence = "medium"
        citations, sentences = _renumber(citations, sentences)
        return self._reply(r, sentences, citations, confidence=confidence)

    def _narrative(self, r: Route) -> tuple[Reply, list[str]]:
        from app.documents import read_text_input
        from app.mapping.analyzer import AnalysisError
        from app.mapping.service import get_analyzer

        try:
            analyzer = get_analyzer(self.settings, r.program)
        except AnalysisError as exc:
            text = str(exc)
            return self._reply(r, [engine(text)], [], confidence="none"), [text]
        project = analyzer.analyze(read_text_input(r.narrative or "", "pasted text"))
        facts: list[str] = []
        sentences: list[AnswerSentence] = []
        citations: list[Citation] = []
        focus = r.standard
        if focus is None and r.query and len(r.query.split()) >= 3:
            hits = self._search(r.query, r.program, kinds=["standard", "criterion"], k=1)
            focus = hits[0].standard if hits else None
        by_id = {s.id: s for s in project.standards}
        if focus in by_id:
            result = by_id[focus]
            citations = self._by_id([f"{r.program}:{focus}"])
            if r.role is Role.mentor:
                citations += self._by_id([f"{r.program}:{focus}.questions"])
            status_line = self.t["narrative_staff" if r.role is Role.staff else "narrative_focus"].format(
                title=f"{result.id} {result.title}", status=result.status.value, confidence=f"{result.confidence:.2f}"
            )
            facts.append(status_line)
            sentences.append(engine(status_line))
            if citations and r.role is not Role.staff:
                sentences.append(cited(passage_sentences(citations[0])[0], 1))
            if result.evidence:
                quote = self.t["narrative_evidence"].format(quote=result.evidence[0].text)
                facts.append(quote)
                sentences.append(engine(quote))
            elif r.role is not Role.staff:
                sentences.append(template(self.t["narrative_none"]))
            if result.suggestion and r.role is Role.candidate and result.status.value != "demonstrated":
                facts.append(result.suggestion)
                sentences.append(engine(result.suggestion, prefix=self.t["narrative_next"]))
            if r.role is Role.mentor and len(citations) > 1:
                sentences.append(
                    AnswerSentence(text=self.t["mentor_questions"], grounding=Grounding.template, paragraph=True)
                )
                for q in passage_sentences(citations[1])[:3]:
                    sentences.append(AnswerSentence(text=q, grounding=Grounding.passage, cites=[2], bullet=True))
        else:
            groups: dict[str, list[str]] = {"demonstrated": [], "partial": [], "missing": []}
            for s in project.standards:
                groups[s.status.value].append(f"{s.id} {s.title}")
            for status, items in groups.items():
                if items:
                    line = self.t[f"narrative_summary_{status}"].format(items="; ".join(items))
                    facts.append(line)
                    sentences.append(engine(line))
            gaps = [s for s in project.standards if s.status.value != "demonstrated"][:2]
            if r.role is Role.mentor:
                ids = [f"{r.program}:{s.id}.questions" for s in gaps]
                citations = self._by_id(ids)
                if citations:
                    sentences.append(
                        AnswerSentence(text=self.t["mentor_questions"], grounding=Grounding.template, paragraph=True)
                    )
                for n, c in enumerate(citations, 1):
                    for q in passage_sentences(c)[:2]:
                        sentences.append(AnswerSentence(text=q, grounding=Grounding.passage, cites=[n], bullet=True))
            elif r.role is Role.candidate:
                for s in gaps:
                    if s.suggestion:
                        facts.append(s.suggestion)
                        sentences.append(engine(s.suggestion, prefix=self.t["narrative_next"]))
        if project.words < 60:
            sentences.append(template(self.t["narrative_short"]))
        reply = self._reply(r, sentences, citations, confidence="medium", analysis=project.model_dump(mode="json"))
        reply.notices.extend(w for w in project.warnings if "instructions" in w)
        return reply, facts

    def _eligibility(self, r: Route, session: Session) -> tuple[Reply, list[str]]:
        from app.eligibility.check import check_facts, has_checks
        from app.eligibility.facts import ApplicantFacts, ProjectFact

        kb = self.knowledge[r.program]
        known = session.facts.setdefault(r.program, {})
        earlier = {k: v for k, v in known.items() if k not in r.facts}
        known.update(r.facts)
        check, stated = None, set()
        if has_checks(kb):
            values = applicant_values(known)
            projects = [ProjectFact(title=f"Project {i + 1}") for i in range(int(values["projects"] or 0))]
            facts = {k: v for k, v in values.items() if k != "projects"}
            check = check_facts(kb, ApplicantFacts(applied_on=dt.date.today(), projects=projects, **facts))
            # a requirement is answered only when the fact it turns on was said
            stated = {
                spec.id
                for spec in kb.checks.eligibility  # type: ignore[union-attr]
                if any(values.get(f) not in (None, []) for f in _CHAT_FACT.get(spec.reads[0], ()))
            }
        keys = {spec.id: _CHAT_FACT.get(spec.reads[0]) for spec in (kb.checks.eligibility if kb.checks else [])}
        checked = [q for q in (check.requirements if check else []) if q.id in stated]
        if not checked:
            reply = self._knowledge(Route(Intent.knowledge, r.program, r.role, query=r.query))
            return reply, [s.text for s in reply.sentences if s.grounding is Grounding.engine]
        facts = [q.detail for q in checked] + [describe_source(kb, q.source) for q in checked]
        met = all(q.met for q in checked)
        # unmet first; among equals, the requirements this message's facts bear on (a follow-up changes
        # one fact), then those resting on confirmed rules
        said_now = applicant_values(r.facts)
        order = sorted(
            checked,
            key=lambda q: (
                q.met,
                not any(said_now.get(f) not in (None, []) for f in keys.get(q.id) or ()),
                q.uncertain,
            ),
        )
        first = order[0]
        citations = self._search(f"{first.title}. {r.query}", r.program, kinds=["eligibility"], k=3)
        program = kb.program.short_name
        # say which facts were taken from the message, and how, before any verdict rests on them
        sentences = []
        readings = {x.key: x for x in r.readings}
        if r.facts:
            told = ", ".join(describe_fact(self.t, k, v, readings.get(k)) for k, v in r.facts.items())
            sentences.append(engine(self.t["eligibility_read"].format(facts=told)))
        if earlier:
            kept = ", ".join(describe_fact(self.t, k, v) for k, v in earlier.items())
            sentences.append(engine(self.t["eligibility_kept"].format(facts=kept)))
        facts += [s.text for s in sentences]
        sentences.append(
            template(self.t["eligibility_verdict_met" if met else "eligibility_verdict_unmet"].format(program=program))
        )
        if r.role is Role.staff:
            order = order[:1]
        for q in order:
            sentences.append(engine(q.detail, prefix=f"{q.title}: "))
        main = order[0]
        rule = describe_source(kb, main.source)  # the rule's title and its sources by name, not their ids
        sentences.append(engine(rule, prefix=self.t["eligibility_rule"], cites=[1] if citations else []))
        if any(q.uncertain for q in order):
            sentences.append(template(self.t["eligibility_uncertain"]))
        sentences += compose.uncertain_notes(r.role, citations[:1], sentences, self.t)
        unknown = [q.title for q in (check.requirements if check else []) if q.id not in stated]
        if unknown and r.role is not Role.staff:
            line = self.t["eligibility_unknown"].format(items="; ".join(unknown))
            facts.append(line)
            sentences.append(engine(line))
        if r.role is Role.mentor:
            sentences.append(template(self.t["eligibility_mentor"]))
        reply = self._reply(
            r,
            sentences,
            citations[:1],
            confidence="medium" if main.uncertain else "high",
            check=check.public() if check else None,
        )
        return reply, facts


def _renumber(
    citations: list[Citation], sentences: list[AnswerSentence]
) -> tuple[list[Citation], list[AnswerSentence]]:
    """Keep only the passages the answer cites, numbered in order of first use."""
    order: list[int] = []
    for s in sentences:
        for n in s.cites:
            if n not in order:
                order.append(n)
    mapping = {old: new for new, old in enumerate(order, 1)}
    kept = [citations[old - 1] for old in order]
    for s in sentences:
        s.cites = [mapping[n] for n in s.cites]
    return kept, sentences


def _chunks(text: str, size: int = 24) -> Iterator[str]:
    words = text.split(" ")
    for i in range(0, len(words), size):
        yield (" " if i else "") + " ".join(words[i : i + size])
