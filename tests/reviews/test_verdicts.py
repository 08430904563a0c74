"""Reviewer verdicts in the store: who may give them, what they must hold, how they follow a draft's
versions, the agreement figures staff read, and the export that training reads. Real analyses (the
shipped sentence model) on a real database."""

from __future__ import annotations

import pytest
import yaml

from app.accounts import Accounts, Principal
from app.config import Settings
from app.documents import read_text_input, segment
from app.knowledge.loader import load_knowledge
from app.mapping.service import analyze_documents
from app.reviews import agreement, cohen_kappa, draft_reviews
from app.reviews.export import export_reviews
from app.storage import Storage, StorageError
from app.storage.access import WorkspaceStore
from app.storage.database import AccessDenied
from tests.conftest import SHIPPED_KNOWLEDGE
from tests.mapping.test_sentence_engine import RETURNS

pytestmark = pytest.mark.slow

OPERATOR = Principal.operator()
ROLES = [("ann", "candidate"), ("ben", "candidate"), ("mia", "mentor"), ("max", "mentor"), ("sid", "staff")]
# the client is named, the attester is on the tracker: neither may leave in an export
NAMED = RETURNS.replace("The\noperations manager", "Dana Whitfield, the\noperations manager", 1)


@pytest.fixture(scope="module")
def analysis():
    settings = Settings(knowledge_dir=SHIPPED_KNOWLEDGE)
    return analyze_documents(settings, "cpt", [read_text_input(NAMED, "Returns")]).projects[0].model_dump(mode="json")


@pytest.fixture
def world(tmp_path, analysis):
    settings = Settings(data_dir=tmp_path, knowledge_dir=SHIPPED_KNOWLEDGE)
    storage = Storage(settings.database_path)
    accounts = Accounts(storage, settings)
    people = {}
    for name, role in ROLES:
        accounts.add(OPERATOR, name, role, f"{name}-long-password-1", name.title())
        people[name] = WorkspaceStore(storage, accounts.principal(accounts.sign_in(name, f"{name}-long-password-1")))
    accounts.assign(OPERATOR, "mia", "ann")
    ws = people["ann"].create_workspace("Ann — CPT 2027", "cpt")
    draft = people["ann"].create_draft(ws.id, "Returns", NAMED)
    people["ann"].save_version(draft.id, NAMED, analysis)
    people["ann"].replace_attestations(ws.id, [{"project": "Returns", "name": "Priya Ocampo", "relation": "client"}])
    engine = {s["id"]: s["status"] for s in analysis["standards"]}
    return {
        "storage": storage,
        "accounts": accounts,
        **people,
        "ws": ws,
        "draft": draft,
        "engine": engine,
        "kb": load_knowledge(SHIPPED_KNOWLEDGE)["cpt"],
    }


def test_only_an_assigned_mentor_and_staff_give_verdicts_never_the_candidate(world):
    d = world["draft"].id
    with pytest.raises(AccessDenied, match=r"can read .* but not give reviewer verdicts"):
        world["ann"].set_verdict(d, 1, "S3", "demonstrated")  # her own work
    with pytest.raises(AccessDenied, match=f"no draft with id {d}"):
        world["max"].set_verdict(d, 1, "S3", "demonstrated")  # a mentor not assigned to her
    with pytest.raises(AccessDenied, match=f"no draft with id {d}"):
        world["ben"].set_verdict(d, 1, "S3", "demonstrated")
    assert world["storage"].verdicts(d) == []
    mine = world["mia"].set_verdict(d, 1, "S8", world["engine"]["S8"], evidence="revised it twice")
    assert (mine.reviewer, mine.overrides) == ("Mia", False)
    staff = world["sid"].set_verdict(
        d,
        1,
        "S1",
        "missing" if world["engine"]["S1"] != "missing" else "partial",
        reason="no agreed target: the manager only asked for a course",
    )
    assert staff.overrides and staff.reviewer == "Sid"
    # the candidate sees both, signed
    assert {(v.standard_id, v.reviewer) for v in world["ann"].verdicts(d)} == {("S8", "Mia"), ("S1", "Sid")}
    with pytest.raises(AccessDenied):
        world["ann"].clear_verdict(d, 1, "S8")
    audit = [(e.actor, e.detail) for e in world["accounts"].audit.entries() if e.action == "reviewer verdict"]
    assert sorted(actor for actor, _ in audit) == ["mia", "sid"]
    assert all(NAMED[:40] not in detail for _, detail in audit)


