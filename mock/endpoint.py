"""What every API route shares: the `X-Mock-*` directives, the bearer key, faults, the request id,
the journal and JSON errors.

A plain decorator instead of middleware: it costs one function call, where Starlette's
BaseHTTPMiddleware costs a task and a stream per request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from . import ids
from .bodies import read_body, read_raw, summarize
from .directives import NONE, Directives
from .errors import REQUEST_ID_HEADER, ApiError, error_response
from .faults import FaultKind, fault_error
from .state import MockState

log = logging.getLogger("aihubmix_mock")

#: The request headers as a dict (lower-case bytes names), when a guard in front has built it
#: already (app.Guard does): one dict per request, whoever looks first.
HEADER_MAP = "aihubmix_mock.headers"


@dataclass(slots=True)
class Call:
    """One API request as a handler sees it."""

    request: Request
    mock: MockState
    key: str
    owner: str
    headers: dict[bytes, bytes]
    #: The mock's clock when the request arrived: one reading serves the id, the handler and the
    #: journal (the clock is read on every request; the poll path is benchmarked).
    now: float
    directives: Directives = NONE
    request_id: str = ""
    #: The body's bytes once read (a fault's model hint may read them before the handler does),
    #: and the body once parsed: the journal keeps a summary of it.
    raw: bytes | None = None
    parsed: tuple[str, Any] | None = field(default=None)

    async def raw_body(self) -> bytes:
        """The request body's bytes, read once, within the server's limits."""
        if self.raw is None:
            config = self.mock.config
            self.raw = await read_raw(self.request, config.max_body_bytes, config.body_timeout)
        return self.raw

    async def body(self) -> tuple[str, Any]:
        """('json' | 'form', value): the body read and parsed once (bodies.read_body)."""
        if self.parsed is None:
            self.parsed = await read_body(self.request, await self.raw_body(), self.mock.config)
        return self.parsed

    def header(self, name: bytes) -> str | None:
        value = self.headers.get(name)
        return None if value is None else value.decode("latin-1")

    @property
    def base_url(self) -> str:
        """scheme://host[:port][root_path], from the scope (Starlette's URL objects cost more)."""
        scope = self.request.scope
        # the Host header, or the server's address where there is none (a list in Starlette's
        # TestClient, a tuple from uvicorn: a tuple either way, to be a key)
        server = scope.get("server")
        place = (
            scope.get("scheme", "http"),
            self.headers.get(b"host") or (tuple(server) if server else None),
            scope.get("root_path", ""),
        )
        found = _BASE_URLS.get(place)
        if found is None:
            scheme, host, root = place
            if isinstance(host, bytes):
                netloc = host.decode("latin-1")
            else:
                server = host or ("localhost", 80)
                netloc = f"{server[0]}:{server[1]}"
            found = f"{scheme}://{netloc}{root}"
            if len(_BASE_URLS) >= 256:
                _BASE_URLS.clear()
            _BASE_URLS[place] = found
        return found

    def path(self, name: str) -> str:
        value: str = self.request.scope["path_params"][name]  # Starlette types them as dict[str, Any]
        return value


#: Base URLs by (scheme, Host, root path): the few a server sees, each built once.
_BASE_URLS: dict[tuple[str, Any, str], str] = {}


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
        queued = mock.faults.take(scope["method"], scope["path"])
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
            now = mock.clock.now()
            request_id = ids.request_id(now, dialect)
            call = None
            key = None
            try:
                directives = Directives.parse(headers, mock.policy, mock.fault_kinds)
                key, owner = mock.keys.caller(headers.get(b"authorization"))
                call = Call(request, mock, key, owner, headers, now, directives, request_id)
                if directives.fault is not None or mock.faults.queue:
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
            mock.journal.record(
                now, scope, key, summarize(*parsed) if parsed else None, response.status_code, warning
            )
            return response

        route.__name__ = handler.__name__
        route.__doc__ = handler.__doc__
        return route

    return wrap
