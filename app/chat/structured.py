"""Direct answers read from the knowledge base's structure, put before the retrieved support.

"Which exam domain weighs most?", "is a master's worth more than a bachelor's?", "how many CEUs?" and
"does volunteer work count?" each have one right answer in the data: exam domains carry weights, a
dict-valued parameter maps items to numbers, a scalar parameter has a value and a unit, schema lists
(standards, ethics principles, exam domains, list parameters) have a length, and many FAQ answers start
with "Yes." or "No.". The answerers below read those structures generically, so a program added as
data gets the same answers without code. Each one either answers with the passage that states the
value (and checks that the passage does state it) or returns nothing, and the assistant falls back to
its retrieval answer: a direct answer is right or absent. The answerers are tried in ``ANSWERERS``
order, the one place where they are registered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from app.chat.compose import passage_sentences
from app.chat.facts import EDUCATION_WORDS
from app.chat.models import AnswerSentence, Grounding
from app.chat.numbers import NUMBER, digits, show, to_number
from app.knowledge.schema import KnowledgeBase
from app.retrieval.answer import Citation, passage_body
from app.tokens import tokenize

# Question vocabulary (English, not program knowledge).
_MOST = r"biggest|largest|highest|most|heaviest|greatest|longest"
_LEAST = r"smallest|lowest|least|fewest|lightest|shortest"
_SUPERLATIVE = re.compile(rf"\b(?:(?P<max>{_MOST})|(?P<min>{_LEAST}))\b", re.I)
_COMPARATIVE = re.compile(
    r"\b(?:(?P<more>more|bigger|larger|higher|heavier|greater|longer)|(?P<less>less|smaller|lower|fewer|lighter|"
    r"shorter))\b",
    re.I,
)
_AUX = r"(?:is|are|does|do|did|can|could|will|would|should|must|may|has|have|was|were)\b"
# "does ...?", and "if I have X and Y, do they add up?"
_YES_NO = re.compile(rf"^\W*(?:(?:and|so|but)\s+)?(?:{_AUX}|if\b[^?]*?,\s*{_AUX})", re.I)
_WHICH = re.compile(r"\b(?:which|what)\b", re.I)
_HOW_MUCH = re.compile(
    r"\b(?:how\s+(?:many|much|long)|what\s+is\s+the|what's\s+the|what\s+are\s+the|number\s+of|worth)\b", re.I
)
_HOW_MANY = re.compile(r"\bhow\s+many\s+((?:[\w'’-]+\s*){1,3})", re.I)
# a figure the question presupposes ("count toward the 1,500 hours") is not the figure it asks about
_PRESUPPOSED = re.compile(rf"\b(?:the|those|these|this|that|its)\s+(?:[\w'’-]+\s+)?(?:{NUMBER})", re.I)
# a question about what counts is not a question about a figure
_COUNTS = re.compile(r"\b(?:count|counts|counted|qualify|qualifies|replace|credited|accepted)\b", re.I)
_NEGATION = re.compile(r"\b(?:not|no|never|without|cannot)\b|n't\b", re.I)
# Words for a unit that a question may use instead of the unit's own name.
_UNIT_WORDS = {"usd": "cost fee price pay dollar", "%": "weight share percent"}
# "what is the passing score?" asks about a score: the words before "of", "for", ... name the figure asked for
_WHAT_IS = re.compile(
    r"\bwhat(?:\s+is|\s+are|'s)\s+the\s+((?:[\w'’-]+\s*){1,3}?)(?:\b(?:of|for|on|in|to|after|before|that|when)\b|[?.,]|$)",
    re.I,
)
# Words that name the parts of an exam, whatever the program calls its domains.
_DOMAIN_WORDS = "exam domain area content section topic part"
_DOMAIN_NOUNS = "domain area section topic"
# A word is generic (its absence from an FAQ question does not matter) when this share of texts uses it.
GENERIC_SHARE = 0.1
# An FAQ's "Yes." or "No." is borrowed only for a question this close to the FAQ's own (cosine of the two
# questions), and not when another entry that answers differently is within the margin. Chosen on the
# dev set (evaluation/data/chat_dev_questions.yaml): the close misses there ("Can I take the exam at a
# testing centre?" against "...from home?", 0.665) sit below it; the coverage check below is the main guard.
FAQ_MIN_SIMILARITY = 0.7
FAQ_MARGIN = 0.03


def _tokens(text: str) -> list[str]:
    return [w for w in tokenize(digits(text)) if len(w) > 1 or w.isdigit()]


def stems(text: str) -> frozenset[str]:
    return frozenset(_tokens(text))


@dataclass(frozen=True)
class Item:
    """A named number: one exam domain's weight, one key of a dict-valued parameter."""

    key: str
    label: str
    value: float
    unit: str
    passage: str  # chunk id of the passage that states it
    names: tuple[frozenset[str], ...]  # each a set of stems that, all present, name the item


