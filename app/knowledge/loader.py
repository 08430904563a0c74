"""Load and validate the knowledge tree, reporting every problem with its file, path and line.

Staff edit these files by hand, so validation collects all problems in one pass instead of stopping at
the first, and says where each one is.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from app.knowledge.checks import ProgramChecks
from app.knowledge.faq import FaqSyntaxError, parse_faq
from app.knowledge.schema import (
    EthicsCode,
    Exam,
    FaqEntry,
    KnowledgeBase,
    Program,
    Provenance,
    Rule,
    Source,
    Standard,
    Strict,
)


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        inside = f" at {self.path}" if self.path else ""
        return f"{where}{inside}: {self.message}"


class KnowledgeError(Exception):
    """The knowledge tree is invalid; ``problems`` lists every issue found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _duplicates(items: Iterable[str], what: str) -> list[str]:
    dupes = sorted(k for k, n in Counter(items).items() if n > 1)
    return [f"duplicate {what}: {', '.join(dupes)}"] if dupes else []


def _raise_all(messages: list[str]) -> None:
    if messages:
        raise ValueError("; ".join(messages))


class SourcesFile(Strict):
    sources: list[Source] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_keys(self) -> SourcesFile:
        _raise_all(_duplicates((s.key for s in self.sources), "source key"))
        return self


class StandardsFile(Strict):
    standards: list[Standard] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered_unique(self) -> StandardsFile:
        messages = _duplicates((s.id for s in self.standards), "standard id")
        messages += _duplicates((c.id for s in self.standards for c in s.criteria), "criterion id")
        numbers = [s.number for s in self.standards]
        if numbers != list(range(1, len(numbers) + 1)):
            messages.append(f"standards must be numbered 1..{len(numbers)} in order, got {numbers}")
        _raise_all(messages)
        return self


class RulesFile(Strict):
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> RulesFile:
        _raise_all(
            _duplicates((r.id for r in self.rules), "rule id")
            + _duplicates((p.id for r in self.rules for p in r.parameters), "parameter id")
        )
        return self


# file name -> (model, required)
FILES: dict[str, tuple[type[BaseModel], bool]] = {
    "program.yaml": (Program, True),
    "sources.yaml": (SourcesFile, True),
    "rules.yaml": (RulesFile, True),
    "standards.yaml": (StandardsFile, False),
    "ethics.yaml": (EthicsCode, False),
    "exam.yaml": (Exam, False),
    "checks.yaml": (ProgramChecks, False),
}
FAQ_FILE = "faq.md"


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Follow a pydantic error location through the YAML node tree to a 1-based line."""
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


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and not part.startswith(("function-", "union[", "int", "str")):
            out += f".{part}" if out else part
    return out


def _errors(exc: ValidationError, file: str, node: yaml.Node | None, offset: tuple[Any, ...] = ()) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = offset + tuple(err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        problems.append(Problem(file, _format_loc(loc), message, _line_of(node, loc)))
    return problems


# libyaml's parser when PyYAML has it (it parses the knowledge base several times faster, and a cold
# `certprep ask` spent half its time here); the pure-Python one otherwise. Both are safe loaders.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path, rel: str) -> tuple[Any, yaml.Node | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, None, [Problem(rel, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    try:
        loader = _Loader(text)  # one parse gives both the data and the nodes (for line numbers)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        return None, None, [Problem(rel, "", f"invalid YAML: {getattr(exc, 'problem', exc)}", line)]
    return data, node, []


def load_program(folder: Path, root: Path | None = None) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Load one program folder. Returns the knowledge base (None if invalid) and all problems."""
    root = root or folder.parent
    problems: list[Problem] = []
    parts: dict[str, Any] = {}
    nodes: dict[str, yaml.Node | None] = {}
    for name, (model, required) in FILES.items():
        path = folder / name
        rel = str(path.relative_to(root))
        if not path.exists():
            if required:
                problems.append(Problem(rel, "", "required file is missing"))
            continue
        data, node, errs = _read_yaml(path, rel)
        problems += errs
        if errs:
            continue
        nodes[name] = node
        if data is None:
            problems.append(Problem(rel, "", "file is empty"))
            continue
        try:
            parts[name] = model.model_validate(data)
        except ValidationError as exc:
            problems += _errors(exc, rel, node)

    faq: list[FaqEntry] = []
    faq_path = folder / FAQ_FILE
    if faq_path.exists():
        rel = str(faq_path.relative_to(root))
        try:
            raw = parse_faq(faq_path.read_text(encoding="utf-8"))
        except FaqSyntaxError as exc:
            problems.append(Problem(rel, "", str(exc), exc.line))
            raw = []
        except UnicodeDecodeError as exc:
            problems.append(Problem(rel, "", f"not UTF-8 text ({exc.reason})"))
            raw = []
        for entry in raw:
            try:
                faq.append(FaqEntry.model_validate({**entry.data, "line": entry.line}))
            except ValidationError as exc:
                for err in exc.errors():
                    where = f"entry {entry.data.get('id', '?')}." + _format_loc(tuple(err["loc"]))
                    problems.append(Problem(rel, where, err["msg"].removeprefix("Value error, "), entry.line))
        ids = Counter(e.id for e in faq)
        for entry in faq:
            if ids[entry.id] > 1:
                problems.append(Problem(rel, f"entry {entry.id}", "duplicate FAQ id", entry.line))

    program: Program | None = parts.get("program.yaml")
    if program is not None and program.id != folder.name:
        problems.append(
            Problem(
                str((folder / "program.yaml").relative_to(root)),
                "id",
                f"program id {program.id!r} does not match its folder name {folder.name!r}",
                None,
            )
        )
    if "sources.yaml" in parts:
        known = {src.key for src in parts["sources.yaml"].sources}
        problems += _check_references(parts, faq, known, folder, root, nodes)
    if program is not None and program.requires_narratives and "standards.yaml" not in parts:
        rel = str((folder / "standards.yaml").relative_to(root))
        if not any(p.file == rel for p in problems):
            problems.append(Problem(rel, "", "program requires narratives but has no standards"))
    if "checks.yaml" in parts and "rules.yaml" in parts:
        defined = {p.id for r in parts["rules.yaml"].rules for p in r.parameters}
        rel = str((folder / "checks.yaml").relative_to(root))
        for missing in sorted(set(parts["checks.yaml"].parameter_ids()) - defined):
            problems.append(Problem(rel, "", f"names parameter {missing!r}, which rules.yaml does not define"))
    if problems or program is None:
        return None, problems

    kb = KnowledgeBase(
        program=program,
        sources=parts["sources.yaml"].sources,
        standards=parts["standards.yaml"].standards if "standards.yaml" in parts else [],
        ethics=parts.get("ethics.yaml"),
        rules=parts["rules.yaml"].rules,
        exam=parts.get("exam.yaml"),
        faq=faq,
        checks=parts.get("checks.yaml"),
    )
    return kb, problems