def test_a_verdict_needs_a_reason_to_override_and_evidence_from_the_draft(world):
    d, mia, engine = world["draft"].id, world["mia"], world["engine"]
    other = "missing" if engine["S3"] != "missing" else "demonstrated"
    with pytest.raises(StorageError, match="a reason is needed to override"):
        mia.set_verdict(d, 1, "S3", other)
    with pytest.raises(StorageError, match="is not in version 1's text"):
        mia.set_verdict(d, 1, "S3", engine["S3"], evidence="we saved a million dollars")
    with pytest.raises(StorageError, match="unknown status 'great'"):
        mia.set_verdict(d, 1, "S3", "great")
    with pytest.raises(StorageError, match="has no version 2"):
        mia.set_verdict(d, 2, "S3", engine["S3"])
    with pytest.raises(StorageError, match="not checked for 'S11'"):
        mia.set_verdict(d, 1, "S11", "missing")
    # quoted across a line break and with quotation marks: the words are what must match
    verdict = mia.set_verdict(
        d, 1, "S3", engine["S3"], evidence="“Re-shipping costs were down by about $25,000 a month”"
    )
    assert verdict.evidence == "Re-shipping costs were down by about $25,000 a month"
    # two passages, one per line; each must be in the text
    two = "I went through 600 return slips\n\n  “the labels and the move cost $6,000 in total”"
    assert mia.set_verdict(d, 1, "S3", engine["S3"], evidence=two).evidence.splitlines() == [
        "I went through 600 return slips",
        "the labels and the move cost $6,000 in total",
    ]
    with pytest.raises(StorageError, match="one passage per line"):
        mia.set_verdict(d, 1, "S3", engine["S3"], evidence="I went through 600 return slips\nand then some")
    # a second verdict on the same version replaces the first
    mia.set_verdict(d, 1, "S3", other, reason="the saving is the manager's estimate, not measured")
    [only] = [v for v in mia.verdicts(d) if v.standard_id == "S3"]
    assert (only.status, only.engine_status, only.overrides) == (other, engine["S3"], True)


def test_on_a_new_version_old_verdicts_read_from_v1_and_stop_counting_until_looked_at_again(world, analysis):
    from app.mapping.models import ProjectResult

    d, mia, engine = world["draft"].id, world["mia"], world["engine"]
    other = "missing" if engine["S8"] != "missing" else "demonstrated"
    mia.set_verdict(d, 1, "S8", other, reason="four clerks for a week is too small a trial")
    world["ann"].save_version(d, NAMED + "\n\nMore detail.", analysis)
    result = ProjectResult.model_validate(analysis)
    reviews = draft_reviews(result, 2, mia.verdicts(d))
    s8 = reviews["S8"]
    assert (s8.current, s8.final.value, s8.label()) == (False, engine["S8"], f"{other} (Mia, from v1)")
    assert s8.disagrees
    mia.set_verdict(d, 2, "S8", other, reason="still too small")
    s8 = draft_reviews(result, 2, mia.verdicts(d))["S8"]
    assert (s8.current, s8.final.value, s8.label()) == (True, other, f"{other} (Mia)")
    assert reviews["S2"].verdict is None and reviews["S2"].label() == ""


def test_cohens_kappa_on_known_tables():
    # 10 pairs, 7 agree; engine: 5 D, 5 M; reviewer: 6 D, 4 M -> p_e = (5*6 + 5*4)/100 = 0.5
    pairs = [("demonstrated", "demonstrated")] * 4 + [("missing", "missing")] * 3
    pairs += [("demonstrated", "missing")] + [("missing", "demonstrated")] * 2
    assert cohen_kappa(pairs) == pytest.approx((0.7 - 0.5) / 0.5)
    assert cohen_kappa([("partial", "partial")] * 3) is None  # one status only: undefined, not 1
    assert cohen_kappa([]) is None
    assert cohen_kappa([("missing", "partial"), ("partial", "missing")]) == pytest.approx(-1.0)


