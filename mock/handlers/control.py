"""The control plane under /__mock (openapi/control-plane.yaml): no key, test use only."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..bodies import parse_json, read_raw
from ..errors import ApiError
from ..journal import Fault
from ..lifecycle import advance, refresh
from ..spec import SPEC_NAMES, load_document

OK = {"ok": True}


def _error(exc: ApiError) -> Response:
    return JSONResponse({"error": {"message": exc.message, "type": exc.type, "param": exc.param}},
                        status_code=exc.status)


async def _json(request: Request, required: bool = True) -> dict:
    raw = await read_raw(request, 64 * 1024)
    if not raw.strip() and not required:
        return {}
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object")
    return body


def control(handler):
    async def route(request: Request) -> Response:
        try:
            return await handler(request, request.app.state.mock)
        except ApiError as exc:
            return _error(exc)

    route.__name__ = handler.__name__
    return route


@control
async def health(request: Request, mock) -> Response:
    return JSONResponse({"status": "ok", "jobs": len(mock.store), "clock": mock.clock.now(),
                         "media_renders": mock.media.renders})


@control
async def reset(request: Request, mock) -> Response:
    mock.reset()
    return JSONResponse(OK)


@control
async def advance_clock(request: Request, mock) -> Response:
    body = await _json(request)
    seconds = body.get("seconds")
    if set(body) - {"seconds"}:
        raise ApiError(400, f"unknown field(s): {sorted(set(body) - {'seconds'})}", param="seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= 315360000:
        raise ApiError(400, "seconds: a number from 0 to 315360000", param="seconds")
    now = mock.advance_clock(float(seconds))
    return JSONResponse({"ok": True, "clock": now})


def _find(mock, job_id: str):
    job = mock.store.get_any(job_id)
    if job is None:
        raise ApiError(404, "no job with that id", param="job_id")
    return job


@control
async def inspect_job(request: Request, mock) -> Response:
    job = _find(mock, request.path_params["job_id"])
    refresh(job, mock.clock.now())
    data = job.to_dict()
    data["expires_at"] = job.expires_at
    return JSONResponse(data)


@control
async def advance_job(request: Request, mock) -> Response:
    job = _find(mock, request.path_params["job_id"])
    body = await _json(request, required=False)
    extra = set(body) - {"to", "error"}
    if extra:
        raise ApiError(400, f"unknown field(s): {sorted(extra)}")
    to = body.get("to")
    if to not in (None, "in_progress", "completed", "failed"):
        raise ApiError(400, "to: in_progress, completed or failed", param="to")
    if "error" in body and not isinstance(body["error"], str):
        raise ApiError(400, "error: a string", param="error")
    now = mock.clock.now()
    refresh(job, now)
    try:
        advance(job, now, to, body.get("error"))
    except ValueError as exc:
        raise ApiError(409, str(exc), param="job_id") from None
    mock.store.save(job)
    return JSONResponse({"ok": True, "status": job.status})


def _whole(body: dict, name: str, default: int, low: int, high: int) -> int:
    """A JSON integer (8.0 is one too, as JSON Schema says) within [low, high], or a 400."""
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) \
            or not low <= value <= high:
        raise ApiError(400, f"{name}: a whole number from {low} to {high}", param=name)
    return int(value)


@control
async def add_fault(request: Request, mock) -> Response:
    body = await _json(request)
    extra = set(body) - {"status", "count", "retry_after", "method", "path_prefix"}
    if extra:
        raise ApiError(400, f"unknown field(s): {sorted(extra)}")
    status = body.get("status")
    if status not in (429, 500, 502, 503) or isinstance(status, bool):
        raise ApiError(400, "status: 429, 500, 502 or 503", param="status")
    count = _whole(body, "count", 1, 1, 1000)
    retry_after = _whole(body, "retry_after", 1, 0, 3600)
    for name in ("method", "path_prefix"):
        if name in body and not isinstance(body[name], str):
            raise ApiError(400, f"{name}: a string", param=name)
    mock.faults.add(Fault(status, count, retry_after, body.get("method"), body.get("path_prefix")))
    return JSONResponse(OK)


@control
async def clear_faults(request: Request, mock) -> Response:
    mock.faults.clear()
    return JSONResponse(OK)


@control
async def journal(request: Request, mock) -> Response:
    query = request.query_params
    limit = query.get("limit", "1000")
    if not (limit.isascii() and limit.isdigit()) or len(limit) > 5 or not 1 <= int(limit) <= 10000:
        raise ApiError(400, "limit: 1..10000", param="limit")
    entries = mock.journal.entries(query.get("method"), query.get("path_prefix"), int(limit))
    return JSONResponse({"data": entries})


@control
async def clear_journal(request: Request, mock) -> Response:
    mock.journal.clear()
    return JSONResponse(OK)


_SPEC_JSON: dict[str, bytes] = {}


@control
async def serve_spec(request: Request, mock) -> Response:
    name = request.path_params["name"].removesuffix(".json")
    if name not in SPEC_NAMES:
        raise ApiError(404, f"no spec {name!r}; one of {', '.join(SPEC_NAMES)}", param="name")
    if name not in _SPEC_JSON:
        _SPEC_JSON[name] = json.dumps(load_document(name)).encode()
    return Response(_SPEC_JSON[name], media_type="application/json")
