"""`reelsense serve --processes 2`: one real server whose two child processes both serve HTTP on its port over one
SQLite store. Which child answered a request is read from /proc: the child that holds, among its file
descriptors, the server end of the request's TCP connection (kept alive, one per request).

The clips are uploaded through the port; REELSENSE_INDEX_EXACT_MAX=0 puts them in an HNSW index, so both
children save it at shutdown (into one folder, taking turns)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from service.recommend.loading import index_dir
from tests.helpers import REPO
from tests.helpers.api import AUTH, KEY, upload
from tests.helpers.processes import alive, descendants, eventually, settings_env
from tests.service.api.test_server_kill import _ready, free_port

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads processes from /proc")
VISIBLE_WITHIN_S = 1.0  # a write through one process is in every answer of the other after this long


@pytest.fixture(scope="module")
def server(settings_factory, tmp_path_factory):
    """(settings, server process, its port, {clip: id}, its log): `serve --processes 2 --workers 2`, both
    children ready, two sample clips uploaded through the port."""
    settings = settings_factory(api_keys=KEY)
    port = free_port()
    env = settings_env(settings, api_keys=KEY, change_poll_s="0.1", index_exact_max="0")
    log = tmp_path_factory.mktemp("log") / "serve.log"  # --verbose: the access lines of both children
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "--verbose", "serve", "--port", str(port),
                             "--processes", "2", "--workers", "2", "--db", str(settings.database)], env=env, cwd=REPO,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as http:
            assert eventually(lambda: _ready(http, proc), timeout=300, every=0.5), "the server never got ready"
            assert eventually(lambda: len(serving_children(proc.pid)) == 2, timeout=30)
            children = serving_children(proc.pid)

            def both_ready() -> bool:
                answers = answered_by(children, port, lambda c, _i: c.get("/readyz"), at_least=1, at_most=20)
                return {pid for pid, r in answers if r.status_code == 200} == set(children)

            assert eventually(both_ready, timeout=300, every=0.5), "a child never got ready"
            ids = {}
            for name in ("pasta_recipe", "gym_workout"):
                r = upload(http, name)
                assert r.status_code in (200, 201), r.text
                ids[name] = r.json()["id"]
        yield settings, proc, port, ids, log
    finally:
        family = descendants(proc.pid)
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        for pid in family:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def serving_children(pid: int) -> list[int]:
    """The children of `pid` that uvicorn's supervisor spawned to serve (not multiprocessing's resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and b"spawn_main" in cmdline and alive(int(entry.name)):
            found.append(int(entry.name))
    return sorted(found)


