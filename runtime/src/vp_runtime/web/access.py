"""Who may do what with a story, for every service that answers callers: the owner reads and
changes it; an administrator reads every story and lists everyone's, but changes none."""

from __future__ import annotations

from vp_runtime.web.auth import Principal


def can_read(principal: Principal, owner_id: str | None) -> bool:
    """``owner_id`` None: there is no such story (nobody may read it)."""
    return owner_id is not None and (owner_id == principal.user_id or principal.is_admin)


def can_change(principal: Principal, owner_id: str | None) -> bool:
    return owner_id is not None and owner_id == principal.user_id


def owner_filter(principal: Principal) -> str | None:
    """Whose rows a listing shows: the caller's own, or everyone's (None) to an admin."""
    return None if principal.is_admin else principal.user_id
