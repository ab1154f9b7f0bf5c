"""What every API route shares: the `X-Mock-*` directives, the bearer key, faults, the request id,
the journal and JSON errors.

A plain decorator instead of middleware: it costs one function call, where Starlette's
BaseHTTPMiddleware costs a task and a stream per request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response

from . import ids
from .bodies import summarize
from .call import Call
from .directives import Directives
from .errors import REQUEST_ID_HEADER, ApiError, error_response
from .faults import FaultKind, fault_error
from .sessions import HEADER as SESSION_HEADER
from .state import MockState

log = logging.getLogger("aihubmix_mock")

#: The request headers as a dict (lower-case bytes names), when a guard in front has built it
#: already (app.Guard does): one dict per request, whoever looks first.
HEADER_MAP = "aihubmix_mock.headers"


Handler = Callable[[Call], Awaitable[Response]]


async def _model_hint(call: Call) -> str | None:
    """The model a request is about, for a fault message that names it: from the id in the path,
    else from the body's `model` (JSON or a multipart field; the body is kept for the handler)."""
    request = call.request
    for name in ("video_id", "task_id"):
        if name in request.path_params:
            return ids.model_of(request.path_params[name])
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ("application/json", "multipart/form-data"):
        return None
    try:
        raw = await call.raw_body()
    except ApiError:
        return None
    if media == "multipart/form-data":
        match = _FORM_MODEL.search(raw)
        return match.group(1).decode("utf-8", "replace") if match else None
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) else None


_FORM_MODEL = re.compile(rb'name="model"\r\n(?:[^\r\n]+\r\n)*\r\n([^\r\n]{1,200})\r\n')


async def _fault(call: Call) -> ApiError | None:
    """The fault this request answers with: asked for by header, else queued by the control plane."""
    mock, scope = call.mock, call.request.scope
    retry_after: int | None = None
    kind: FaultKind | None = None
    if call.directives.fault is not None:
        kind = mock.fault_kinds[call.directives.fault]
        if call.directives.fault == "429":
            retry_after = 1  # the mock's convenience for retry tests; production shows none (AHM-07)
    else:
        queued = call.session.faults.take(scope["method"], scope["path"])
        if queued is None:
            return None
        kind, retry_after = queued.kind, queued.retry_after
    model = await _model_hint(call) if "{model}" in kind.message else None
    return fault_error(kind, retry_after=retry_after, model=model, key=call.key)


def _warning(response: Response) -> tuple[str, str] | None:
    """(rules, message) of a response that carries X-Mock-Unconfirmed-Rules (validation.py)."""
    found = {name: value for name, value in response.raw_headers if name.startswith(b"x-mock-")}
    rules = found.get(b"x-mock-unconfirmed-rules")
    if rules is None:
        return None
    return rules.decode("latin-1"), found.get(b"x-mock-warning", b"").decode("latin-1")


def endpoint(dialect: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    id_header = REQUEST_ID_HEADER[dialect].lower().encode("latin-1")

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def route(request: Request) -> Response:
            scope = request.scope
            mock: MockState = scope["app"].mock
            headers = scope.get(HEADER_MAP)
            if headers is None:  # ASGI servers lower-case the names; one dict, many look-ups
                headers = dict(scope["headers"])
            session = mock.sessions.default
            refused = None
            named = headers.get(SESSION_HEADER)
            if named is not None:
                try:
                    session = mock.sessions.of(named)
                except ApiError as exc:  # a bad name, or too many sessions
                    refused = exc
            now = session.clock.now()
            request_id = ids.request_id(now, dialect)
            call = None
            key = None
            try:
                if refused is not None:
                    raise refused
                directives = Directives.parse(headers, mock.policy, mock.fault_kinds)
                key, owner = mock.keys.caller(headers.get(b"authorization"))
                call = Call(request, mock, session, key, owner, headers, now, directives, request_id)
                if directives.fault is not None or session.faults.queue:
                    fault = await _fault(call)
                    if fault is not None:
                        raise fault
                response = await handler(call)
                # raw_headers directly: Starlette's MutableHeaders costs more than the header itself
                response.raw_headers.append((id_header, request_id.encode("latin-1")))
            except ApiError as exc:
                response = error_response(exc, dialect, request_id)
            except Exception:  # a bug in the mock must still answer, and say so
                log.exception("unexpected error in %s %s", request.method, request.url.path)
                response = error_response(
                    ApiError(500, "internal error in the mock (a bug: please report it)"), dialect, request_id
                )
            parsed = call.parsed if call else None
            warning = _warning(response) if response.status_code < 300 and parsed else None
            if warning is not None:  # one line per warned request, where the server's log is read
                log.warning(
                    "%s %s accepted with unconfirmed rules %s: %s", request.method, scope["path"], *warning
                )
            session.journal.record(
                now, scope, key, summarize(*parsed) if parsed else None, response.status_code, warning
            )
            return response

        route.__name__ = handler.__name__
        route.__doc__ = handler.__doc__
        return route

    return wrap
