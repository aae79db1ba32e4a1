"""Large JSON answers (feeds, similar videos, search hits) serialised by orjson, without building response models.

Those routes declare their model as `response_model` (so the OpenAPI document describes the body) and return a
`FastJSON` directly, which FastAPI passes through untouched: no pydantic validation of a list of items, one C
serialisation pass. The API tests validate these bodies against the same models (tests/service/api/test_explain.py).
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import Query
from fastapi.responses import JSONResponse

Explain = Annotated[Literal["false", "brief", "full"], Query(
    description="per-item explanation: `brief` (default) why the item is there and what added most to its score; "
                "`full` every modality's contribution, matched tags, signals and exposure stage (costs more); "
                "`false` none")]


class FastJSON(JSONResponse):
    """A JSON answer rendered by orjson (numpy scalars and arrays included)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
