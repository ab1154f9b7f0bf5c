"""AIHubMix's /v1/videos: create, retrieve, list, content, remix, delete (seeds 000-003)."""

from __future__ import annotations

import dataclasses
import re

from starlette.responses import Response

from ..endpoint import Call, endpoint
from ..errors import ApiError, not_found
from ..ids import video_id
from ..jobs import new_job, request_outcome, request_policy
from ..lifecycle import poll_after_ms, refresh
from ..media import TYPES
from ..render import video_object
from ..responses import FastJSONResponse
from ..validation import validated_body

DIALECT = "aihubmix"


def _job(call: Call):
    job = call.mock.store.get(call.owner, call.path("video_id"))
    if job.dialect != DIALECT:
        raise not_found()
    return job


@endpoint(DIALECT)
async def create_video(call: Call) -> Response:
    spec = call.mock.aihubmix
    variant, body = await validated_body(call, spec, "CreateVideoRequest")
    job = new_job(call, spec, variant, body, dialect=DIALECT)
    call.mock.store.add(job, job.created_at)
    return FastJSONResponse(video_object(job, call.base_url))


@endpoint(DIALECT)
async def retrieve_video(call: Call) -> Response:
    job = _job(call)
    now = call.mock.clock.now()
    refresh(job, now, poll=True)
    call.mock.store.save(job)
    return FastJSONResponse(video_object(job, call.base_url),
                            headers={"openai-poll-after-ms": str(poll_after_ms(job, now))})


def _int_param(call: Call, name: str, default: int, low: int, high: int) -> int:
    text = call.request.query_params.get(name)
    if text is None:
        return default
    if not re.fullmatch(r"\d{1,6}", text) or not low <= int(text) <= high:
        raise ApiError(400, f"{name}: must be a whole number from {low} to {high}", param=name)
    return int(text)


@endpoint(DIALECT)
async def list_videos(call: Call) -> Response:
    query = call.request.query_params
    limit = _int_param(call, "limit", 20, 1, 100)
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise ApiError(400, "order: must be asc or desc", param="order")
    jobs = call.mock.store.owned(call.owner, DIALECT, order)
    start = 0
    after = query.get("after")
    if after is not None:
        index = next((i for i, j in enumerate(jobs) if j.id == after), None)
        if index is None:
            raise ApiError(404, "after: no video with this id", param="after", code="not_found")
        start = index + 1
    page = jobs[start:start + limit]
    now = call.mock.clock.now()
    for job in page:
        refresh(job, now)
    data = [video_object(job, call.base_url) for job in page]
    return FastJSONResponse({
        "object": "list", "data": data,
        "first_id": data[0]["id"] if data else None, "last_id": data[-1]["id"] if data else None,
        "has_more": start + limit < len(jobs),
    })


@endpoint(DIALECT)
async def delete_video(call: Call) -> Response:
    job = _job(call)
    if not job.delete_supported:
        raise ApiError(501, f"{job.model}: Kling has no delete endpoint", type="not_supported",
                       code="not_supported", rule="DELETE-KLING-501")
    call.mock.store.remove(job)
    return FastJSONResponse({"id": job.id, "object": "video.deleted", "deleted": True})


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end) inclusive for a single `bytes=` range; None for the whole file; 416 if unsatisfiable."""
    if header is None:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None  # RFC 9110: an invalid Range is ignored
    # Positions past 18 digits are past any file: clamp them instead of converting thousands of digits.
    first, last = (None if g == "" else int(g) if len(g) <= 18 else 10**18 for g in match.groups())
    if first is None:
        start, end = max(0, size - last), size - 1
    else:
        start = first
        end = min(last, size - 1) if last is not None else size - 1
        if last is not None and last < start:
            return None
    if start >= size or size == 0:
        raise ApiError(416, f"range not satisfiable: the file is {size} bytes", param="Range",
                       code="range_not_satisfiable", headers={"Content-Range": f"bytes */{size}"})
    return start, end


def serve_bytes(data: bytes, media_type: str, range_header: str | None) -> Response:
    span = byte_range(range_header, len(data))
    headers = {"Accept-Ranges": "bytes"}
    if span is None:
        return Response(data, media_type=media_type, headers=headers)
    start, end = span
    headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
    return Response(data[start:end + 1], status_code=206, media_type=media_type, headers=headers)


async def media_of(mock, job, kind: str, what: str = "video") -> bytes:
    """A job's media: 409 until it is completed, 404 once its download has expired."""
    now = mock.clock.now()
    refresh(job, now)
    if job.status != "completed":
        raise ApiError(409, f"{what} is {job.status}: content is available once it is completed",
                       type="invalid_request_error", code="video_not_ready", param=f"{what}_id")
    if job.expires_at is not None and job.expires_at <= now:
        raise ApiError(404, "the download has expired", code="expired", param=f"{what}_id")
    return await mock.media.get(kind, job.width, job.height, job.duration)


@endpoint(DIALECT)
async def download_content(call: Call) -> Response:
    job = _job(call)
    # Most downloads carry no query string: skip parsing one.
    kind = call.request.query_params.get("variant", "video") if call.request.scope["query_string"] else "video"
    if kind not in TYPES:
        raise ApiError(400, "variant: must be video, thumbnail or spritesheet", param="variant")
    data = await media_of(call.mock, job, kind)
    return serve_bytes(data, TYPES[kind], call.header(b"range"))


@endpoint(DIALECT)
async def remix_video(call: Call) -> Response:
    source = _job(call)
    _, body = await validated_body(call, call.mock.aihubmix, "RemixVideoRequest")
    now = call.mock.clock.now()
    refresh(source, now)
    if source.shape != "sora":
        raise ApiError(409, f"{source.model}: remix is only for Sora models", param="video_id",
                       code="unsupported_model", rule="REMIX-SORA")
    if source.status != "completed":
        raise ApiError(409, f"video is {source.status}: only a completed video can be remixed",
                       param="video_id", code="video_not_ready", rule="REMIX-COMPLETED")
    policy = request_policy(call)
    # status="" starts the copy over at its family's initial status (Job.__post_init__)
    job = dataclasses.replace(
        source, id=video_id(source.model, call.mock.config.channel), prompt=body["prompt"], status="", progress=0,
        polls=0, completed_at=None, created_at=now, remixed_from=source.id, policy=policy.kind,
        policy_arg=policy.arg, outcome=request_outcome(call, body["prompt"]), error_message=None,
    )
    call.mock.store.add(job, now)
    return FastJSONResponse(video_object(job, call.base_url))

