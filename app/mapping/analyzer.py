"""Map one narrative to every standard of a program: status, confidence, evidence, criteria, coaching.

A program with a trained sentence evidence model (``evidence.py``) is judged sentence by sentence: each
sentence is scored for every standard at once, so a paragraph doing the work of several standards is
credited with each, and a standard is demonstrated by a sentence that reports the author's own, done work
(not a plan, not someone else's work watched). Any other program is judged by the standard-agnostic
passage model: the text is split into units of about a paragraph (60-250 words), each unit is scored
against each standard, and a standard's verdict for the project is its best unit.
Narrative text is only ever embedded and pattern-matched: it is data, never instructions, and sentences
that read as instructions to the checker are set aside and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.documents import Document, Segmented, segment
from app.embeddings import Embedder
from app.knowledge.schema import KnowledgeBase
from app.mapping.classifier import MappingModel, load_model
from app.mapping.evidence import EvidenceModel, load_evidence_model
from app.mapping.features import UnitView, unit_features
from app.mapping.models import Basis, Evidence, ProjectResult, StandardResult, Status
from app.mapping.prototypes import ProgramPrototypes, program_prototypes
from app.mapping.signals import SentenceSignals, own_work, sentence_signals
from app.templates import load_templates

UNIT_MIN_WORDS = 60
UNIT_MAX_WORDS = 250
MAX_EVIDENCE = 3
TOP_PROTOTYPES = 3  # a sentence close to several of a standard's reference texts is better evidence than one
# sentences are short: smaller batches pad less (900 words: 0.40 -> 0.33 s on 2 cores at 16 against 32), and
# batches of 8 keep both mapping workers busy (0.28 -> 0.19 s against 16 on two threads)
SENTENCE_BATCH = 8


class AnalysisError(ValueError):
    pass


@dataclass
class _Prepared:
    """Everything computed once per text, shared by the per-standard decisions."""

    seg: Segmented
    keep: list[int]  # sentence indexes used (instruction-like ones removed)
    sim: np.ndarray  # (n_keep, n_std)
    crit_sim: list[np.ndarray]  # per standard: (n_keep, n_criteria)
    conc: np.ndarray
    generic: np.ndarray
    keyword: np.ndarray
    units: list[list[int]]  # rows of `keep`
    unit_sim: np.ndarray  # (n_units, n_std)
    unit_head: np.ndarray  # (n_units, n_std): the per-standard embedding heads' probabilities
    unit_words: np.ndarray  # (n_units, n_std): the per-standard word heads' probabilities
    unit_vecs: np.ndarray  # (n_units, dim)
    injected: list[int]
    signals: list[SentenceSignals] = field(default_factory=list)  # of the kept sentences (sentence engine)


def _word_count(text: str) -> int:
    return len(text.split())


def make_units(seg: Segmented, rows: list[int]) -> list[list[int]]:
    """Group kept sentences (by row) into paragraph-sized units."""
    by_paragraph: dict[int, list[int]] = {}
    for row, index in enumerate(rows):
        by_paragraph.setdefault(seg.sentences[index].paragraph, []).append(row)
    units: list[list[int]] = []
    current: list[int] = []
    words = 0
    for paragraph in sorted(by_paragraph):
        members = by_paragraph[paragraph]
        size = sum(_word_count(seg.sentences[rows[r]].text) for r in members)
        if size > UNIT_MAX_WORDS:
            if current:
                units.append(current)
                current, words = [], 0
            chunk: list[int] = []
            chunk_words = 0
            for r in members:
                w = _word_count(seg.sentences[rows[r]].text)
                if chunk and chunk_words + w > UNIT_MAX_WORDS * 0.8:
                    units.append(chunk)
                    chunk, chunk_words = [], 0
                chunk.append(r)
                chunk_words += w
            if chunk:
                units.append(chunk)
            continue
        if current and (words + size > UNIT_MAX_WORDS or size >= UNIT_MIN_WORDS):
            # a paragraph long enough to stand alone is never diluted by a short one before it
            units.append(current)
            current, words = [], 0
        current.extend(members)
        words += size
        if words >= UNIT_MIN_WORDS:
            units.append(current)
            current, words = [], 0
    if current:
        if (
            units
            and words < UNIT_MIN_WORDS // 2
            and sum(_word_count(seg.sentences[rows[r]].text) for r in units[-1]) + words <= UNIT_MAX_WORDS
        ):
            units[-1].extend(current)
        else:
            units.append(current)
    return units


class NarrativeAnalyzer:
    """Analyses narratives for one program. Thread-safe after construction; the model is shared."""

    def __init__(
        self,
        kb: KnowledgeBase,
        embedder: Embedder,
        prompts_dir: Path,
        model: MappingModel | None = None,
        evidence: EvidenceModel | bool | None = True,
    ):
        """``evidence``: the sentence model to use, True for the program's own (if it has one), or
        False/None to judge with the passage model only (the earlier engine, kept as a baseline)."""
        if not kb.standards:
            raise AnalysisError(
                f"{kb.program.short_name} has no standards to map narratives to "
                f"(its application does not use project narratives)"
            )
        self.kb = kb
        self.embedder = embedder
        self.model = model or load_model()
        self.prompts_dir = Path(prompts_dir)
        self.templates = load_templates(self.prompts_dir, "analysis")
        self.protos: ProgramPrototypes = program_prototypes(kb, embedder)
        self.shared = self.model.shared_for(kb.program.id)
        if evidence is True:
            evidence = load_evidence_model(kb.program.id, embedder)
        if evidence and evidence.config.standards != self.protos.ids:
            evidence = None  # trained on other standards (a program folder that reuses the id): not usable
        self.evidence: EvidenceModel | None = evidence or None

    # --- scoring -------------------------------------------------------------------------------
    def standard_scores(self, vectors: np.ndarray) -> np.ndarray:
        """(n, n_standards): mean similarity of each text to its closest reference texts per standard."""
        out = np.zeros((len(vectors), len(self.protos.standards)))
        for s, proto in enumerate(self.protos.standards):
            if len(vectors):
                out[:, s] = np.sort(vectors @ proto.vectors.T, axis=1)[:, -TOP_PROTOTYPES:].mean(axis=1)
        return out

    def prepare(self, text: str, single_unit: bool = False) -> _Prepared:
        """Everything the decisions need, computed once. ``single_unit`` reads the whole text as one unit,
        the way labelled passages are read in training."""
        seg = segment(text)
        signals = [sentence_signals(s.text) for s in seg.sentences]
        injected = [i for i, s in enumerate(signals) if s.injection]
        keep = [i for i, s in enumerate(signals) if not s.injection]
        n_std = len(self.protos.standards)
        whole = [list(range(len(keep)))] if keep else []
        units = whole if single_unit else make_units(seg, keep)
        # one model call for the sentences; a unit is the normalised mean of its sentences (no second,
        # padded pass over long texts: it halves the time of a long narrative)
        texts = [seg.sentences[i].text for i in keep]
        sent_vecs = (
            np.asarray(self.embedder.embed(texts, batch_size=SENTENCE_BATCH), dtype=np.float32)
            if texts
            else np.zeros((0, 1))
        )
        unit_vecs = np.zeros((len(units), sent_vecs.shape[1]), dtype=np.float32)
        for u, rows in enumerate(units):
            mean = sent_vecs[rows].mean(axis=0)
            unit_vecs[u] = mean / (np.linalg.norm(mean) or 1.0)
        sim = np.zeros((len(keep), n_std))
        unit_sim = self.standard_scores(unit_vecs) if len(units) else np.zeros((0, n_std))
        unit_head = self.model.head_probabilities(self.kb.program.id, self.protos.ids, unit_vecs)
        unit_texts = [" ".join(texts[r] for r in rows) for rows in units]
        unit_words = self.model.word_probabilities(self.kb.program.id, self.protos.ids, unit_texts)
        crit_sim: list[np.ndarray] = []
        for s, proto in enumerate(self.protos.standards):
            if len(keep):
                block = sent_vecs @ proto.vectors.T
                top = np.sort(block, axis=1)[:, -TOP_PROTOTYPES:]
                sim[:, s] = top.mean(axis=1)
                crit_sim.append(block[:, proto.criterion_rows])
            else:
                crit_sim.append(np.zeros((0, len(proto.criterion_rows))))

        keyword = np.zeros((len(keep), n_std), dtype=bool)
        for row, index in enumerate(keep):
            for s, proto in enumerate(self.protos.standards):
                if proto.keywords is not None and proto.keywords.search(seg.sentences[index].text):
                    keyword[row, s] = True
        conc = np.array([signals[i].concreteness for i in keep], dtype=np.float64)
        generic = np.array([signals[i].generic for i in keep], dtype=bool)
        return _Prepared(
            seg=seg,
            keep=keep,
            sim=sim,
            crit_sim=crit_sim,
            conc=conc,
            generic=generic,
            keyword=keyword,
            units=units,
            unit_sim=unit_sim,
            unit_head=unit_head,
            unit_words=unit_words,
            unit_vecs=unit_vecs,
            injected=injected,
        )

    def unit_matrix(self, prep: _Prepared) -> np.ndarray:
        """(n_units, n_std, n_features): what the classifier reads. Also used by training."""
        n_std = len(self.protos.standards)
        if not prep.units:
            return np.zeros((0, n_std, len(self.model.features)))
        out = []
        for u, rows in enumerate(prep.units):
            view = UnitView(
                sim=prep.sim[rows],
                conc=prep.conc[rows],
                generic=prep.generic[rows],
                keyword=prep.keyword[rows],
                unit_sim=prep.unit_sim[u],
                head=prep.unit_head[u],
                words=prep.unit_words[u],
            )
            out.append(unit_features(view))
        return np.stack(out)

    # --- decisions -----------------------------------------------------------------------------
    def _evidence(self, prep: _Prepared, s: int) -> list[tuple[int, float]]:
        """(row, strength) of sentences that support standard ``s``, strongest first."""
        if not len(prep.keep):
            return []
        sim = prep.sim
        others = np.delete(sim, s, axis=1).max(axis=1) if sim.shape[1] > 1 else np.zeros(len(sim))
        rows = [
            row
            for row in range(len(sim))
            if sim[row, s] >= self.model.evidence_similarity and sim[row, s] >= others[row] - self.model.evidence_margin
        ]
        return sorted(self._strengths(prep, s, rows), key=lambda item: -item[1])

    def _strengths(self, prep: _Prepared, s: int, rows: list[int]) -> list[tuple[int, float]]:
        """A quote's strength: how close it is to the standard, discounted when it describes little work."""
        out = []
        for row in rows:
            strength = float(np.clip(prep.sim[row, s], 0, 1) * (0.5 + 0.5 * prep.conc[row]))
            out.append((row, round(min(1.0, strength / self.model.evidence_strength_scale), 3)))
        return out

    def _described_work(self, prep: _Prepared, unit: int) -> list[int]:
        """The unit's sentences that describe work; fewer than the model's minimum means the unit only
        claims, and a claim is at most partial however close its words are to the standard."""
        rows = [r for r in prep.units[unit] if prep.conc[r] >= self.model.min_evidence_concreteness]
        return rows if len(rows) >= self.model.min_concrete_sentences else []

    def _suggestion(
        self,
        s: int,
        status: Status,
        missing_criteria: list[str],
        paragraph: int | None,
        prep: _Prepared,
        basis: Basis | None = None,
    ) -> str | None:
        standard = self.protos.standards[s].standard
        criteria = "; ".join(c[0].lower() + c[1:].rstrip(".") for c in missing_criteria[:2])
        if status is Status.demonstrated and not criteria:
            return None
        where = ""
        if paragraph is not None and status is not Status.missing:
            p = prep.seg.paragraphs[paragraph]
            opening = " ".join(prep.seg.text[p.start : p.end].split()[:6])
            where = self.templates["where"].format(number=paragraph + 1, opening=opening)
        key = status.value if basis in (None, Basis.evidence, Basis.named, Basis.none) else basis.value
        text = self.templates[key].format(
            title=standard.title, where=where, criteria=criteria or "the criteria listed for this standard"
        )
        if status is not Status.demonstrated and standard.weaknesses:
            weakness = standard.weaknesses[0]
            text += self.templates["weakness"].format(weakness=weakness[0].lower() + weakness[1:])
        return text

    def _warnings(self, document: Document, prep: _Prepared) -> list[str]:
        warnings: list[str] = []
        if document.notice:
            warnings.append(document.notice)
        if prep.injected:
            paragraphs = sorted({prep.seg.sentences[i].paragraph + 1 for i in prep.injected})
            warnings.append(
                f"{len(prep.injected)} sentence(s) read as instructions to the checker and were ignored "
                f"(paragraph {', '.join(map(str, paragraphs))}); "
                "narrative text is never followed as instructions"
            )
        words = _word_count(document.text)
        if words < 40:
            warnings.append(f"only {words} words: too short to show much; reviewers expect described work")
        return warnings

    def analyze(self, document: Document) -> ProjectResult:
        if self.evidence is not None:
            return self._analyze_sentences(document, *self._prepare_sentences(document.text))
        prep = self.prepare(document.text)
        warnings = self._warnings(document, prep)
        words = _word_count(document.text)
        features = self.unit_matrix(prep)
        n_std = len(self.protos.standards)
        if len(features):
            flat = features.reshape(-1, features.shape[-1])
            p_dem, p_pres = self.model.probabilities(flat, self.shared)
            p_dem = p_dem.reshape(len(prep.units), n_std)
            p_pres = p_pres.reshape(len(prep.units), n_std)
        else:
            p_dem = p_pres = np.zeros((1, n_std))
        results = []
        for s in range(n_std):
            best_unit = int(p_dem[:, s].argmax())
            d, p = float(p_dem[:, s].max()), float(p_pres[:, s].max())
            evidence = self._evidence(prep, s)
            described = self._described_work(prep, best_unit) if prep.units else []
            if d >= self.shared.demonstrated.threshold and described:
                # the evidence for a verdict on the unit is that unit's described work, closest first
                quoted = {r for r, _ in evidence}
                evidence += [item for item in self._strengths(prep, s, described) if item[0] not in quoted]
                evidence.sort(key=lambda item: -item[1])
            concrete = [r for r, _ in evidence if prep.conc[r] >= self.model.min_evidence_concreteness]
            if d >= self.shared.demonstrated.threshold and described:
                status = Status.demonstrated
                confidence = d
            elif p >= self.shared.present.threshold or d >= self.shared.demonstrated.threshold:
                status = Status.partial
                confidence = max(min(p, 1 - d) if d < self.shared.demonstrated.threshold else 0.5, 0.5)
            else:
                status = Status.missing
                confidence = 1 - p
            met = self._criteria_met(prep, s, concrete) if status is not Status.missing else []
            unmet = self._unmet(prep, s, met, evidence[0][0] if status is not Status.missing and evidence else None)
            paragraph = None
            if evidence:
                paragraph = prep.seg.sentences[prep.keep[evidence[0][0]]].paragraph
            elif prep.units and status is not Status.missing:
                paragraph = prep.seg.sentences[prep.keep[prep.units[best_unit][0]]].paragraph
            shown = evidence[:MAX_EVIDENCE] if status is not Status.missing else []
            results.append(self._result(prep, s, status, confidence, shown, met, unmet, paragraph))
        return ProjectResult(source=document.source, standards=results, warnings=warnings, words=words)

    # --- the sentence-level engine ---------------------------------------------------------------
    def _criteria_met(self, prep: _Prepared, s: int, rows: list[int]) -> list[str]:
        standard = self.protos.standards[s].standard
        met: list[str] = []
        for row in rows:
            for j in np.flatnonzero(prep.crit_sim[s][row] >= self.model.criterion_similarity):
                cid = standard.criteria[int(j)].id
                if cid not in met:
                    met.append(cid)
        return sorted(met, key=lambda cid: int(cid.split(".C")[1]))

    def _unmet(self, prep: _Prepared, s: int, met: list[str], nearest_to: int | None) -> list[str]:
        """Criteria not met; when a sentence is quoted, those nearest to it first (the easiest to add)."""
        criteria = self.protos.standards[s].standard.criteria
        if nearest_to is None:
            return [c.text for c in criteria if c.id not in met]
        order = np.argsort(-prep.crit_sim[s][nearest_to], kind="stable")
        return [criteria[int(j)].text for j in order if criteria[int(j)].id not in met]

    def _result(
        self,
        prep: _Prepared,
        s: int,
        status: Status,
        confidence: float,
        shown: list[tuple[int, float]],
        met: list[str],
        unmet: list[str],
        paragraph: int | None,
        basis: Basis | None = None,
    ) -> StandardResult:
        """One standard's result, the same for both engines: quotes located in the text, advice in words."""
        standard = self.protos.standards[s].standard
        quotes = []
        for row, strength in shown:
            sentence = prep.seg.sentences[prep.keep[row]]
            quotes.append(
                Evidence(text=sentence.text, start=sentence.start, end=sentence.end, strength=round(strength, 3))
            )
        return StandardResult(
            id=standard.id,
            title=standard.title,
            status=status,
            confidence=round(float(np.clip(confidence, 0, 1)), 3),
            evidence=quotes,
            criteria_met=met,
            suggestion=self._suggestion(s, status, unmet, paragraph, prep, basis),
            paragraph=paragraph if status is not Status.missing else None,
            basis=basis,
        )

    def _prepare_sentences(self, text: str) -> tuple[_Prepared, np.ndarray]:
        """What the sentence engine needs: the evidence model's scores for every sentence and the bundled
        model's sentence vectors (to match quotes to criteria), from one pass through the model."""
        assert self.evidence is not None
        seg = segment(text)
        signals = [sentence_signals(s.text) for s in seg.sentences]
        keep = [i for i, s in enumerate(signals) if not s.injection]
        texts = [seg.sentences[i].text for i in keep]
        # one pass: the evidence scores, and the bundled model's vectors for matching criteria
        probs, vectors = self.evidence.score(texts, batch_size=SENTENCE_BATCH)
        n_std = len(self.protos.standards)
        crit_sim = [vectors @ proto.vectors[proto.criterion_rows].T for proto in self.protos.standards]
        keyword = np.array(
            [[bool(p.keywords is not None and p.keywords.search(t)) for p in self.protos.standards] for t in texts],
            dtype=bool,
        ).reshape(len(texts), n_std)
        empty = np.zeros((0, n_std))
        prep = _Prepared(
            seg=seg,
            keep=keep,
            sim=np.zeros((len(keep), n_std)),
            crit_sim=crit_sim,
            conc=np.array([signals[i].concreteness for i in keep], dtype=np.float64),
            generic=np.array([signals[i].generic for i in keep], dtype=bool),
            keyword=keyword,
            units=[],
            unit_sim=empty,
            unit_head=empty,
            unit_words=empty,
            unit_vecs=np.zeros((0, 1)),
            injected=[i for i, s in enumerate(signals) if s.injection],
            signals=[signals[i] for i in keep],
        )
        return prep, probs

    def _analyze_sentences(self, document: Document, prep: _Prepared, probs: np.ndarray) -> ProjectResult:
        """Statuses from the sentences that carry each standard's evidence (see the module docstring)."""
        assert self.evidence is not None
        config = self.evidence.config
        texts = [prep.seg.sentences[i].text for i in prep.keep]
        own = np.array(own_work(texts, prep.signals), dtype=bool)
        planned = np.array([signal.planned for signal in prep.signals], dtype=bool)
        named = prep.keyword.any(axis=0) if len(texts) else np.zeros(len(self.protos.standards), dtype=bool)
        results = []
        for s in range(len(self.protos.standards)):
            p = probs[:, s] if len(texts) else np.zeros(0)
            own_p = np.where(own, p, 0.0)
            best_own = float(own_p.max()) if len(p) else 0.0
            best_any = float(p.max()) if len(p) else 0.0
            # quotes: own work first, strongest first; a plan or someone else's work is quoted only to
            # show why the standard is not demonstrated
            ranked = sorted(range(len(p)), key=lambda r: (-own_p[r], -p[r]))
            quoted = [r for r in ranked if own[r] and p[r] >= config.quote]
            if best_own >= config.demonstrated:
                status, basis, confidence = Status.demonstrated, Basis.evidence, best_own
            elif best_any >= config.partial and not own[int(np.argmax(p))]:
                # the standard's strongest sentence is a plan or someone else's work: say so, and quote it
                top = int(np.argmax(p))
                basis = Basis.planned if planned[top] else Basis.others
                status, confidence = Status.partial, max(0.5, best_any)
                quoted = [top, *quoted]
            elif quoted:
                status, basis = Status.partial, Basis.thin
                confidence = max(0.5, 1 - best_own / config.demonstrated * 0.5)
            elif best_any >= config.partial or named[s]:
                status, basis = Status.partial, Basis.named
                confidence = max(0.5, 1 - best_any)
                # named in a plan or in someone else's work: say which, and quote it
                naming = [r for r in range(len(texts)) if prep.keyword[r, s] and not own[r]]
                if naming:
                    top = max(naming, key=lambda r: p[r])
                    basis = Basis.planned if planned[top] else Basis.others
                    quoted = [top]
            else:
                status, basis, confidence = Status.missing, Basis.none, 1 - best_any
            met = self._criteria_met(prep, s, [r for r in quoted if own[r]]) if status is not Status.missing else []
            unmet = self._unmet(prep, s, met, quoted[0] if quoted else None)
            paragraph = None
            if quoted:
                paragraph = prep.seg.sentences[prep.keep[quoted[0]]].paragraph
            elif status is Status.partial and prep.keyword[:, s].any():
                paragraph = prep.seg.sentences[prep.keep[int(np.argmax(prep.keyword[:, s]))]].paragraph
            shown = [(row, float(p[row])) for row in quoted[:MAX_EVIDENCE]] if status is not Status.missing else []
            results.append(self._result(prep, s, status, confidence, shown, met, unmet, paragraph, basis))
        return ProjectResult(
            source=document.source,
            standards=results,
            warnings=self._warnings(document, prep),
            words=_word_count(document.text),
        )
