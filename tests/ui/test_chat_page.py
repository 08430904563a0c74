"""Chat page: a streamed answer with its sources, feedback stored with the message, history kept."""

from __future__ import annotations

import pytest

from tests.ui.conftest import errors, page

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
    assert "source " in assistant.expander[0].caption[0].value

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
