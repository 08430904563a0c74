"""The sentence-level engine on passages a new user wrote (issue 19's three contradictions), on plans and
other people's work, and on paragraphs that do the work of several standards. Real model, real weights."""

from __future__ import annotations

import pytest

from app.config import Settings
from app.documents import read_text_input
from app.mapping.evidence import load_evidence_model
from app.mapping.models import Basis, Status
from app.mapping.service import analyze_documents, get_analyzer
from tests.conftest import FIXTURES, SHIPPED_KNOWLEDGE

pytestmark = pytest.mark.slow

# A new user's narrative (issue 19): a stated saving, a described test with revisions, a measured result.
RETURNS = """Our warehouse was re-shipping about 9% of online orders because the wrong size went out. The
operations manager wanted a refresher course for the packers. I asked her to wait two weeks while I looked
at the returns. I went through 600 return slips and watched the packing line for three shifts. Most wrong
sizes came from two shelves where the size labels were tiny and the bins were side by side.

I made big colour labels for the sizes and moved the look-alike bins apart. Before changing the whole floor,
I tested it with four clerks on one aisle for a week, and revised it twice: the first colours were hard to
tell apart under the lights, and the clerks asked for the size on both sides of the bin.

Three months after the change the re-ship rate was 3%, from 9% before. Re-shipping costs were down by about
$25,000 a month, and the labels and the move cost $6,000 in total, so it paid for itself in the first week."""

PLANNED = """I have been asked to improve how our call centre handles billing complaints. Next month I will
pull six months of call records and compare the repeat-call rate by team. After that we plan to pilot a new
script with two teams, and the evaluation is scheduled for the end of the year."""

OTHERS = """I joined the clinic as a coordinator in March. Before I arrived, the consultant had already
analysed a year of appointment data and found that 30% of no-shows were patients booked more than six weeks
out. She interviewed twelve receptionists and showed that reminder calls were made only on Mondays. I attended
her final presentation and received her report."""

DENSE = """The plant manager asked me for a forklift course; instead we agreed with him to target a 30% cut in
pallet damage within two quarters. I pulled a year of damage reports and found 412 damaged pallets, 70% of
them on the night shift. Watching three night shifts with the shift lead, I saw that the racking lights on
aisles 4 to 9 had been switched off to save power, and day-shift damage on the same aisles was a quarter of
the night rate. With the shift leads and the maintenance supervisor, I agreed a fix: lights back on, a
speed limit in the narrow aisles, and a weekly damage count posted by the door."""


@pytest.fixture(scope="module")
def cpt() -> Settings:
    return Settings(knowledge_dir=SHIPPED_KNOWLEDGE)


def results(settings: Settings, text: str) -> dict:
    project = analyze_documents(settings, "cpt", [read_text_input(text, "draft")]).projects[0]
    return {r.id: r for r in project.standards}


def test_cpt_is_judged_by_the_sentence_model_and_a_program_without_one_by_the_passage_model(cpt):
    assert get_analyzer(cpt, "cpt").evidence is not None
    assert get_analyzer(Settings(knowledge_dir=FIXTURES / "knowledge"), "cwi").evidence is None


def test_a_stated_saving_against_its_cost_adds_value(cpt):
    s3 = results(cpt, RETURNS)["S3"]
    assert s3.status is Status.demonstrated, s3
    assert any("$25,000" in e.text for e in s3.evidence)


def test_a_test_with_four_clerks_and_two_revisions_is_a_feasibility_check(cpt):
    s8 = results(cpt, RETURNS)["S8"]
    assert s8.status is Status.demonstrated, s8
    assert any("four clerks" in e.text for e in s8.evidence)


def test_a_measured_result_is_an_evaluation_and_nothing_quoted_is_called_not_described(cpt):
    found = results(cpt, RETURNS)
    assert found["S10"].status is Status.demonstrated
    for result in found.values():
        if result.evidence:
            assert "not described" not in (result.suggestion or ""), result
            assert "Nothing in this project" not in (result.suggestion or ""), result


def test_planned_work_is_not_demonstrated_and_says_so(cpt):
    found = results(cpt, PLANNED)
    assert Status.demonstrated not in {r.status for r in found.values()}
    planned = [r for r in found.values() if r.basis is Basis.planned]
    assert planned, {k: (r.status, r.basis) for k, r in found.items()}
    assert all("not reported as done" in r.suggestion for r in planned)


def test_someone_elses_analysis_is_not_the_authors_evidence(cpt):
    found = results(cpt, OTHERS)
    assert found["S5"].status is not Status.demonstrated and found["S6"].status is not Status.demonstrated
    others = [r for r in found.values() if r.basis is Basis.others]
    assert others, {k: (r.status, r.basis) for k, r in found.items()}
    assert all("someone else's" in r.suggestion for r in others)


def test_one_paragraph_doing_several_standards_work_is_credited_with_each(cpt):
    found = results(cpt, DENSE)
    demonstrated = {k for k, r in found.items() if r.status is Status.demonstrated}
    # the agreed target (S1) and the sized gap (S5) are each demonstrated; the cause checked against the day
    # shift (S6) is read as at least some work described, not as missing
    assert {"S1", "S5"} <= demonstrated, {k: r.status.value for k, r in found.items()}
    assert found["S6"].status is not Status.missing
    assert found["S10"].status is not Status.demonstrated  # nothing was measured after the change


@pytest.mark.xfail(
    strict=True,
    reason="known miss since issue 19's data round (the model re-trained on 1,051 texts): the cause checked "
    "against the day shift scores just under 0.80 for S6 (partial, thin); the model before read it as demonstrated",
)
def test_the_cause_checked_against_the_day_shift_in_a_dense_paragraph_is_demonstrated(cpt):
    assert results(cpt, DENSE)["S6"].status is Status.demonstrated


@pytest.mark.xfail(
    strict=True,
    reason="known miss since the model was retrained with the third development round (A3-*): the agreed fix "
    "(lights, speed limit, a weekly damage count) scores about 0.44 for S7 with the three members, under their "
    "0.45 partial threshold (one member: 0.41 under 0.50); the model before that round read S7 as partial",
)
def test_the_agreed_fix_in_a_dense_paragraph_is_read_as_some_solution_design(cpt):
    assert results(cpt, DENSE)["S7"].status is not Status.missing


def test_weights_that_are_not_the_trained_ones_are_refused(tmp_path, embedder):
    from app.mapping.evidence import EVIDENCE_DIR, EvidenceModelError

    (tmp_path / "cpt.json").write_text((EVIDENCE_DIR / "cpt.json").read_text())
    (tmp_path / "cpt.npz").write_bytes(b"not the weights")
    with pytest.raises(EvidenceModelError, match="not the one"):
        load_evidence_model("cpt", embedder, tmp_path)
    assert load_evidence_model("nope", embedder, tmp_path) is None
