"""The web page is served at / with its assets from the package (the browser tests drive it: test_page_browser)."""
from __future__ import annotations

import re

import pytest

from service.api.routes.page import STATIC_DIR


def test_the_page_is_served_at_the_root(idle_client):
    r = idle_client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "<title>reelsense" in r.text


def test_every_asset_the_page_names_is_served(idle_client):
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', idle_client.get("/").text)
    assert assets  # the stylesheet, the script and the icon
    assert [(a, idle_client.get(a).status_code) for a in assets] == [(a, 200) for a in assets]


@pytest.mark.parametrize("module", sorted(p.name for p in (STATIC_DIR / "js").glob("*.js")))
def test_every_module_imported_by_the_page_exists(module):
    imports = re.findall(r'from "\./([\w-]+\.js)"', (STATIC_DIR / "js" / module).read_text())
    assert [name for name in imports if not (STATIC_DIR / "js" / name).is_file()] == []


def test_scripts_are_served_as_javascript(idle_client):
    r = idle_client.get("/static/js/main.js")
    assert r.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript")
    assert r.headers["cache-control"] == "no-cache"


def test_an_unknown_asset_is_a_404(idle_client):
    assert idle_client.get("/static/nothing-here.js").status_code == 404


def test_the_page_is_not_part_of_the_api_document(idle_client):
    paths = idle_client.get("/openapi.json").json()["paths"]
    assert "/" not in paths
    assert not any(p.startswith("/static") for p in paths)
