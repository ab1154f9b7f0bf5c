"""The control plane under /__mock (openapi/control-plane.yaml): no key, test use only.

Request bodies and query parameters are checked by that spec's own schemas; errors are written by
the one error writer (errors.py) in the control plane's shape."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..bodies import read_raw
from ..errors import ApiError, error_response
from ..faults import MAX_QUEUED, Fault, describe
from ..jsontext import parse_json
from ..lifecycle import advance, refresh
from ..params import query
from ..spec import SPEC_NAMES, get_spec, load_document
from ..state import MockState
from ..store import Job

OK = {"ok": True}

#: A control handler: the request and the server's state, before `control` catches its ApiError.
ControlHandler = Callable[[Request, MockState], Awaitable[Response]]


async def _json(request: Request, schema: str, required: bool = True) -> dict[str, Any]:
    """The body, checked against `components/schemas/<schema>` of control-plane.yaml."""
    raw = await read_raw(request, 64 * 1024, request.app.state.mock.config.body_timeout)
    if not raw.strip() and not required:
        return {}
    body: dict[str, Any] = parse_json(raw)  # the schema checked below requires an object
    violation = get_spec("control-plane").check(schema, body)
    if violation is not None:
        raise ApiError(400, violation.message, param=violation.param)
    return body


def control(handler: ControlHandler) -> Callable[[Request], Awaitable[Response]]:
    async def route(request: Request) -> Response:
        try:
            return await handler(request, request.app.state.mock)
        except ApiError as exc:
            return error_response(exc, "control")

    route.__name__ = handler.__name__
    return route


@control
async def health(request: Request, mock: MockState) -> Response:
    return JSONResponse(
        {
            "status": "ok",
            "jobs": len(mock.store),
            "clock": mock.clock.now(),
            "media_renders": mock.media.renders,
            "keys": "listed" if mock.config.keys else "any",
        }
    )


@control
async def reset(request: Request, mock: MockState) -> Response:
    mock.reset()
    return JSONResponse(OK)


@control
async def seed(request: Request, mock: MockState) -> Response:
    body = await _json(request, "SeedRequest")
    value = None if body["seed"] is None else int(body["seed"])
    mock.ids.reseed(value)
    return JSONResponse({"ok": True, "seed": value})


@control
async def advance_clock(request: Request, mock: MockState) -> Response:
    body = await _json(request, "ClockAdvance")
    now = mock.advance_clock(float(body["seconds"]))
    return JSONResponse({"ok": True, "clock": now})


def _find(mock: MockState, job_id: str) -> Job:
    job = mock.store.get_any(job_id)
    if job is None:
        raise ApiError(404, "no job with that id", param="job_id")
    return job


@control
async def inspect_job(request: Request, mock: MockState) -> Response:
    job = _find(mock, request.path_params["job_id"])
    refresh(job, mock.clock.now())
    data = job.to_dict()
    data["expires_at"] = job.expires_at
    return JSONResponse(data)


@control
async def advance_job(request: Request, mock: MockState) -> Response:
    job = _find(mock, request.path_params["job_id"])
    body = await _json(request, "JobAdvance", required=False)
    to = body.get("to")
    now = mock.clock.now()
    refresh(job, now)
    try:
        advance(job, now, to, body.get("error"))
    except ValueError as exc:
        raise ApiError(409, str(exc), param="job_id") from None
    mock.store.save(job)
    return JSONResponse({"ok": True, "status": job.status})


@control
async def add_fault(request: Request, mock: MockState) -> Response:
    body = await _json(request, "FaultRequest")
    name = body.get("fault", str(body.get("status", "")))
    kind = mock.fault_kinds.get(name)
    if kind is None:  # the schema names the faults too; a test keeps both lists equal
        raise ApiError(400, f"fault: one of {describe(mock.fault_kinds)}", param="fault")
    retry_after = body.get("retry_after", 1 if kind.status == 429 and "status" in body else None)
    queued = mock.faults.add(
        Fault(
            kind,
            int(body.get("count", 1)),
            None if retry_after is None else int(retry_after),
            body.get("method"),
            body.get("path_prefix"),
        )
    )
    if not queued:
        raise ApiError(
            409,
            f"{MAX_QUEUED} faults are queued already, the most the mock keeps: each API request "
            "looks through them. Clear them with DELETE /__mock/faults (or POST /__mock/reset), or "
            "queue one fault with a larger count",
            param="fault",
        )
    return JSONResponse(OK)


@control
async def clear_faults(request: Request, mock: MockState) -> Response:
    mock.faults.clear()
    return JSONResponse(OK)


@control
async def journal(request: Request, mock: MockState) -> Response:
    params = query("control-plane", "/__mock/journal", "get", request)
    entries = mock.journal.entries(
        params.get("method"), params.get("path_prefix"), params["limit"], params.get("warned")
    )
    return JSONResponse({"data": entries})


@control
async def clear_journal(request: Request, mock: MockState) -> Response:
    mock.journal.clear()
    return JSONResponse(OK)


_SPEC_JSON: dict[str, bytes] = {}


@control
async def serve_spec(request: Request, mock: MockState) -> Response:
    name = request.path_params["name"].removesuffix(".json")
    if name not in SPEC_NAMES:
        raise ApiError(404, f"no spec {name!r}; one of {', '.join(SPEC_NAMES)}", param="name")
    if name not in _SPEC_JSON:
        _SPEC_JSON[name] = json.dumps(load_document(name)).encode()
    return Response(_SPEC_JSON[name], media_type="application/json")