@dataclass(frozen=True)
class Collection:
    """Items whose numbers compare (exam domains by weight, degrees by credit)."""

    words: frozenset[str]
    items: tuple[Item, ...]
    parent: str  # chunk id of the passage about the whole collection


@dataclass(frozen=True)
class Quantity:
    """A scalar numeric parameter."""

    title: str
    value: float
    unit: str
    passage: str
    title_words: frozenset[str]
    key_words: frozenset[str]  # the title's and the unit's
    words: frozenset[str]  # also the rule's title


@dataclass(frozen=True)
class Listing:
    """A list in the schema, for "how many ...?"."""

    nouns: frozenset[str]
    labels: tuple[str, ...]
    passages: tuple[str, ...]  # the items' own passages, cited when no passage states the count


@dataclass
class Structure:
    """What one program's knowledge offers for direct answers; built once per program."""

    collections: list[Collection] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)
    listings: list[Listing] = field(default_factory=list)
    share: dict[str, float] = field(default_factory=dict)  # share of the program's texts using each stem


_PHRASE_END = re.compile(
    r"\s+(?:and|or|of|for|by|in|on|per|whether|with|to|before|after|from|that|which|as|is|are|must)\b|[,(:;]", re.I
)


def head_noun(title: str) -> frozenset[str]:
    """The stem of what a title names: "Minimum number of projects" -> project, "CEUs required per
    cycle" -> ceu, "Substitute hour categories and ..." -> categori. A figure answers "how many X"
    only when X is this noun."""
    title = re.sub(r"^\s*(?:the\s+)?number\s+of\s+|^\s*\w+\s+number\s+of\s+", "", title, flags=re.I)
    words = _PHRASE_END.split(title, maxsplit=1)[0].split()
    participle = next((i for i, w in enumerate(words) if i and w.lower().endswith("ed")), len(words))
    words = words[:participle]  # "Attestations required", "Relations mentioned only": attestations, relations
    return stems(words[-1]) if words else frozenset()


