"""A job's media as a download, for both dialects: only once completed, and only until it expires."""

from __future__ import annotations

from .errors import ApiError
from .lifecycle import refresh
from .state import MockState
from .store import Job


async def media_of(mock: MockState, job: Job, kind: str, now: float, what: str = "video") -> bytes:
    """A job's media: 409 until it is completed, 404 once its download has expired."""
    refresh(job, now)
    if job.status == "failed":
        raise ApiError(
            409,
            f"{what} failed: it will never have content (create a new one)",
            param=f"{what}_id",
        )
    if job.status != "completed":
        raise ApiError(
            409,
            f"{what} is {job.status}: content is available once it is completed",
            param=f"{what}_id",
        )
    if job.expires_at is not None and job.expires_at <= now:
        raise ApiError(404, "the download has expired", param=f"{what}_id")
    data = mock.media.cached(kind, job.width, job.height, job.duration, job.audio)
    if data is not None:  # the common case, without a second coroutine
        return data
    return await mock.media.get(kind, job.width, job.height, job.duration, job.audio)