def test_staff_see_agreement_per_standard_and_overall_over_what_they_may_read(world):
    d, mia, engine = world["draft"].id, world["mia"], world["engine"]
    flipped = {"demonstrated": "partial", "partial": "missing", "missing": "partial"}
    mia.set_verdict(d, 1, "S3", engine["S3"])
    mia.set_verdict(d, 1, "S8", engine["S8"])
    mia.set_verdict(d, 1, "S1", flipped[engine["S1"]], reason="no agreed target")
    ids = [s.id for s in world["kb"].standards]
    report = agreement(world["sid"], "cpt", ids)
    assert (report.workspaces, report.drafts, report.overall.n, report.overall.agreed) == (1, 1, 3, 2)
    by = {s.standard_id: s for s in report.standards}
    assert (by["S1"].n, by["S1"].agreed, by["S1"].overridden_to) == (1, 0, {flipped[engine["S1"]]: 1})
    assert by["S2"].n == 0 and by["S2"].kappa is None
    assert report.overall.confusion[engine["S1"]][flipped[engine["S1"]]] == 1
    # another candidate's view holds none of it; an unassigned mentor's neither
    assert agreement(world["ben"], "cpt", ids).overall.n == 0
    assert agreement(world["max"], "cpt", ids).overall.n == 0


def test_the_export_holds_only_consenting_workspaces_with_no_names_in_the_evaluation_format(world):
    from evaluation.independent_data import IndependentItem

    d, mia, engine = world["draft"].id, world["mia"], world["engine"]
    mia.set_verdict(
        d,
        1,
        "S3",
        "demonstrated",
        reason="saving measured against cost",
        evidence="Re-shipping costs were down by about $25,000 a month",
    )
    mia.set_verdict(d, 1, "S8", engine["S8"])
    mia.set_verdict(d, 1, "S4", "missing", reason="nothing about partners" if engine["S4"] != "missing" else "")
    kb = world["kb"]
    with pytest.raises(AccessDenied, match="staff"):
        export_reviews(world["mia"], kb)
    before = export_reviews(world["sid"], kb)
    assert (before.items, before.without_consent) == ([], 1)  # the owner has not allowed it
    with pytest.raises(AccessDenied):
        world["sid"].allow_training(world["ws"].id, True)  # staff cannot consent for her
    world["ann"].allow_training(world["ws"].id, True)
    exported = export_reviews(world["sid"], kb)
    assert len(exported.items) == 1
    assert (exported.workspaces, exported.verdicts, exported.left_out) == (1, 3, [])
    dumped = yaml.safe_dump(exported.items)
    for secret in ("Dana Whitfield", "Whitfield", "Priya", "Ann", "Returns", "Mia"):
        assert secret not in dumped, secret
    parsed = IndependentItem.model_validate(yaml.safe_load(dumped)[0])
    sentences = [s.text for s in segment(parsed.text).sentences]
    assert len(sentences) == len(parsed.sentences)
    s3 = [s for s, labels in zip(sentences, parsed.sentences, strict=True) if "S3" in labels]
    assert s3 == [
        "Re-shipping costs were down by about $25,000 a month, and the labels and the move cost $6,000 in "
        "total, so it paid for itself in the first week."
    ]
    assert parsed.judged == ["S3", "S4", "S8"]
    assert "S4" not in parsed.labels and parsed.labels["S3"] == "demonstrated"
    assert not any("S4" in labels for labels in parsed.sentences)
    if engine["S8"] != "missing":  # accepted without a span: the engine's own quotes carry it
        assert any("S8" in labels for labels in parsed.sentences)
    # a standard judged present with no passage given (and perhaps none quoted): the draft is still exported
    unquoted = "S9"
    mia.set_verdict(d, 1, unquoted, "partial", reason="only named", evidence=None)
    again = yaml.safe_load(yaml.safe_dump(export_reviews(world["sid"], kb).items))
    assert len(again) == 1 and unquoted in again[0]["judged"] and again[0]["labels"][unquoted] == "partial"