def _numeric(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _names(key: str, label: str, others: Iterable[str]) -> tuple[frozenset[str], ...]:
    """The full label, the key's synonyms, and each word of the label that no other item uses."""
    names = [stems(label), stems(key.replace("_", " "))]
    names += [stems(word) for word in EDUCATION_WORDS.get(key, [])]
    taken = set().union(*(stems(o) for o in others)) if others else set()
    names += [frozenset({w}) for w in stems(label) if w not in taken and not w.isdigit() and len(w) > 3]
    return tuple(n for n in dict.fromkeys(names) if n)


def program_words(kb: KnowledgeBase) -> frozenset[str]:
    """ "CPO" in a question names the program, so it is no evidence for one figure over another."""
    return stems(f"{kb.program.id} {kb.program.short_name}")


def build(kb: KnowledgeBase, t: dict[str, str]) -> Structure:
    """Read the program's exam, parameters, standards and ethics generically; passage ids follow
    ``app/index/chunks.py`` (``<program>:exam.D1``, ``<program>:rule.<id>``, ...)."""
    pid = kb.program.id
    out = Structure()
    own = program_words(kb)
    if kb.exam:
        domains = kb.exam.domains
        items = tuple(
            Item(
                key=d.id,
                label=d.name,
                value=float(d.weight),
                unit="%",
                passage=f"{pid}:exam.{d.id}",
                names=(*_names(d.id, d.name, [o.name for o in domains if o is not d]), frozenset({d.id.lower()})),
            )
            for d in domains
        )
        words = stems(" ".join([_DOMAIN_WORDS, kb.exam.title, _UNIT_WORDS["%"]])) - own
        out.collections.append(Collection(words, items, f"{pid}:exam"))
        out.listings.append(
            Listing(stems(_DOMAIN_NOUNS), tuple(d.name for d in domains), tuple(i.passage for i in items))
        )
    for rule in kb.rules:
        passage = f"{pid}:rule.{rule.id}"
        for param in rule.parameters:
            value, unit = param.current, param.unit or ""
            key_words = stems(" ".join([param.title, unit, _UNIT_WORDS.get(unit.lower(), "")])) - own
            words = key_words | (stems(rule.title) - own)
            if isinstance(value, dict) and value and all(_numeric(v) for v in value.values()):
                keys = list(value)
                items = tuple(
                    Item(
                        key=k,
                        label=t.get(f"label_{k}", k.replace("_", " ")),
                        value=float(value[k]),
                        unit=unit,
                        passage=passage,
                        names=_names(k, k.replace("_", " "), [o.replace("_", " ") for o in keys if o != k]),
                    )
                    for k in keys
                )
                out.collections.append(Collection(words, items, passage))
            elif _numeric(value):
                out.quantities.append(
                    Quantity(param.title, float(value), unit, passage, stems(param.title) - own, key_words, words)
                )
            elif isinstance(value, list) and value:
                labels = tuple(str(v.get("label", v.get("id", v))) if isinstance(v, dict) else str(v) for v in value)
                out.listings.append(Listing(head_noun(param.title), labels, (passage,)))
    if kb.standards:
        out.listings.append(
            Listing(
                stems("standard"),
                tuple(s.title for s in kb.standards),
                tuple(f"{pid}:{s.id}" for s in kb.standards),
            )
        )
    if kb.ethics:
        principles = kb.ethics.principles
        out.listings.append(
            Listing(
                stems("principle"),
                tuple(p.name for p in principles),
                tuple(f"{pid}:ethics.{p.id}" for p in principles),
            )
        )
    texts = [r.text for r in kb.rules] + [f"{f.question} {f.answer}" for f in kb.faq]
    texts += [f"{s.title} {s.summary}" for s in kb.standards] + [
        d.description for d in (kb.exam.domains if kb.exam else [])
    ]
    counts: dict[str, int] = {}
    for text in texts:
        for stem in stems(text):
            counts[stem] = counts.get(stem, 0) + 1
    out.share = {s: n / max(len(texts), 1) for s, n in counts.items()}
    return out


@dataclass
class Question:
    """What kind of question it is, read from its words alone."""

    text: str  # with numbers as digits
    words: frozenset[str]
    yes_no: bool
    which: bool
    how_much: bool
    superlative: Literal["max", "min"] | None
    comparative: Literal["more", "less"] | None
    numbers: list[float]
    counted: tuple[str, ...]  # the words after "how many", in order
    counted_words: tuple[str, ...] = ()  # the same words as written

    @classmethod
    def read(cls, question: str) -> Question:
        text = digits(question)
        last = None
        for m in _SUPERLATIVE.finditer(text):  # the last one said wins ("biggest? and the smallest?")
            last = "max" if m.group("max") else "min"
        comparative = _COMPARATIVE.search(text)
        how_many = _HOW_MANY.search(text)
        return cls(
            text=text,
            words=stems(text),
            yes_no=bool(_YES_NO.match(text)),
            which=bool(_WHICH.search(text)),
            how_much=bool(_HOW_MUCH.search(text)),
            superlative=last,  # type: ignore[arg-type]
            comparative=(None if comparative is None else "more" if comparative.group("more") else "less"),  # type: ignore[arg-type]
            numbers=[to_number(n) for n in re.findall(NUMBER, text)],
            counted=tuple(_tokens(how_many.group(1))) if how_many else (),
            counted_words=tuple(how_many.group(1).split()) if how_many else (),
        )

    def mentions(self, item: Item) -> int | None:
        """Where the question names the item (the position of its first word), or None. A long one-word
        name also matches one typo away ("asociate")."""
        tokens = _tokens(self.text)
        for name in item.names:
            if name <= self.words:
                return min(tokens.index(w) for w in name)
        for name in item.names:
            (word,) = name if len(name) == 1 else ("",)
            if len(word) >= 5 and not word.isdigit():
                near = [i for i, w in enumerate(tokens) if len(w) >= 4 and _one_edit(w, word)]
                if near:
                    return near[0]
        return None


def _one_edit(a: str, b: str) -> bool:
    """At most one letter inserted, deleted or changed."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :] or (len(a) == len(b) and a[i + 1 :] == b[i + 1 :])


@dataclass
class Context:
    kb: KnowledgeBase
    hits: list[Citation]  # passages retrieved for the question
    fetch: Callable[[list[str]], list[Citation]]
    similarity: Callable[[str, list[str]], list[float]]
    t: dict[str, str]
    structure: Structure


@dataclass
class Direct:
    """A direct answer: sentences whose ``cites`` number into ``citations``."""

    kind: str
    sentences: list[AnswerSentence]
    citations: list[Citation]


def _value(t: dict[str, str], value: float, unit: str) -> str:
    return t.get(f"unit_{unit}", "{value} {unit}").format(value=show(value), unit=unit).strip()


def _states(passage: Citation, *values: float) -> bool:
    """The passage states every value (as digits or in words)."""
    said = {to_number(n) for n in re.findall(NUMBER, digits(passage.text))}
    return all(v in said for v in values)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _engine(text: str, cites: list[int]) -> AnswerSentence:
    return AnswerSentence(text=text, grounding=Grounding.engine, cites=cites)


def _related(ctx: Context, passages: Iterable[str]) -> bool:
    """Retrieval agrees that the question is about this part of the knowledge base."""
    wanted = set(passages)
    return any(h.id.split("#")[0] in wanted for h in ctx.hits)


def _about_collection(q: Question, ctx: Context, collection: Collection) -> bool:
    """The question is about this table: retrieval found one of its passages or a passage that names two
    of its items, or the question uses two of the table's own words."""
    if _related(ctx, [collection.parent, *(i.passage for i in collection.items)]):
        return True
    for hit in ctx.hits:
        words = stems(hit.text)
        if sum(1 for i in collection.items if any(name <= words for name in i.names)) >= 2:
            return True
    return len(q.words & collection.words) >= 2


def _collection(q: Question, ctx: Context, need_mentions: int = 0) -> tuple[Collection, list[Item]] | None:
    """The one collection the question is about, with the items it names in the order named."""
    scored = []
    for c in ctx.structure.collections:
        named = sorted(((p, i) for i in c.items if (p := q.mentions(i)) is not None), key=lambda x: x[0])
        words = len((q.words - stems(_MOST + " " + _LEAST + " more less")) & c.words)
        scored.append((words + 2 * len(named), c, [i for _, i in named]))
    scored = [s for s in scored if s[0] > 0 and len(s[2]) >= need_mentions]
    scored.sort(key=lambda s: -s[0])
    if not scored or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1], scored[0][2]


