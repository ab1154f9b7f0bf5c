"""What every API route shares: faults, the bearer key, the journal and JSON errors.

A plain decorator instead of middleware: it costs one function call, where Starlette's
BaseHTTPMiddleware costs a task and a stream per request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .auth import owner_of
from .errors import ApiError
from .journal import fault_error
from .state import MockState

log = logging.getLogger("aihubmix_mock")


@dataclass(slots=True)
class Call:
    """One API request as a handler sees it."""

    request: Request
    mock: MockState
    key: str
    owner: str
    headers: dict[bytes, bytes]
    journal_body: Any = field(default=None)

    def header(self, name: bytes) -> str | None:
        value = self.headers.get(name)
        return None if value is None else value.decode("latin-1")

    @property
    def base_url(self) -> str:
        """scheme://host[:port][root_path], from the scope (Starlette's URL objects cost more)."""
        scope = self.request.scope
        host = self.headers.get(b"host")
        if host:
            netloc = host.decode("latin-1")
        else:
            server = scope.get("server") or ("localhost", 80)
            netloc = f"{server[0]}:{server[1]}"
        return f"{scope.get('scheme', 'http')}://{netloc}{scope.get('root_path', '')}"

    def path(self, name: str) -> str:
        return self.request.path_params[name]


Handler = Callable[[Call], Awaitable[Response]]


def endpoint(dialect: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def route(request: Request) -> Response:
            mock: MockState = request.app.state.mock
            scope = request.scope
            headers = dict(scope["headers"])  # ASGI servers lower-case the names; one dict, many look-ups
            call = None
            key = None
            try:
                injected = headers.get(b"x-mock-fault")
                if injected:
                    if injected not in (b"429", b"500", b"502", b"503"):
                        raise ApiError(400, "X-Mock-Fault takes 429, 500, 502 or 503", param="X-Mock-Fault")
                    raise fault_error(int(injected))
                queued = mock.faults.take(scope["method"], scope["path"])
                if queued is not None:
                    raise queued
                auth = headers.get(b"authorization")
                key = mock.keys(auth.decode("latin-1") if auth is not None else None)
                call = Call(request, mock, key, owner_of(key), headers)
                response = await handler(call)
            except ApiError as exc:
                response = exc.response(dialect)
            except Exception:  # a bug in the mock must still answer, and say so
                log.exception("unexpected error in %s %s", request.method, request.url.path)
                response = ApiError(500, "internal error in the mock (a bug: please report it)",
                                    type="server_error").response(dialect)
            mock.journal.record(mock.clock.now(), scope, key, call.journal_body if call else None,
                                response.status_code)
            return response

        route.__name__ = handler.__name__
        route.__doc__ = handler.__doc__
        return route

    return wrap