def _walk_provenance(obj: Any, loc: tuple[Any, ...] = ()) -> Iterable[tuple[tuple[Any, ...], Provenance]]:
    if isinstance(obj, Provenance):
        yield loc, obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _walk_provenance(getattr(obj, name), (*loc, name))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            yield from _walk_provenance(item, (*loc, i))


def _check_references(
    parts: dict[str, Any],
    faq: list[FaqEntry],
    known: set[str],
    folder: Path,
    root: Path,
    nodes: dict[str, yaml.Node | None],
) -> list[Problem]:
    """Every source key cited anywhere must exist in sources.yaml, and every source listed must be cited
    (a source nothing cites is either a fact never written down or a leftover)."""
    problems = []
    cited: set[str] = {key for entry in faq for key in entry.provenance.sources}
    for name, part in parts.items():
        rel = str((folder / name).relative_to(root))
        for loc, provenance in _walk_provenance(part):
            cited.update(provenance.sources)
            problems += [
                Problem(
                    rel,
                    _format_loc((*loc, "sources")),
                    f"unknown source key {key!r}",
                    _line_of(nodes.get(name), loc),
                )
                for key in provenance.sources
                if key not in known
            ]
    rel = str((folder / FAQ_FILE).relative_to(root))
    for entry in faq:
        problems += [
            Problem(rel, f"entry {entry.id}.sources", f"unknown source key {key!r}", entry.line)
            for key in entry.provenance.sources
            if key not in known
        ]
    if "sources.yaml" in parts:
        rel = str((folder / "sources.yaml").relative_to(root))
        for index, source in enumerate(parts["sources.yaml"].sources):
            if source.key not in cited:
                line = _line_of(nodes.get("sources.yaml"), ("sources", index))
                problems.append(Problem(rel, f"sources[{index}]", f"source {source.key} is never cited", line))
    return problems


def program_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def _load_all(root: Path) -> tuple[dict[str, KnowledgeBase], list[Problem]]:
    if not root.is_dir():
        return {}, [Problem(str(root), "", "knowledge folder does not exist")]
    folders = program_folders(root)
    if not folders:
        return {}, [Problem(str(root), "", "no program folders found")]
    programs: dict[str, KnowledgeBase] = {}
    problems: list[Problem] = []
    for folder in folders:
        kb, found = load_program(folder, root)
        problems += found
        if kb is not None:
            programs[kb.program.id] = kb
    return programs, problems


def validate_tree(root: Path) -> list[Problem]:
    """Every problem in the tree (empty when valid)."""
    return _load_all(root)[1]


def load_knowledge(root: Path) -> dict[str, KnowledgeBase]:
    """All programs by id; raises KnowledgeError listing every problem if anything is invalid. Read once
    per process and state of the files: a changed, added or removed file is read afresh."""
    root = Path(root)
    programs, problems = _load_cached(root.resolve(), _fingerprint(root))
    if problems:
        raise KnowledgeError(problems)
    return dict(programs)


def _fingerprint(root: Path) -> tuple:
    if not root.is_dir():
        return ()
    return tuple(
        (str(p), stat.st_mtime_ns, stat.st_size) for p in sorted(root.rglob("*")) if p.is_file() and (stat := p.stat())
    )


@functools.lru_cache(maxsize=8)
def _load_cached(root: Path, fingerprint: tuple) -> tuple[dict[str, KnowledgeBase], list[Problem]]:
    return _load_all(root)