def _cite_items(ctx: Context, items: list[Item]) -> tuple[list[Citation], dict[str, int]] | None:
    ids = list(dict.fromkeys(i.passage for i in items))
    found = {c.id.split("#")[0]: c for c in ctx.fetch(ids)}
    if set(ids) - set(found):
        return None
    if not all(_states(found[i.passage], i.value) for i in items):
        return None
    citations = [found[i] for i in ids]
    return citations, {pid: n for n, pid in enumerate(ids, 1)}


def superlative(q: Question, ctx: Context) -> Direct | None:
    if q.superlative is None or q.yes_no:
        return None
    chosen = _collection(q, ctx)
    if chosen is None or len(chosen[1]) >= 2:
        return None
    collection = chosen[0]
    if not _about_collection(q, ctx, collection):
        return None
    pick = max if q.superlative == "max" else min
    best = pick(collection.items, key=lambda i: i.value)
    if sum(1 for i in collection.items if i.value == best.value) > 1:
        return None  # a tie has no single answer
    cited = _cite_items(ctx, [best])
    if cited is None:
        return None
    citations, number = cited
    text = ctx.t["direct_pick"].format(item=_capital(best.label), value=_value(ctx.t, best.value, best.unit))
    return Direct("superlative", [_engine(text, [number[best.passage]])], citations)


