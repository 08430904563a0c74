"""`certprep knowledge validate` on broken trees: every problem, with file, path and line."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
import yaml

from app.knowledge import KnowledgeError, load_knowledge, validate_tree


def _edit(path, change):
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_fixture_tree_is_valid(fixture_knowledge):
    assert validate_tree(fixture_knowledge) == []
    kbs = load_knowledge(fixture_knowledge)
    assert list(kbs) == ["cwi"]
    assert [s.id for s in kbs["cwi"].standards] == ["S1", "S2"]


def test_missing_id_is_reported_with_path_and_line(fixture_knowledge):
    _edit(fixture_knowledge / "cwi/standards.yaml", lambda d: d["standards"][1].pop("id"))
    problems = validate_tree(fixture_knowledge)
    assert len(problems) == 1
    p = problems[0]
    assert p.file == "cwi/standards.yaml"
    assert p.path == "standards[1].id"
    assert "Field required" in p.message
    assert p.line is not None and p.line > 1


def test_duplicate_ids_are_reported(fixture_knowledge):
    def dup(d):
        d["rules"].append(dict(d["rules"][0]))

    _edit(fixture_knowledge / "cwi/rules.yaml", dup)
    problems = validate_tree(fixture_knowledge)
    messages = " ".join(p.message for p in problems)
    assert "duplicate rule id: eligibility" in messages
    assert "duplicate parameter id" in messages


def test_duplicate_criterion_ids_are_reported(fixture_knowledge):
    _edit(
        fixture_knowledge / "cwi/standards.yaml",
        lambda d: d["standards"][0]["criteria"][1].update(id="S1.C1"),
    )
    assert any("duplicate criterion id: S1.C1" in p.message for p in validate_tree(fixture_knowledge))


def test_wrong_type_is_reported(fixture_knowledge):
    _edit(fixture_knowledge / "cwi/standards.yaml", lambda d: d["standards"][0].update(number="first"))
    problems = validate_tree(fixture_knowledge)
    assert any(p.path == "standards[0].number" and "integer" in p.message for p in problems)


def test_unknown_source_key_is_reported(fixture_knowledge):
    _edit(
        fixture_knowledge / "cwi/rules.yaml",
        lambda d: d["rules"][0]["parameters"][1]["provenance"].update(sources=["W1", "ZZ9"]),
    )
    problems = validate_tree(fixture_knowledge)
    assert len(problems) == 1
    assert problems[0].file == "cwi/rules.yaml"
    assert problems[0].path == "rules[0].parameters[1].provenance.sources"
    assert "unknown source key 'ZZ9'" in problems[0].message


def test_missing_source_is_reported(fixture_knowledge):
    _edit(fixture_knowledge / "cwi/rules.yaml", lambda d: d["rules"][0]["provenance"].pop("sources"))
    problems = validate_tree(fixture_knowledge)
    assert any(p.path == "rules[0].provenance.sources" and "required" in p.message for p in problems)


def test_uncertain_entry_must_say_why(fixture_knowledge):
    _edit(
        fixture_knowledge / "cwi/rules.yaml",
        lambda d: d["rules"][0]["provenance"].update(confidence="uncertain"),
    )
    problems = validate_tree(fixture_knowledge)
    assert any("needs a `note`" in p.message for p in problems)


def test_program_id_must_match_folder(fixture_knowledge):
    _edit(fixture_knowledge / "cwi/program.yaml", lambda d: d.update(id="other"))
    problems = validate_tree(fixture_knowledge)
    assert any("does not match its folder name 'cwi'" in p.message for p in problems)


def test_active_option_must_exist(fixture_knowledge):
    _edit(
        fixture_knowledge / "cwi/rules.yaml",
        lambda d: d["rules"][0]["parameters"][2].update(active="thrice"),
    )
    problems = validate_tree(fixture_knowledge)
    assert any("`active` must name one of the options" in p.message for p in problems)


def test_invalid_yaml_gives_line(fixture_knowledge):
    path = fixture_knowledge / "cwi/sources.yaml"
    path.write_text("sources:\n  - key: W1\n    title: [unclosed\n")
    problems = validate_tree(fixture_knowledge)
    assert len(problems) == 1
    assert problems[0].file == "cwi/sources.yaml"
    assert "invalid YAML" in problems[0].message
    assert problems[0].line is not None


def test_missing_required_file(fixture_knowledge):
    (fixture_knowledge / "cwi/rules.yaml").unlink()
    problems = validate_tree(fixture_knowledge)
    assert [(p.file, p.message) for p in problems] == [("cwi/rules.yaml", "required file is missing")]


def test_faq_without_metadata_line(fixture_knowledge):
    path = fixture_knowledge / "cwi/faq.md"
    path.write_text(path.read_text() + "\n## A question with no metadata?\n\n## Next?\n")
    problems = validate_tree(fixture_knowledge)
    assert len(problems) == 1
    assert problems[0].file == "cwi/faq.md"
    assert problems[0].line == 8
    assert "no metadata line" in problems[0].message


def test_faq_unknown_source_and_duplicate_id(fixture_knowledge):
    path = fixture_knowledge / "cwi/faq.md"
    extra = (
        "\n## Is this asked twice?\n"
        "id: apprenticeship | audience: staff | sources: Q7 | as_of: 2026 | confidence: confirmed\n\n"
        "Yes, and it cites a source that does not exist in this folder.\n"
    )
    path.write_text(path.read_text() + extra)
    messages = {p.message for p in validate_tree(fixture_knowledge)}
    assert "duplicate FAQ id" in messages
    assert "unknown source key 'Q7'" in messages


def test_all_problems_are_collected_in_one_pass(fixture_knowledge):
    _edit(fixture_knowledge / "cwi/standards.yaml", lambda d: d["standards"][0].pop("summary"))
    _edit(fixture_knowledge / "cwi/program.yaml", lambda d: d.pop("body"))
    (fixture_knowledge / "cwi/faq.md").write_text("## Q?\nid: x | colour: blue\n\nanswer\n")
    problems = validate_tree(fixture_knowledge)
    files = sorted({p.file for p in problems})
    assert files == ["cwi/faq.md", "cwi/program.yaml", "cwi/standards.yaml"]
    with pytest.raises(KnowledgeError) as exc:
        load_knowledge(fixture_knowledge)
    assert len(exc.value.problems) == len(problems)


def test_cli_reports_problems_and_exits_nonzero(fixture_knowledge):
    _edit(fixture_knowledge / "cwi/standards.yaml", lambda d: d["standards"][1].pop("id"))
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "knowledge", "validate", str(fixture_knowledge)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "cwi/standards.yaml:" in result.stderr
    assert "standards[1].id" in result.stderr
    assert "1 problem(s)" in result.stderr


def test_changing_a_yaml_value_changes_the_parameter(fixture_knowledge):
    kb = load_knowledge(fixture_knowledge)["cwi"]
    assert kb.value("min_experience_years") == 2
    assert kb.value("min_projects_per_standard") == 1
    assert kb.parameter("min_projects_per_standard").uncertain  # sources disagree
    assert not kb.parameter("min_experience_years").uncertain

    def change(d):
        d["rules"][0]["parameters"][0]["versions"][1]["value"] = 4  # the version in force today
        d["rules"][0]["parameters"][2]["active"] = "twice"

    _edit(fixture_knowledge / "cwi/rules.yaml", change)
    kb = load_knowledge(fixture_knowledge)["cwi"]
    assert kb.value("min_experience_years") == 4
    assert kb.value("min_projects_per_standard") == 2
    with pytest.raises(KeyError, match="no parameter 'nope'"):
        kb.value("nope")


def test_dated_versions_must_not_overlap_or_leave_a_gap_and_the_version_in_force_is_chosen_by_date(
    fixture_knowledge,
):
    kb = load_knowledge(fixture_knowledge)["cwi"]
    assert kb.value("min_experience_years", date(2025, 12, 31)) == 3
    assert kb.value("min_experience_years", date(2026, 1, 1)) == 2
    resolved = kb.resolve("min_experience_years", date(2026, 1, 1))
    assert resolved.version == "the version in force since 2026-01-01" and not resolved.uncertain
    assert [a.value for a in resolved.alternatives] == [3]

    _edit(
        fixture_knowledge / "cwi/rules.yaml",
        lambda d: d["rules"][0]["parameters"][0]["versions"][1].update(effective_from=date(2025, 12, 1)),
    )
    problems = validate_tree(fixture_knowledge)
    assert [p.message for p in problems] == ["versions 'before_2026' and 'from_2026' overlap"]
    _edit(
        fixture_knowledge / "cwi/rules.yaml",
        lambda d: d["rules"][0]["parameters"][0]["versions"][1].update(effective_from=date(2026, 2, 1)),
    )
    problems = validate_tree(fixture_knowledge)
    assert [p.message for p in problems] == ["there is a gap between versions 'before_2026' and 'from_2026'"]


def test_checks_naming_an_undefined_parameter_are_reported(fixture_knowledge):
    _edit(fixture_knowledge / "cwi/checks.yaml", lambda d: d["eligibility"][1].update(minimum="min_projectz"))
    problems = validate_tree(fixture_knowledge)
    assert [(p.file, p.message) for p in problems] == [
        ("cwi/checks.yaml", "names parameter 'min_projectz', which rules.yaml does not define")
    ]
    _edit(fixture_knowledge / "cwi/checks.yaml", lambda d: d["eligibility"][1].update(type="project_counts"))
    problems = validate_tree(fixture_knowledge)
    assert problems[0].file == "cwi/checks.yaml" and "project_counts" in problems[0].message


def test_a_source_nothing_cites_is_reported(fixture_knowledge):
    _edit(
        fixture_knowledge / "cwi/sources.yaml",
        lambda d: d["sources"].append({"key": "W9", "title": "A page nobody cites", "publisher": "Widget Guild"}),
    )
    problems = validate_tree(fixture_knowledge)
    assert [(p.file, p.path, p.message) for p in problems] == [
        ("cwi/sources.yaml", "sources[1]", "source W9 is never cited")
    ]
