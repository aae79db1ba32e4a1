"""Analysis workers under the real server: a killed worker fails only its request, a hung one is replaced."""
from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from service.errors import WorkerError
from tests.helpers import SAMPLE_MEDIA
from tests.helpers.api import AUTH, clip_bytes, form_fields, wait_ready


def test_killed_worker_fails_only_its_request(app, http):
    wait_ready(app, 2)
    body = clip_bytes("phone_review")
    killed = False
    for _attempt in range(5):
        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(http.post, "/videos", files={"file": ("x.mp4", body)}, headers=AUTH)
            while not future.done():
                pids = app.state.pool.busy_pids()
                if pids:
                    os.kill(pids[0], signal.SIGKILL)
                    killed = True
                    break
                time.sleep(0.002)
            r = future.result()
        if killed:
            break
        http.delete(f"/videos/{r.json()['id']}", headers=AUTH)  # finished before we caught it: try again
    assert killed, "never caught the worker mid-job"
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "decoder_crashed"
    assert http.get("/healthz").status_code == 200
    ok = http.post("/videos", files={"file": ("x.mp4", body)}, data=form_fields("phone_review"), headers=AUTH)
    assert ok.status_code == 201, ok.text


def test_hung_job_times_out_and_worker_is_replaced(app):
    wait_ready(app, 2)
    restarts = app.state.pool.restarts
    with pytest.raises(WorkerError) as info:
        app.state.pool.run(SAMPLE_MEDIA / "gym_workout.mp4", {}, "0" * 64, timeout_s=0.001)
    assert info.value.code == "timeout"
    assert info.value.http_status == 504
    assert app.state.pool.restarts == restarts + 1
    wait_ready(app, 2)
    record = app.state.pool.run(SAMPLE_MEDIA / "gym_workout.mp4", {"title": "gym"}, "1" * 64)
    assert record.id == "1" * 64
    assert record.title == "gym"