def comparison(q: Question, ctx: Context) -> Direct | None:
    if q.comparative is None and q.superlative is None:
        return None
    chosen = _collection(q, ctx, need_mentions=2)
    if chosen is None or len(chosen[1]) != 2:
        return None
    first, second = chosen[1]
    cited = _cite_items(ctx, [first, second])
    if cited is None:
        return None
    citations, number = cited
    t = ctx.t
    marks = list(dict.fromkeys([number[first.passage], number[second.passage]]))
    a, b = _value(t, first.value, first.unit), _value(t, second.value, second.unit)
    if q.yes_no:
        more = (q.comparative or ("more" if q.superlative == "max" else "less")) == "more"
        if first.value == second.value:
            answer = t["direct_no"]
        else:
            answer = t["direct_yes"] if (first.value > second.value) == more else t["direct_no"]
        text = t["direct_compare"].format(
            answer=answer, first=_capital(first.label), first_value=a, second=second.label, second_value=b
        )
        return Direct("comparison", [_engine(text, marks)], citations)
    if not q.which or first.value == second.value:
        return None
    want_more = (q.comparative or ("more" if q.superlative == "max" else "less")) == "more"
    win, lose = (first, second) if (first.value > second.value) == want_more else (second, first)
    text = t["direct_pick_against"].format(
        item=_capital(win.label),
        value=_value(t, win.value, win.unit),
        other=lose.label,
        other_value=_value(t, lose.value, lose.unit),
    )
    return Direct("comparison", [_engine(text, marks)], citations)


def item_value(q: Question, ctx: Context) -> Direct | None:
    """ "How much is a bachelor's worth?": the one item a question names, with its value."""
    if q.superlative or q.comparative or not (q.how_much or q.yes_no):
        return None
    chosen = _collection(q, ctx, need_mentions=1)
    if chosen is None or len(chosen[1]) != 1:
        return None
    collection, (item,) = chosen
    if not (q.words & (collection.words - item.names[0])) or not _about_collection(q, ctx, collection):
        return None
    cited = _cite_items(ctx, [item])
    if cited is None:
        return None
    citations, number = cited
    return _value_answer(q, ctx, item.label, item.value, item.unit, citations, number[item.passage])


def _value_answer(
    q: Question,
    ctx: Context,
    label: str,
    value: float,
    unit: str,
    citations: list[Citation],
    mark: int,
    plain: bool = True,
) -> Direct | None:
    """The value; for a yes/no question that names one figure, whether it is that figure. ``plain``: a
    yes/no question without a figure ("does a PhD count?") may get the value alone."""
    t = ctx.t
    text = t["direct_value"].format(item=_capital(label), value=_value(t, value, unit))
    if q.yes_no and not (plain and not q.numbers):
        if len(q.numbers) != 1 or q.comparative or _NEGATION.search(q.text) or _COUNTS.search(q.text):
            return None  # a yes/no question that names no single figure is not a value check
        if _PRESUPPOSED.search(q.text) or not _unit_after(q.text, q.numbers[0], unit, label):
            return None  # the figure is presupposed, or counts something else ("1,500 hours" vs years)
        answer = t["direct_yes"] if q.numbers[0] == value else t["direct_no"]
        text = t["direct_checked"].format(answer=answer, item=label, value=_value(t, value, unit))
    return Direct("value", [_engine(text, [mark])], citations)


