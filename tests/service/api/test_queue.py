"""Reads never wait for uploads: with every worker stuck and more uploads waiting than the request thread pool
has threads (40), reads still answer, and an upload past the queue is refused at once with 503 + Retry-After."""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.helpers.api import ANALYSIS_QUEUE, AUTH, UNKNOWN_VIDEO, wait_ready


def sniffable_garbage(n: int) -> bytes:
    """Bytes that pass the upload's container sniffing (an MP4 `ftyp` box) but do not decode; distinct per n."""
    return b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + n.to_bytes(4, "big") + os.urandom(4096)


def post_upload(base: str, n: int) -> httpx.Response:
    with httpx.Client(base_url=base, timeout=180) as http:
        return http.post("/videos", files={"file": ("x.mp4", sniffable_garbage(n))}, headers=AUTH)


def the_workers() -> list[mp.process.BaseProcess]:
    return [p for p in mp.active_children() if p.name == "reelsense-worker"]


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.05)


def test_reads_answer_while_uploads_wait_and_a_full_queue_answers_503(server):
    app, base = server
    wait_ready(app, 2)
    capacity = app.state.pool.size + ANALYSIS_QUEUE
    workers = the_workers()
    assert len(workers) == app.state.pool.size
    for worker in workers:
        os.kill(worker.pid, signal.SIGSTOP)  # each worker hangs on its first job: every other upload waits
    try:
        with ThreadPoolExecutor(capacity) as pool, httpx.Client(base_url=base, timeout=30) as http:
            uploads = [pool.submit(post_upload, base, n) for n in range(capacity)]
            wait_for(lambda: app.state.ingest.queue.admitted == capacity)
            full = http.post("/videos", files={"file": ("x.mp4", sniffable_garbage(-1 % 2**32))}, headers=AUTH)
            reads = [http.get("/healthz"), http.get(f"/videos/{UNKNOWN_VIDEO}"), http.get("/search?q=pasta"),
                     http.get("/users/u1/recommendations", headers=AUTH), http.get("/sounds/trending")]
            pending = sum(not f.done() for f in uploads)
            resume(workers)
            answers = [f.result().status_code for f in uploads]
    finally:
        resume(workers)
    assert [r.status_code for r in reads] == [200, 404, 200, 200, 200]
    assert pending == capacity  # the reads answered while every upload was still waiting
    assert (full.status_code, full.json()["error"]["code"]) == (503, "queue_full")
    assert int(full.headers["Retry-After"]) >= 1
    assert all(400 <= status < 500 for status in answers)  # each garbage upload got its own 4xx in the end
    assert app.state.ingest.queue.admitted == 0


def resume(workers: list[mp.process.BaseProcess]) -> None:
    for worker in workers:
        os.kill(worker.pid, signal.SIGCONT)
