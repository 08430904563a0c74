"""Accounts, roles, sign-in and the audit log (organization mode)."""

from app.accounts.audit import Action, AuditLog
from app.accounts.models import Account, AccountRole, AuditEntry, Principal
from app.accounts.service import AccountError, Accounts, SignInError

__all__ = [
    "Account",
    "AccountError",
    "AccountRole",
    "Accounts",
    "Action",
    "AuditEntry",
    "AuditLog",
    "Principal",
    "SignInError",
]