def _unit_after(text: str, number: float, unit: str, label: str) -> bool:
    """The question's figure is followed by the value's unit (or, without a unit, by what its label
    counts: "10 standards" is not a number of projects)."""
    wanted = stems(f"{unit} {_UNIT_WORDS.get(unit.lower(), '')}") or head_noun(label)
    for m in re.finditer(rf"({NUMBER})\s*(?:%|([\w'’-]+))?", text):
        if to_number(m.group(1)) == number:
            word = "%" if m.group(0).rstrip().endswith("%") else (m.group(2) or "")
            if not word:
                return True  # the figure alone ("capped at 250?")
            return word == unit if word == "%" else bool(stems(word) & wanted)
    return False


def _names_the_figure(q: Question, ctx: Context, p: Quantity) -> bool:
    """The question says which figure it asks for, not only its unit ("how many hours ..."): it names
    what the figure counts or its unit and one more word of its title, or two of its less common words;
    and "what is the X" names X in the title."""
    unit_words = stems(f"{p.unit} {_UNIT_WORDS.get(p.unit.lower(), '')}")
    head = head_noun(p.title)
    specific = (q.words & p.words) - unit_words - head
    rare = {w for w in specific if ctx.structure.share.get(w, 0.0) < GENERIC_SHARE}
    named = bool(q.words & (head | unit_words))
    if not ((named and specific) or len(rare) >= 2):
        return False
    asked = _WHAT_IS.search(q.text)
    if asked:
        wanted = {w for w in _tokens(asked.group(1)) if not w.isdigit()}
        return not wanted or bool(wanted & (p.title_words | unit_words))
    return True


def quantity(q: Question, ctx: Context) -> Direct | None:
    """ "How many questions are on the exam?", "does the CPT require 3 years?": a scalar parameter."""
    if q.superlative or q.comparative or not (q.how_much or (q.yes_no and q.numbers)):
        return None
    scored = []
    for p in ctx.structure.quantities:
        key = q.words & p.key_words
        measures = head_noun(p.title) | stems(f"{p.unit} {_UNIT_WORDS.get(p.unit.lower(), '')}")
        if not key or (q.counted and not set(q.counted) & measures):
            continue  # "how many hours" asks for a figure in hours (or counting hours), whatever else matches
        scored.append(((len(key), len(q.words & p.words), -len(p.title_words - q.words)), p))
    if not scored:
        return None
    scored.sort(key=lambda s: s[0], reverse=True)
    (rank, best), runner_up = scored[0], scored[1][0] if len(scored) > 1 else None
    if rank == runner_up or not _names_the_figure(q, ctx, best):
        return None
    if not _related(ctx, [best.passage]):
        return None
    found = [c for c in ctx.fetch([best.passage]) if _states(c, best.value)]
    if not found:
        return None
    return _value_answer(q, ctx, best.title, best.value, best.unit, found[:1], 1, plain=False)


def count(q: Question, ctx: Context) -> Direct | None:
    """ "How many standards does the CPT have?": the length of a list in the knowledge base."""
    if not q.counted:
        return None
    # the listing named by the last counted word ("how many exam domains" counts domains, not exams)
    ranked = []
    for listing in ctx.structure.listings:
        positions = [i for i, w in enumerate(q.counted) if w in listing.nouns]
        if positions:
            ranked.append((max(positions), listing))
    ranked.sort(key=lambda r: -r[0])
    if not ranked or (len(ranked) > 1 and ranked[1][0] == ranked[0][0]):
        return None
    listing = ranked[0][1]
    n = len(listing.labels)
    nouns = "|".join(re.escape(w) for w in set(q.counted) & listing.nouns)
    states = re.compile(rf"(?<![\d.,])\b{n}\s+(?:[\w'’-]+\s+){{0,3}}?(?:{nouns})", re.I)
    t = ctx.t
    # name what is counted in the question's own words ("how many content areas" -> "content areas")
    upto = next(i for i, w in enumerate(q.counted_words) if stems(w) & listing.nouns)
    what = " ".join(q.counted_words[: upto + 1]).strip(" ?.,")
    short = all(len(label.split()) <= 6 for label in listing.labels)
    text = (
        t["direct_count"].format(count=show(n), what=what, items="; ".join(_capital(x) for x in listing.labels))
        if short
        else t["direct_count_only"].format(count=show(n), what=what)
    )
    candidates = ctx.hits + ctx.fetch([f"{ctx.kb.program.id}:about"])
    stating = [h for h in candidates if states.search(digits(h.text))]
    if stating:
        return Direct("count", [_engine(text, [1])], stating[:1])
    citations = ctx.fetch(list(listing.passages))
    if len(citations) != n or n > 10:
        return None
    return Direct("count", [_engine(text, list(range(1, n + 1)))], citations)


