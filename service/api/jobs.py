"""In-memory registry of background upload jobs (large files answer 202 and are polled at /jobs/{id})."""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Job:
    id: str
    status: str = "queued"  # queued -> running -> done | failed
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    video_id: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    http_status: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "video_id": self.video_id, "created_at": self.created_at,
                "finished_at": self.finished_at, "result": self.result, "error": self.error,
                "http_status": self.http_status}


class JobRegistry:
    """Keeps the newest `capacity` jobs; the oldest finished ones are forgotten first."""

    def __init__(self, capacity: int = 1000):
        self.capacity = capacity
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def create(self, video_id: str | None = None) -> Job:
        job = Job(secrets.token_hex(8), video_id=video_id)
        with self._lock:
            if len(self._jobs) >= self.capacity:
                finished = [j for j in self._jobs.values() if j.finished_at is not None]
                for old in finished[: len(self._jobs) - self.capacity + 1]:
                    del self._jobs[old.id]
            self._jobs[job.id] = job
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def finish(self, job: Job, http_status: int, result: dict | None = None, error: dict | None = None) -> None:
        job.status = "done" if error is None else "failed"
        job.result, job.error, job.http_status, job.finished_at = result, error, http_status, time.time()