def _established_inodes(port: int) -> set[int]:
    """Socket inodes of the established TCP connections whose local port is `port` (the server ends)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                inodes.add(int(fields[9]))
    return inodes


def held_connections(children: list[int], port: int) -> dict[int, set[int]]:
    """child pid -> the established connections on `port` whose server end is among its file descriptors."""
    server_ends = _established_inodes(port)
    held: dict[int, set[int]] = {}
    for pid in children:
        sockets = set()
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                link = os.readlink(fd)
            except OSError:
                continue
            if link.startswith("socket:["):
                sockets.add(int(link[8:-1]))
        held[pid] = sockets & server_ends
    return held


def answered_by(children: list[int], port: int, request: Callable[[httpx.Client, int], httpx.Response],
                at_least: int, at_most: int = 120) -> list[tuple[int | None, httpx.Response]]:
    """(the child that answered, the answer) of `request(client, i)`, each sent on a new connection kept open,
    until both children have answered and at least `at_least` times."""
    clients: list[httpx.Client] = []
    out: list[tuple[int | None, httpx.Response]] = []
    before = held_connections(children, port)
    try:
        for i in range(at_most):
            clients.append(httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120))
            answer = request(clients[-1], i)
            now = held_connections(children, port)
            grew = [pid for pid in children if now[pid] - before[pid]]
            out.append((grew[0] if len(grew) == 1 else None, answer))
            before = now
            if i + 1 >= at_least and {pid for pid, _ in out} >= set(children):
                break
    finally:
        for client in clients:
            client.close()
    return out


def test_two_serving_processes_are_children_of_the_server(server):
    _, proc, port, _, _ = server
    children = serving_children(proc.pid)
    assert len(children) == 2, children
    ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=30)
    assert ready.status_code == 200, ready.text
    assert ready.json()["workers"] == 1  # --workers 2 split between the two processes


def test_feed_requests_in_parallel_all_answer_and_both_processes_answer(server):
    _, proc, port, ids, _ = server
    children = serving_children(proc.pid)
    clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) for _ in range(8)]
    try:
        def one(i: int) -> int:
            r = clients[i % 8].get(f"/users/reader{i}/recommendations", params={"k": 10}, headers=AUTH)
            return r.status_code if {item["video_id"] for item in r.json()["items"]} <= set(ids.values()) else -1

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(one, range(40)))
        held = held_connections(children, port)
    finally:
        for client in clients:
            client.close()
    assert statuses == [200] * 40
    assert sum(len(h) for h in held.values()) >= 8  # each client's connection(s) held by one of the two
    if not all(held.values()):  # all 8 may have landed on one child: more, one at a time, until both answered
        answers = answered_by(children, port, lambda http, i: http.get("/videos", headers=AUTH), at_least=1)
        assert [r.status_code for _, r in answers] == [200] * len(answers)
        assert {pid for pid, _ in answers} >= set(children), f"a child answered nothing: {answers}"


def test_an_event_through_the_port_is_in_every_later_answer(server):
    _, proc, port, ids, _ = server
    children = serving_children(proc.pid)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        r = http.post("/events", json={"events": [{"user_id": "liker", "video_id": ids["gym_workout"],
                                                   "type": "like"}]}, headers=AUTH)
    assert r.status_code == 200, r.text
    answers = answered_by(children, port, lambda c, _i: c.get("/users/liker/profile", headers=AUTH), at_least=20)
    assert {pid for pid, _ in answers} >= set(children), f"a child answered nothing: {answers}"
    assert [(r.status_code, r.json()["engaged_videos"]) for _, r in answers] == [(200, 1)] * len(answers)


def test_an_upload_through_one_process_is_in_every_feed_of_both_within_a_second(server):
    _, proc, port, _, _ = server
    children = serving_children(proc.pid)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as http:
        r = upload(http, "cat_zoomies")
        answered = time.monotonic()
    assert r.status_code in (200, 201), r.text
    vid = r.json()["id"]
    time.sleep(max(0.0, VISIBLE_WITHIN_S - (time.monotonic() - answered)))
    answers = answered_by(children, port, lambda c, i: c.get(f"/users/newcomer{i}/recommendations",
                                                              params={"k": 50}, headers=AUTH), at_least=20)
    assert {pid for pid, _ in answers} >= set(children), f"a child answered nothing: {answers}"
    missing = [(pid, i) for i, (pid, a) in enumerate(answers) if vid not in {x["video_id"] for x in a.json()["items"]}]
    assert missing == [], f"not in these children's answers {VISIBLE_WITHIN_S} s after the upload: {missing}"


def test_sigint_stops_the_server_and_every_child(server):
    settings, proc, _, _, log = server
    family = descendants(proc.pid)
    assert len(family) >= 4  # two serving children, their analysis workers (and a resource tracker)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0
    assert eventually(lambda: not any(alive(p) for p in family), timeout=10), [p for p in family if alive(p)]
    saved = index_dir(settings.database)
    assert (saved / "meta.json").exists()  # both children saved the index, in turn, none broke the folder
    assert not saved.with_name(saved.name + ".tmp").exists()
    lines = log.read_text()
    assert "Started parent process" in lines and "/users/~/profile" in lines
    assert "liker" not in lines and "newcomer" not in lines  # both children answered them: both redact


@pytest.mark.parametrize(("extra", "code"), [(["--processes", "2", "--index", "."], "index_needs_one_process"),
                                             (["--processes", "-1"], "invalid_processes")])
def test_serve_refuses_index_with_several_processes_and_a_negative_count(settings_factory, extra, code):
    settings = settings_factory()
    done = subprocess.run([sys.executable, "-m", "service.cli", "serve", "--port", str(free_port()), *extra,
                           "--db", str(settings.database)], env=settings_env(settings), cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert f"error [{code}]" in done.stderr
