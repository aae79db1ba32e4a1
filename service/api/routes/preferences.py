"""Users' content settings: the opt-in to videos flagged sensitive (kept out of feeds otherwise)."""
from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import RequireUserAccess, StoreDep, UserId
from service.api.schemas import ContentSettings, ContentSettingsIn, error_responses

router = APIRouter(tags=["users"])


@router.put("/users/{user_id}/content-settings", dependencies=[RequireUserAccess],
            responses=error_responses(401, 403, 413, 422))
def put_content_settings(user_id: UserId, body: ContentSettingsIn, store: StoreDep) -> ContentSettings:
    """Opt a user in to (or out of) videos flagged sensitive in their feed; without an opt-in they are left out
    (setting REELSENSE_SAFETY_FILTER_FEEDS)."""
    store.set_show_sensitive(user_id, body.show_sensitive)
    return ContentSettings(user_id=user_id, show_sensitive=body.show_sensitive)


@router.get("/users/{user_id}/content-settings", dependencies=[RequireUserAccess],
            responses=error_responses(401, 403, 422))
def get_content_settings(user_id: UserId, store: StoreDep) -> ContentSettings:
    """Whether the user opted in to videos flagged sensitive (false unless they did)."""
    return ContentSettings(user_id=user_id, show_sensitive=store.shows_sensitive(user_id))
