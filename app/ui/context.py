"""The sidebar every page shares: who is signed in, which workspace, which program, which answer style.

The workspace and the role are kept in the URL (``?ws=&role=``) so a reload, a bookmark, the back button
or a server restart lands on the same saved work, and in the browser session, because a page change in
the sidebar clears the URL's query: a mentor moving from page to page stays with the same applicant.
With neither, the most recently used workspace opens. What a user may open is decided by the
``WorkspaceStore`` (``app.storage.access``), not here: the sidebar only lists what the store returns, and
a ``?ws=`` the user may not read is refused by the store like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from app.accounts import AccountRole, Principal
from app.chat.models import Role
from app.config import Settings
from app.storage import StorageError, Workspace
from app.storage.access import Permission, WorkspaceStore
from app.ui import auth, resources

DEFAULT_WORKSPACE = "My application"


@dataclass
class Context:
    settings: Settings
    store: WorkspaceStore
    knowledge: dict
    workspace: Workspace
    role: Role  # the answer style

    @property
    def principal(self) -> Principal:
        return self.store.principal

    @property
    def can_edit(self) -> bool:
        return self.store.can(Permission.edit, self.workspace)

    @property
    def can_review(self) -> bool:
        return self.store.can(Permission.review, self.workspace)

    @property
    def can_give_verdicts(self) -> bool:
        return self.store.can(Permission.verdict, self.workspace)

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
    st.query_params[name] = value  # always: after a page change the browser's query can be empty


def _current_workspace(settings: Settings, store: WorkspaceStore, knowledge: dict) -> Workspace:
    workspaces = store.workspaces()
    wanted = remembered("ws")
    if wanted and wanted.isdigit():
        try:
            workspace = store.workspace(int(wanted))
        except StorageError:
            st.session_state["workspace-problem"] = f"Workspace {wanted} does not exist or is not yours to open."
        else:
            return workspace
    own = [w for w in workspaces if w.owner_id == store.principal.user_id]
    if own or (workspaces and store.principal.personal):
        return (own or workspaces)[0]
    program = settings.default_program if settings.default_program in knowledge else next(iter(sorted(knowledge)))
    candidate = store.principal.personal or store.principal.role is AccountRole.candidate
    return store.create_workspace(DEFAULT_WORKSPACE if candidate else "My workspace", program)


def _new_workspace(store: WorkspaceStore, knowledge: dict) -> None:
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
                created = store.create_workspace(name, program)
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


def _role(store: WorkspaceStore, workspace: Workspace) -> str:
    """Personal mode: the role chosen (this session's, else the one last used in the workspace, since the
    back button can land on a page whose URL still carries an older role; the URL's only for a first visit).
    Organization mode: the account's; staff may preview another role's answers."""
    roles = [r.value for r in Role]
    principal = store.principal
    if not principal.personal and principal.role is not AccountRole.staff:
        return principal.role.answer_style.value
    last_role = store.get_setting(workspace.id, "last-role") if principal.personal else None
    wanted_role = st.session_state.get("active-role") or last_role or remembered("role")
    default = Role.candidate.value if principal.personal else Role.staff.value
    role = wanted_role if wanted_role in roles else default
    if principal.personal and last_role != role:
        store.set_setting(workspace.id, "last-role", role)
    return role


def owner_labels(store: WorkspaceStore, workspaces: list[Workspace]) -> dict[int, str]:
    """Workspace id -> its name, with its owner's name when it is someone else's."""
    if store.principal.personal:
        return {w.id: w.name for w in workspaces}
    people = auth.accounts().display_names()
    mine = store.principal.user_id
    return {
        w.id: w.name if w.owner_id == mine else f"{w.name} — {people.get(w.owner_id, 'no owner')}" for w in workspaces
    }


def sidebar() -> Context:
    """Draw the shared sidebar and return what the page needs."""
    settings = resources.settings()
    knowledge = resources.knowledge()
    principal = auth.require_sign_in() if auth.organization() else Principal.local()
    store = WorkspaceStore(resources.storage(), principal)
    workspace = _current_workspace(settings, store, knowledge)
    remember("ws", str(workspace.id))
    if st.session_state.get("opened-workspace") != workspace.id:
        store.open(workspace.id)  # recorded once per opening, not on every click
        st.session_state["opened-workspace"] = workspace.id
    role = _role(store, workspace)
    remember("role", role)
    # widget state is dropped on a page change: set it from what is remembered before drawing the widget
    st.session_state["workspace-choice"] = workspace.id
    st.session_state["role-choice"] = role
    editable = store.can(Permission.edit, workspace)
    with st.sidebar:
        if not principal.personal:
            st.markdown(f"**{principal.display_name}** · {principal.role.value}")
            auth.sign_out_link()
        problem = st.session_state.pop("workspace-problem", None)
        if problem:
            st.warning(problem)
        names = owner_labels(store, store.workspaces())
        st.selectbox(
            "Workspace",
            list(names),
            format_func=lambda i: names[i],
            key="workspace-choice",
            on_change=_pick_workspace,
            help="Each workspace holds one applicant's drafts, checks, comments and conversations.",
        )
        _new_workspace(store, knowledge)
        programs = sorted(knowledge)
        program = st.selectbox(
            "Program",
            programs,
            index=programs.index(workspace.program) if workspace.program in programs else 0,
            format_func=lambda p: f"{knowledge[p].program.short_name} — {knowledge[p].program.name}",
            key=f"program-{workspace.id}",
            disabled=not editable,
        )
        if program != workspace.program and editable:
            store.set_workspace_program(workspace.id, program)
            workspace = store.workspace(workspace.id)
        if principal.personal or principal.role is AccountRole.staff:
            st.radio(
                "I am a" if principal.personal else "Preview answers as",
                [r.value for r in Role],
                horizontal=True,
                key="role-choice",
                on_change=_pick_role,
                help="Changes how the assistant answers: coaching for candidates, review for mentors, rule and "
                "source for staff.",
            )
        if not editable:
            st.caption("You can read this workspace; only its owner changes it.")
        st.caption(
            "Everything stays on this computer. No telemetry."
            if principal.personal
            else "Everything stays on this organization's server. No telemetry."
        )
    return Context(settings, store, knowledge, workspace, Role(role))