def faq_polarity(q: Question, ctx: Context) -> Direct | None:
    """A yes/no question asked almost exactly as an FAQ entry whose answer starts with "Yes." or "No."."""
    faq = ctx.kb.faq
    if not q.yes_no or not faq:
        return None
    scores = ctx.similarity(q.text, [f.question for f in faq])
    ranked = sorted(zip(scores, faq, strict=True), key=lambda x: -x[0])
    score, entry = ranked[0]
    first = entry.answer.split(None, 1)[0] if entry.answer else ""
    if score < FAQ_MIN_SIMILARITY or first not in ("Yes.", "No."):
        return None
    if len(ranked) > 1:
        other_score, other = ranked[1]
        if other_score >= score - FAQ_MARGIN and not other.answer.startswith(first):
            return None  # two entries fit about as well and answer differently
    if bool(_NEGATION.search(q.text)) != bool(_NEGATION.search(entry.question)):
        return None  # "is there no exam?" is not "is there an exam?"
    if _uncovered(q, entry.question, ctx):
        return None
    citations = ctx.fetch([f"{ctx.kb.program.id}:faq.{entry.id}"]) or ctx.fetch(
        [f"{ctx.kb.program.id}:faq.{entry.id}#1"]
    )
    if not citations:
        return None
    sentences = passage_sentences(citations[0])
    body = passage_body(citations[0].text)
    lead = f"{first} {sentences[0]}" if sentences and body.startswith(f"{first} {sentences[0]}") else first
    if lead not in citations[0].text:
        return None
    return Direct("faq", [AnswerSentence(text=lead, grounding=Grounding.passage, cites=[1])], citations)


def _uncovered(q: Question, faq_question: str, ctx: Context) -> list[str]:
    """Words of the question that the FAQ's question does not cover and that matter."""
    kb = ctx.kb
    covered = stems(faq_question)
    names = stems(f"{kb.program.short_name} {kb.program.name} {kb.program.body}")
    groups = [frozenset().union(*(stems(w) for w in words)) - stems("degree") for words in EDUCATION_WORDS.values()]
    groups.append(stems("college university degree"))
    missing = []
    for word in q.words - covered - names:
        if word.isdigit() or ctx.structure.share.get(word, 0.0) >= GENERIC_SHARE:
            continue
        if any(word in g and g & covered for g in groups):
            continue
        missing.append(word)
    return missing


Answerer = Callable[[Question, Context], Direct | None]

# The one registry: tried in order, the first answer wins. Comparisons before superlatives ("which is
# bigger, X or Y" names two items), structured data before the FAQ's wording.
ANSWERERS: list[Answerer] = [comparison, superlative, item_value, count, quantity, faq_polarity]


def answer(
    question: str,
    kb: KnowledgeBase,
    hits: list[Citation],
    fetch: Callable[[list[str]], list[Citation]],
    similarity: Callable[[str, list[str]], list[float]],
    t: dict[str, str],
    structure: Structure | None = None,
) -> Direct | None:
    """The first direct answer the registered answerers give, or None (then retrieval answers alone).
    ``structure``: ``build(kb, t)``, which callers keep per program."""
    q = Question.read(question)
    q.words = q.words - program_words(kb)  # "CPO" names the program, not a figure
    ctx = Context(kb, hits, fetch, similarity, t, structure or build(kb, t))
    for answerer in ANSWERERS:
        direct = answerer(q, ctx)
        if direct is not None:
            return direct
    return None
