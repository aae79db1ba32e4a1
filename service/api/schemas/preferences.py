"""A user's content settings: the opt-in to videos flagged sensitive."""
from __future__ import annotations

from pydantic import BaseModel, Field

from service.api.schemas.base import ResponseModel, with_examples


class ContentSettingsIn(BaseModel):
    model_config = with_examples({"show_sensitive": True}, strict=True)
    show_sensitive: bool = Field(description="true: the user opts in to videos flagged sensitive in their feed")


class ContentSettings(ResponseModel):
    model_config = with_examples({"user_id": "u1", "show_sensitive": False})
    user_id: str
    show_sensitive: bool
