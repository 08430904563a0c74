"""The store's errors: one base class, so every front end (pages, CLI, API) can turn any of them into a message."""

from __future__ import annotations


class StorageError(ValueError):
    """A request the store refuses (unknown id, duplicate name, text too long); the message says which."""


class AccessDenied(StorageError):
    """The signed-in user may not do this. For something they may not even see, the message is the one a
    missing id gets, so that a refusal does not reveal what exists."""


class StorageUnavailable(StorageError):
    """The database cannot be reached (a server down, a file locked for too long). Nothing was written by the
    call that raised it; the user can try again."""
