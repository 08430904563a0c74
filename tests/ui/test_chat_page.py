"""Chat page: a streamed answer with its sources, feedback stored with the message, history kept."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.ui.conftest import errors, page


def stored_cite(link: str) -> dict[str, str]:
    """The query of the markdown link '[…](knowledge?cite=…&ws=…&role=…)'."""
    query = urlsplit(link[link.index("](") + 2 : -1]).query
    return {k: v[0] for k, v in parse_qs(query).items()}


pytestmark = pytest.mark.slow


def test_question_gets_a_cited_answer_feedback_and_survives_a_new_session(ui_settings, db):
    at = page("chat")
    assert errors(at) == []
    at.chat_input[0].set_value("What does standard 6 expect?").run()
    assert errors(at) == []
    user, assistant = at.chat_message
    assert user.markdown[0].value == "What does standard 6 expect?"
    assert "cause" in assistant.markdown[0].value.lower()
    labels = [e.label for e in assistant.expander]
    assert labels[0].startswith("[1] ") and any("Determine Cause" in label for label in labels)
    caption = assistant.expander[0].caption[0].value
    assert caption.startswith("Sources: ") and "(I" in caption, "source names, the key second"
    [link] = [m.value for m in assistant.expander[0].markdown if "Knowledge browser" in m.value]
    knowledge = page("knowledge", **stored_cite(link))  # the citation opens the browser at the cited entry
    assert errors(knowledge) == []
    assert any(m.value.startswith("**Cited passage: ") for m in knowledge.markdown)
    assert any("<mark " in h.proto.body for h in knowledge.get("html"))

    ws = db.workspaces()[0]
    conversation = db.conversations(ws.id)[0]
    stored = db.messages(conversation.id)
    assert [m.speaker for m in stored] == ["user", "assistant"]
    assert stored[1].meta["chunk_ids"] and stored[1].meta["chunk_ids"][0] == stored[1].meta["citations"][0]["id"]

    at.feedback[0].set_value(0).run()  # thumbs down
    assert db.messages(conversation.id)[1].feedback == 0

    again = page("chat", ws=ws.id)  # a new browser session: the conversation comes back from the database
    assert [m.name for m in again.chat_message] == ["user", "assistant"]
    assert again.feedback[0].value == 0

    again.button(key="new-conversation").click().run()
    assert len(again.chat_message) == 0
    assert len(db.conversations(ws.id)) == 2


def test_script_in_a_question_is_shown_as_text(ui_settings):
    at = page("chat")
    at.chat_input[0].set_value("<script>alert('x')</script> what is the code of ethics?").run()
    assert errors(at) == []
    shown = at.chat_message[-2].markdown[0].value
    assert shown.startswith("\\<script\\>alert('x')\\</script\\>")


@pytest.mark.parametrize("program", ["cpo", "cpt"])
def test_the_page_speaks_of_the_workspace_program_and_its_examples_get_answers(ui_settings, db, program):
    from app.ui import resources

    ws = db.create_workspace(f"{program} examples", program)
    at = page("chat", ws=ws.id)
    assert errors(at) == []
    caption = at.caption[0].value
    kb = resources.knowledge()[program]
    assert kb.program.short_name in caption
    assert ("standards" in caption) is bool(kb.standards)  # no talk of standards or narratives for the CPO
    [tip] = [i.value for i in at.info if i.value.startswith("Try:")]
    examples = kb.program.example_questions
    assert examples and all(q in tip for q in examples)
    other = next(k for k in resources.knowledge() if k != program)
    assert not any(q in tip for q in resources.knowledge()[other].program.example_questions)
    assistant = resources.assistant()
    for question in examples:
        reply = assistant.respond(question, assistant.new_session(program))
        assert reply.citations, question  # every example has a grounded answer
