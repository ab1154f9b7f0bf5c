"""AIHubMix's /v1/videos: create, retrieve, list, content, remix, delete (seeds 000-003)."""

from __future__ import annotations

import dataclasses
from functools import partial

from starlette.responses import Response

from ..call import Call
from ..downloads import media_of
from ..endpoint import endpoint
from ..errors import ApiError, not_found
from ..job import Job
from ..jobs import new_job, outcome_of
from ..jsonresponse import FastJSONResponse
from ..lifecycle import TERMINAL, poll, refresh
from ..media import TYPES
from ..params import query
from ..ranges import serve_bytes
from ..shapes import video_object
from ..validation import gated_body, validated_body, warning_headers

DIALECT = "aihubmix"


def _job(call: Call) -> Job:
    job = call.session.store.get(call.owner, call.path("video_id"))
    if job.dialect != DIALECT:
        raise not_found()
    return job


@endpoint(DIALECT)
async def create_video(call: Call) -> Response:
    spec = call.mock.aihubmix
    variant, body, warnings = await gated_body(call, spec, "CreateVideoRequest")
    new_id = partial(call.session.ids.video_id, channel=call.mock.config.channel)
    job = new_job(spec, variant, body, **call.job_fields(), new_id=new_id, warnings=warnings)
    call.session.store.add(job, job.created_at)
    return FastJSONResponse(video_object(job, call.base_url), headers=warning_headers(warnings))


@endpoint(DIALECT)
async def retrieve_video(call: Call) -> Response:
    job = _job(call)
    moving = job.status not in TERMINAL
    after = poll(job, call.now)
    if moving:  # a finished job does not change: nothing to write to the state file
        call.session.store.save(job)
    return FastJSONResponse(video_object(job, call.base_url), headers={"openai-poll-after-ms": str(after)})


@endpoint(DIALECT)
async def list_videos(call: Call) -> Response:
    params = query("aihubmix", "/v1/videos", "get", call.request)
    try:
        page, has_more = call.session.store.page(
            call.owner, DIALECT, params["order"], params.get("after"), params["limit"]
        )
    except ApiError:
        raise ApiError(404, "after: no video with this id", param="after") from None
    now = call.now
    for job in page:
        refresh(job, now)
    data = [video_object(job, call.base_url) for job in page]
    return FastJSONResponse(
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": has_more,
        }
    )


@endpoint(DIALECT)
async def delete_video(call: Call) -> Response:
    job = _job(call)
    if not job.delete_supported:
        raise ApiError(
            501,
            f"{job.model}: Kling has no delete endpoint",
            wire_code="not_supported",
            rule="DELETE-KLING-501",
        )
    call.session.store.remove(job)
    return FastJSONResponse({"id": job.id, "object": "video.deleted", "deleted": True})


@endpoint(DIALECT)
async def download_content(call: Call) -> Response:
    job = _job(call)
    # Most downloads carry no query string: skip parsing one.
    kind = (
        query("aihubmix", "/v1/videos/{video_id}/content", "get", call.request)["variant"]
        if call.request.scope["query_string"]
        else "video"
    )
    data = await media_of(call.mock, job, kind, call.now)
    return serve_bytes(data, TYPES[kind], call.header(b"range"))


@endpoint(DIALECT)
async def remix_video(call: Call) -> Response:
    source = _job(call)
    _, body = await validated_body(call, call.mock.aihubmix, "RemixVideoRequest")
    now = call.now
    refresh(source, now)
    if call.mock.aihubmix.extension(source.variant, "x-remix") != "supported":
        raise ApiError(
            409,
            f"{source.model}: this model's videos cannot be remixed",
            param="video_id",
            rule="REMIX-SORA",
        )
    if source.status != "completed":
        raise ApiError(
            409,
            f"video is {source.status}: only a completed video can be remixed",
            param="video_id",
            rule="REMIX-COMPLETED",
        )
    policy = call.policy
    # status="" starts the copy over at its family's initial status (Job.__post_init__)
    job = dataclasses.replace(
        source,
        id=call.session.ids.video_id(source.model, call.mock.config.channel),
        prompt=body["prompt"],
        status="",
        progress=0,
        polls=0,
        completed_at=None,
        created_at=now,
        remixed_from=source.id,
        policy=policy.kind,
        policy_arg=policy.arg,
        outcome=outcome_of(call.outcome, body["prompt"]),
        error_message=None,
    )
    call.session.store.add(job, now)
    return FastJSONResponse(video_object(job, call.base_url))
