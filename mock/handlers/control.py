"""The control plane under /__mock (openapi/control-plane.yaml): no key, test use only.

Request bodies and query parameters are checked by that spec's own schemas; errors are written by
the one error writer (errors.py) in the control plane's shape."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..bodies import read_raw
from ..errors import ApiError, error_response
from ..faults import MAX_QUEUED, Fault, describe
from ..job import Job
from ..jsontext import parse_json
from ..lifecycle import advance, refresh
from ..params import query
from ..sessions import HEADER as SESSION_HEADER
from ..sessions import Session
from ..spec import SPEC_NAMES, get_spec, load_document
from ..state import MockState

OK = {"ok": True}

#: A control handler: the request, the server's state and the caller's session (X-Mock-Session),
#: before `control` catches its ApiError.
ControlHandler = Callable[[Request, MockState, Session], Awaitable[Response]]


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


def _raw(request: Request) -> bytes | None:
    value: bytes | None = dict(request.scope["headers"]).get(SESSION_HEADER)
    return value


def control(handler: ControlHandler) -> Callable[[Request], Awaitable[Response]]:
    async def route(request: Request) -> Response:
        mock: MockState = request.app.state.mock
        try:
            session = mock.sessions.of(_raw(request))
            return await handler(request, mock, session)
        except ApiError as exc:
            return error_response(exc, "control")

    route.__name__ = handler.__name__
    return route


@control
async def health(request: Request, mock: MockState, session: Session) -> Response:
    return JSONResponse(
        {
            "status": "ok",
            "jobs": len(session.store),
            "clock": session.clock.now(),
            "media_renders": mock.media.renders,
            "keys": "listed" if mock.config.keys else "any",
            "session": session.name,
            "sessions": len(mock.sessions),
        }
    )


@control
async def reset(request: Request, mock: MockState, session: Session) -> Response:
    session.reset()
    return JSONResponse(OK)


@control
async def seed(request: Request, mock: MockState, session: Session) -> Response:
    body = await _json(request, "SeedRequest")
    value = None if body["seed"] is None else int(body["seed"])
    session.ids.reseed(value)
    return JSONResponse({"ok": True, "seed": value})


@control
async def advance_clock(request: Request, mock: MockState, session: Session) -> Response:
    body = await _json(request, "ClockAdvance")
    now = session.advance_clock(float(body["seconds"]))
    return JSONResponse({"ok": True, "clock": now})


def _find(session: Session, job_id: str) -> Job:
    job = session.store.get_any(job_id)
    if job is None:
        raise ApiError(404, "no job with that id", param="job_id")
    return job


@control
async def inspect_job(request: Request, mock: MockState, session: Session) -> Response:
    job = _find(session, request.path_params["job_id"])
    refresh(job, session.clock.now())
    data = job.to_dict()
    data["expires_at"] = job.expires_at
    return JSONResponse(data)


@control
async def advance_job(request: Request, mock: MockState, session: Session) -> Response:
    job = _find(session, request.path_params["job_id"])
    body = await _json(request, "JobAdvance", required=False)
    to = body.get("to")
    now = session.clock.now()
    refresh(job, now)
    try:
        advance(job, now, to, body.get("error"))
    except ValueError as exc:
        raise ApiError(409, str(exc), param="job_id") from None
    session.store.save(job)
    return JSONResponse({"ok": True, "status": job.status})


@control
async def add_fault(request: Request, mock: MockState, session: Session) -> Response:
    body = await _json(request, "FaultRequest")
    name = body.get("fault", str(body.get("status", "")))
    kind = mock.fault_kinds.get(name)
    if kind is None:  # the schema names the faults too; a test keeps both lists equal
        raise ApiError(400, f"fault: one of {describe(mock.fault_kinds)}", param="fault")
    retry_after = body.get("retry_after", 1 if kind.status == 429 and "status" in body else None)
    queued = session.faults.add(
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
async def clear_faults(request: Request, mock: MockState, session: Session) -> Response:
    session.faults.clear()
    return JSONResponse(OK)


@control
async def journal(request: Request, mock: MockState, session: Session) -> Response:
    params = query("control-plane", "/__mock/journal", "get", request)
    entries = session.journal.entries(
        params.get("method"), params.get("path_prefix"), params["limit"], params.get("warned")
    )
    return JSONResponse({"data": entries})


@control
async def clear_journal(request: Request, mock: MockState, session: Session) -> Response:
    session.journal.clear()
    return JSONResponse(OK)


@control
async def list_sessions(request: Request, mock: MockState, session: Session) -> Response:
    now = time.monotonic()
    sessions = mock.sessions
    return JSONResponse(
        {
            "data": [s.summary(now) for s in sessions],
            "you": session.name,
            "max_sessions": sessions.max_sessions,
            "jobs": sessions.jobs,
            "max_jobs": mock.config.max_jobs,
        }
    )


@control
async def drop_idle_sessions(request: Request, mock: MockState, session: Session) -> Response:
    params = query("control-plane", "/__mock/sessions", "delete", request)
    dropped = mock.sessions.drop_idle(float(params["idle_seconds"]), keep=session)
    return JSONResponse({"ok": True, "dropped": dropped})


@control
async def drop_session(request: Request, mock: MockState, session: Session) -> Response:
    name = request.path_params["name"]
    if not mock.sessions.drop(name):
        raise ApiError(404, f"no session {name[:80]!r}", param="name")
    return JSONResponse({"ok": True, "dropped": [name]})


_SPEC_JSON: dict[str, bytes] = {}


@control
async def serve_spec(request: Request, mock: MockState, session: Session) -> Response:
    name = request.path_params["name"].removesuffix(".json")
    if name not in SPEC_NAMES:
        raise ApiError(404, f"no spec {name!r}; one of {', '.join(SPEC_NAMES)}", param="name")
    if name not in _SPEC_JSON:
        _SPEC_JSON[name] = json.dumps(load_document(name)).encode()
    return Response(_SPEC_JSON[name], media_type="application/json")
