"""Chat: ask about standards, ethics and eligibility; every answer shows its sources."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import streamlit as st

from app.chat.models import Session
from app.index.store import StoreUnavailableError
from app.knowledge.locate import source_names
from app.storage import Conversation, Message
from app.ui import resources
from app.ui.context import Context, sidebar
from app.ui.render import literal


def _conversation(ctx: Context) -> Conversation:
    key = f"conversation-{ctx.workspace.id}"
    if key in st.session_state:
        try:
            return ctx.store.conversation(st.session_state[key])
        except ValueError:
            del st.session_state[key]
    existing = ctx.store.conversations(ctx.workspace.id)
    conversation = existing[0] if existing else ctx.store.create_conversation(ctx.workspace.id, ctx.program, ctx.role)
    st.session_state[key] = conversation.id
    return conversation


def _session(ctx: Context, conversation: Conversation) -> Session:
    """The assistant's memory of this conversation, restored from the database."""
    saved = conversation.facts.get("session")
    session = Session.model_validate(saved) if saved else resources.assistant().new_session(ctx.program, ctx.role)
    session.program, session.role = ctx.program, ctx.role
    session.max_turns = ctx.settings.chat_history_turns
    return session


def _citations(ctx: Context, message: Message) -> None:
    kb = ctx.knowledge.get(message.meta.get("program") or ctx.program, ctx.kb)
    for n, cite in enumerate(message.meta.get("citations", []), 1):
        flag = " · uncertain: check the current handbook" if cite.get("confidence") == "uncertain" else ""
        with st.expander(f"[{n}] {cite.get('title')}{flag}"):
            st.markdown(literal(cite.get("text", "")))
            st.caption(
                f"Sources: {source_names(kb, cite.get('source') or '')} · {cite.get('confidence')}"
                + (f" · {cite.get('note')}" if cite.get("note") else "")
            )
            link = urlencode({"cite": cite.get("id", ""), "ws": ctx.workspace.id, "role": ctx.role.value})
            st.markdown(f"[:material/menu_book: Open in the Knowledge browser](knowledge?{link})")


def _save_feedback(ctx: Context, message_id: int) -> None:
    value = st.session_state.get(f"feedback-{message_id}")
    ctx.store.set_feedback(message_id, None if value is None else value == 1)


def _show(ctx: Context, message: Message) -> None:
    with st.chat_message(message.speaker):
        st.markdown(literal(message.text))
        for notice in message.meta.get("notices", []):
            st.caption(notice)
        if message.speaker == "assistant":
            _citations(ctx, message)
            if message.meta.get("citations"):
                st.feedback(
                    "thumbs",
                    key=f"feedback-{message.id}",
                    default=message.feedback,
                    on_change=_save_feedback,
                    args=(ctx, message.id),
                )


def _wait_until_ready() -> None:
    """Progress in words while the model and index finish loading (only right after the server starts)."""
    resources.start_warmup()
    state = resources.warm_state()
    if state.ready or state.error:
        return
    with st.status(f"Getting ready: {state.step}…") as status:
        while not (state.ready or state.error):
            time.sleep(0.25)
            state = resources.warm_state()
            status.update(label=f"Getting ready: {state.step}…")
        status.update(label="Ready.", state="complete", expanded=False)


def _answer(ctx: Context, conversation: Conversation, question: str) -> None:
    _wait_until_ready()
    assistant = resources.assistant()
    for notice in assistant.retriever.notices:
        st.warning(notice)
    session = _session(ctx, conversation)
    user = ctx.store.add_message(conversation.id, "user", question)
    _show(ctx, user)
    with st.chat_message("assistant"):
        placeholder = st.empty()
        placeholder.markdown("*Looking this up…*")
        shown, reply = "", None
        for event in assistant.stream(question, session):
            if event.kind == "token":
                shown += event.text
                placeholder.markdown(literal(shown) + " ▌")
            elif event.kind == "replace":
                shown = event.text
                placeholder.markdown(literal(shown))
            elif event.kind == "done":
                reply = event.reply
        placeholder.empty()
    assert reply is not None
    meta = {
        "citations": [c.model_dump() for c in reply.citations],
        "chunk_ids": [c.id for c in reply.citations],
        "intent": reply.intent.value,
        "confidence": reply.confidence,
        "notices": reply.notices,
        "program": reply.program,
        "role": reply.role.value,
        "used_llm": reply.used_llm,
    }
    ctx.store.add_message(conversation.id, "assistant", reply.text, meta)
    ctx.store.update_conversation(
        conversation.id,
        program=session.program,
        role=session.role.value,
        facts={"session": session.model_dump(mode="json")},
    )
    st.rerun()


def _what_i_know(ctx: Context) -> str:
    """The page's promise, in the program's own terms: only a program with standards takes narratives."""
    kb = ctx.kb
    parts = [
        "its standards" if kb.standards else "",
        "its code of ethics" if kb.ethics else "",
        "its exam" if kb.exam else "",
        "its eligibility rules" if kb.rules else "",
    ]
    known = [p for p in parts if p]
    listed = ", ".join(known[:-1]) + (" and " if len(known) > 1 else "") + known[-1] if known else "its rules"
    text = f"Questions about the {kb.program.short_name} ({kb.program.body}): {listed}, each answer with its sources."
    if kb.standards:
        text += " Paste a project paragraph to check it against the standards."
    else:
        text += " Tell me your hours, degree or dates and I will check them against the rules."
    return text


def page() -> None:
    ctx = sidebar()
    st.title("Ask certprep")
    st.caption(_what_i_know(ctx))
    conversation = _conversation(ctx)
    if st.sidebar.button("New conversation", icon=":material/add:", width="stretch", key="new-conversation"):
        created = ctx.store.create_conversation(ctx.workspace.id, ctx.program, ctx.role)
        st.session_state[f"conversation-{ctx.workspace.id}"] = created.id
        st.rerun()
    messages = ctx.store.messages(conversation.id)
    if not messages and ctx.kb.program.example_questions:
        st.info("Try: " + " · ".join(f"*{literal(q)}*" for q in ctx.kb.program.example_questions))
    for message in messages:
        _show(ctx, message)
    question = st.chat_input(f"Ask about the {ctx.kb.program.short_name}…", max_chars=4000)
    if question and question.strip():
        try:
            _answer(ctx, conversation, question)
        except (ValueError, StoreUnavailableError) as exc:  # a bad question, or the index server is down
            st.error(str(exc))


page()
