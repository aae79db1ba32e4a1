"""`POST /videos` holds the limits on what is decoded, as the batch path does (they share the analyzer): a file
that declares no duration is measured, not decoded to its end; a picture too thin is refused before decoding."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers.api import upload
from tests.helpers.clips import write_clip
from tests.helpers.hostile import write_mkv_without_duration


def _long_mkv(path):
    return write_mkv_without_duration(path, seconds=700, fps=1)  # the server's limit is 600 s


def _thin(path):
    write_clip(path, [(i / 5, np.full((16, 3840, 3), 90, np.uint8)) for i in range(5)], size=(16, 3840))
    return path


@pytest.mark.parametrize("make, name, code", [(_long_mkv, "long.mkv", "too_long"),
                                              (_thin, "thin.mp4", "extreme_aspect_ratio")])
def test_uploads_over_the_decoded_limits_are_refused(client, tmp_path, make, name, code):
    r = upload(client, "pasta_recipe", data=make(tmp_path / name).read_bytes(), fields={})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code
