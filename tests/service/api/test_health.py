"""Liveness, readiness and metrics."""
from __future__ import annotations

from tests.helpers.api import UNKNOWN_VIDEO


def test_healthz_answers_ok(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_the_ready_workers(client):
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["workers_ready"] >= 1
    assert ready.json()["space_id"]


def test_readyz_is_503_while_no_worker_is_ready(idle_client):
    r = idle_client.get("/readyz")
    assert r.status_code == 503
    assert r.json() == {"error": {"code": "not_ready", "message": "0/2 workers ready"}}


def test_metrics_count_requests_by_route_template(client):
    client.get(f"/videos/{UNKNOWN_VIDEO}")
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert "text/plain" in metrics.headers["content-type"]
    assert 'reelsense_http_requests_total{method="GET",route="/videos/{video_id}",status="404"}' in metrics.text


def test_metrics_count_refused_bodies_as_unmatched(client):
    client.post("/events", content=b"x" * (2 * 1024 * 1024), headers={"content-type": "application/json"})
    text = client.get("/metrics").text
    assert 'reelsense_http_requests_total{method="POST",route="unmatched",status="413"}' in text


def test_metrics_report_worker_gauges(client):
    lines = dict(line.split(" ", 1) for line in client.get("/metrics").text.splitlines() if not line.startswith("#"))
    assert float(lines["reelsense_workers_ready"]) >= 1
    assert float(lines["reelsense_worker_restarts"]) >= 0
