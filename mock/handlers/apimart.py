"""APIMart's dialect on the same server: /v1/videos/generations and /v1/tasks/{task_id} (seed 004)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..call import Call
from ..downloads import media_of
from ..endpoint import endpoint
from ..errors import ApiError
from ..jobs import new_job
from ..jsonresponse import FastJSONResponse
from ..lifecycle import TERMINAL, refresh
from ..ranges import serve_bytes
from ..shapes import apimart_task
from ..validation import gated_body, warning_headers

DIALECT = "apimart"


@endpoint(DIALECT)
async def create_generation(call: Call) -> Response:
    spec = call.mock.apimart
    variant, body, warnings = await gated_body(call, spec, "GenerationRequest")
    session = call.session
    job = new_job(
        spec,
        variant,
        body,
        **call.job_fields(),
        new_id=lambda model: session.ids.task_id(),
        base="GenerationRequest",
        warnings=warnings,
    )
    session.store.add(job, job.created_at)
    return FastJSONResponse(
        {"code": 200, "data": [{"status": "submitted", "task_id": job.id}]}, headers=warning_headers(warnings)
    )


@endpoint(DIALECT)
async def get_task(call: Call) -> Response:
    job = call.session.store.get(call.owner, call.path("task_id"), what="task")
    if job.dialect != DIALECT:
        raise ApiError(404, "No task found with that id", param="task_id")
    moving = job.status not in TERMINAL
    refresh(job, call.now, poll=True)
    if moving:  # a finished task does not change: nothing to write to the state file
        call.session.store.save(job)
    return FastJSONResponse({"code": 200, "data": apimart_task(job, call.base_url)})


async def task_file(request: Request) -> Response:
    """`result.videos[].url`: like a CDN link, it needs no key; the task id is unguessable. A named
    session's link carries `?session=NAME` (a CDN fetch sends no X-Mock-Session header)."""
    mock = request.app.state.mock
    try:
        name = request.query_params.get("session") or request.headers.get("x-mock-session")
        session = mock.sessions.default if name is None else mock.sessions.get(name.strip())
        job = session.store.get_any(request.path_params["task_id"])
        if job is None or job.dialect != DIALECT:
            raise ApiError(404, "No such file", param="task_id")
        data = await media_of(mock, job, "video", session.clock.now(), what="task")
        return serve_bytes(data, "video/mp4", request.headers.get("range"))
    except ApiError as exc:
        return exc.response(DIALECT)
