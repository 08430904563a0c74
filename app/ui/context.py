"""The sidebar every page shares: which workspace, which program, which role.

The workspace and the role are kept in the URL (``?ws=&role=``) so a reload, a bookmark, the back button
or a server restart lands on the same saved work, and in the browser session, because a page change in
the sidebar clears the URL's query: a mentor moving from page to page stays with the same applicant.
With neither, the most recently used workspace opens.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from app.chat.models import Role
from app.config import Settings
from app.storage import Storage, StorageError, Workspace
from app.ui import resources

DEFAULT_WORKSPACE = "My application"


@dataclass
class Context:
    settings: Settings
    storage: Storage
    knowledge: dict
    workspace: Workspace
    role: Role

    @property
    def program(self) -> str:
        return self.workspace.program

    @property
    def kb(self):
        return self.knowledge[self.program]


def remembered(name: str) -> str | None:
    """This session's value, else the URL's (a reload, a bookmark or a link opens a new session).

    The session comes first: every change in it goes through ``remember``, while the query string a
    browser sends with a rerun can be older than the last change (a click racing a page change) or
    empty (a page change clears it)."""
    value = st.session_state.get(f"active-{name}")
    if value:
        return value
    value = st.query_params.get(name)
    if value:
        st.session_state[f"active-{name}"] = value
    return value


def remember(name: str, value: str) -> None:
    st.session_state[f"active-{name}"] = value
    if st.query_params.get(name) != value:
        st.query_params[name] = value


def _current_workspace(settings: Settings, storage: Storage, knowledge: dict) -> Workspace:
    workspaces = storage.workspaces()
    wanted = remembered("ws")
    for ws in workspaces:
        if wanted and str(ws.id) == wanted:
            return ws
    if workspaces:
        return workspaces[0]
    program = settings.default_program if settings.default_program in knowledge else next(iter(sorted(knowledge)))
    return storage.create_workspace(DEFAULT_WORKSPACE, program)


def _new_workspace(storage: Storage, knowledge: dict) -> None:
    # a popover stays open across reruns; a new key after each creation draws it closed
    generation = st.session_state.setdefault("new-workspace-generation", 0)
    with (
        st.popover("New workspace", width="stretch", key=f"new-workspace-{generation}"),
        st.form("new-workspace", clear_on_submit=True, border=False),
    ):
        name = st.text_input("Name", placeholder="e.g. Sam Rivera — CPT 2027", key="new-workspace-name")
        program = st.selectbox("Program", sorted(knowledge), format_func=lambda p: knowledge[p].program.short_name)
        if st.form_submit_button("Create"):
            try:
                created = storage.create_workspace(name, program)
            except StorageError as exc:
                st.error(str(exc))
            else:
                remember("ws", str(created.id))
                st.session_state["new-workspace-generation"] = generation + 1
                st.rerun()


def _pick_workspace() -> None:
    remember("ws", str(st.session_state["workspace-choice"]))


def _pick_role() -> None:
    remember("role", st.session_state["role-choice"])


def sidebar() -> Context:
    """Draw the shared sidebar and return what the page needs."""
    settings = resources.settings()
    storage = resources.storage()
    knowledge = resources.knowledge()
    workspace = _current_workspace(settings, storage, knowledge)
    remember("ws", str(workspace.id))
    roles = [r.value for r in Role]
    # this session's role; in a new session (a reload) the role last used in this workspace, since the
    # back button can land on a page whose URL still carries an older role; the URL's only for a first visit
    last_role = storage.get_setting(workspace.id, "last-role")
    wanted_role = st.session_state.get("active-role") or last_role or remembered("role")
    role = wanted_role if wanted_role in roles else Role.candidate.value
    remember("role", role)
    if last_role != role:
        storage.set_setting(workspace.id, "last-role", role)
    # widget state is dropped on a page change: set it from what is remembered before drawing the widget
    st.session_state["workspace-choice"] = workspace.id
    st.session_state["role-choice"] = role
    with st.sidebar:
        workspaces = storage.workspaces()
        names = {w.id: w.name for w in workspaces}
        st.selectbox(
            "Workspace",
            list(names),
            format_func=lambda i: names[i],
            key="workspace-choice",
            on_change=_pick_workspace,
            help="Each workspace holds one applicant's drafts, checks, comments and conversations.",
        )
        _new_workspace(storage, knowledge)
        programs = sorted(knowledge)
        program = st.selectbox(
            "Program",
            programs,
            index=programs.index(workspace.program) if workspace.program in programs else 0,
            format_func=lambda p: f"{knowledge[p].program.short_name} — {knowledge[p].program.name}",
            key=f"program-{workspace.id}",
        )
        if program != workspace.program:
            storage.set_workspace_program(workspace.id, program)
            workspace = storage.workspace(workspace.id)
        st.radio(
            "I am a",
            roles,
            horizontal=True,
            key="role-choice",
            on_change=_pick_role,
            help="Changes how the assistant answers: coaching for candidates, review for mentors, rule and "
            "source for staff.",
        )
        st.caption("Everything stays on this computer. No telemetry.")
    return Context(settings, storage, knowledge, workspace, Role(role))
