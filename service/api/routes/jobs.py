"""Upload jobs: the state of a large upload analysed in the background."""
from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import JobId, JobsDep
from service.api.schemas import JobView, error_responses
from service.errors import NotFoundError

router = APIRouter(prefix="/jobs", tags=["videos"])


@router.get("/{job_id}", responses=error_responses(404, 422, codes={404: "job_not_found"}))
async def get_job(job_id: JobId, jobs: JobsDep) -> JobView:
    """Status of an upload job: queued, running, done (with the video) or failed (with the error)."""
    job = jobs.get(job_id)
    if job is None:
        raise NotFoundError("job_not_found", f"no job with id {job_id}")
    return JobView(**job.to_dict())
