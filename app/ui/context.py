"""The sidebar every page shares: which workspace, which program, which role.

The workspace is kept in the URL (``?ws=``) so a reload, a bookmark or a server restart lands on the
same saved work; with no ``ws`` the most recently used workspace opens.
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


def _current_workspace(settings: Settings, storage: Storage, knowledge: dict) -> Workspace:
    workspaces = storage.workspaces()
    wanted = st.query_params.get("ws")
    for ws in workspaces:
        if wanted and str(ws.id) == wanted:
            return ws
    if workspaces:
        return workspaces[0]
    program = settings.default_program if settings.default_program in knowledge else next(iter(sorted(knowledge)))
    return storage.create_workspace(DEFAULT_WORKSPACE, program)


def _new_workspace(storage: Storage, knowledge: dict) -> None:
    with st.popover("New workspace", width="stretch"), st.form("new-workspace", clear_on_submit=True, border=False):
        name = st.text_input("Name", placeholder="e.g. Sam Rivera — CPT 2027", key="new-workspace-name")
        program = st.selectbox("Program", sorted(knowledge), format_func=lambda p: knowledge[p].program.short_name)
        if st.form_submit_button("Create"):
            try:
                created = storage.create_workspace(name, program)
            except StorageError as exc:
                st.error(str(exc))
            else:
                st.query_params["ws"] = str(created.id)
                st.rerun()


def sidebar() -> Context:
    """Draw the shared sidebar and return what the page needs."""
    settings = resources.settings()
    storage = resources.storage()
    knowledge = resources.knowledge()
    workspace = _current_workspace(settings, storage, knowledge)
    if st.query_params.get("ws") != str(workspace.id):
        st.query_params["ws"] = str(workspace.id)
    with st.sidebar:
        workspaces = storage.workspaces()
        ids = [w.id for w in workspaces]
        chosen = st.selectbox(
            "Workspace",
            ids,
            index=ids.index(workspace.id),
            format_func=lambda i: next(w.name for w in workspaces if w.id == i),
            help="Each workspace holds one applicant's drafts, checks, comments and conversations.",
        )
        if chosen != workspace.id:
            st.query_params["ws"] = str(chosen)
            st.rerun()
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
        roles = [r.value for r in Role]
        wanted_role = st.query_params.get("role", Role.candidate.value)
        role = st.radio(
            "I am a",
            roles,
            index=roles.index(wanted_role) if wanted_role in roles else 0,
            horizontal=True,
            key="role",
            help="Changes how the assistant answers: coaching for candidates, review for mentors, rule and "
            "source for staff.",
        )
        if st.query_params.get("role") != role:
            st.query_params["role"] = role
        st.caption("Everything stays on this computer. No telemetry.")
    return Context(settings, storage, knowledge, workspace, Role(role))
