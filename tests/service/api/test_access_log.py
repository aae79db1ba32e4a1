"""Access lines of a real uvicorn server name no user ids or tokens unless REELSENSE_LOG_USER_IDS keeps them."""
from __future__ import annotations

import logging
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from service.api import create_app
from service.api.accesslog import configure_access_log
from tests.helpers.api import AUTH, KEY


@pytest.fixture(scope="module")
def base_url(settings_factory):
    app = create_app(settings_factory(api_keys=KEY), start_workers=False)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="info"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()
    configure_access_log(keep_user_ids=True)  # leave the process's logger as uvicorn made it


def _access_lines(base_url: str, caplog, path: str) -> str:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        httpx.get(base_url + path, headers=AUTH, timeout=60)
        deadline = time.monotonic() + 5
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.02)
    return "\n".join(r.getMessage() for r in caplog.records if r.name == "uvicorn.access")


def test_user_ids_and_tokens_are_redacted_by_default(base_url, caplog):
    configure_access_log(keep_user_ids=False)
    line = _access_lines(base_url, caplog, "/users/alice-42/recommendations?k=5&token=secret-token")
    assert "/users/~/recommendations?k=5&token=~" in line
    assert "alice-42" not in line and "secret-token" not in line


def test_the_setting_keeps_them_for_debugging(base_url, caplog):
    configure_access_log(keep_user_ids=True)
    assert "/users/alice-42/profile" in _access_lines(base_url, caplog, "/users/alice-42/profile")
