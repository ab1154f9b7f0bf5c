"""One API request as a handler sees it (`Call`): the request, the caller's session and key, the
clock reading, the directives, and the body read once. Made by endpoint.py, read by the handlers
and by validation.py, which therefore need not import the endpoint layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from .bodies import read_body, read_raw
from .directives import NONE, Directives
from .lifecycle import Policy
from .sessions import Session
from .state import MockState


@dataclass(slots=True)
class Call:
    """One API request as a handler sees it."""

    request: Request
    mock: MockState
    #: The caller's session (X-Mock-Session; the default one without it): its store, clock, ids…
    session: Session
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

    @property
    def policy(self) -> Policy:
        """This request's lifecycle policy: X-Mock-Policy, else the server's."""
        return self.directives.policy or self.mock.policy

    @property
    def outcome(self) -> str:
        """How this request's job ends, unless its prompt says `[mock:fail]` (jobs.py)."""
        return self.directives.outcome or self.mock.config.outcome

    def job_fields(self) -> dict[str, Any]:
        """What a new job takes from this request (jobs.new_job's keyword arguments): its owner,
        session, time, policy and outcome."""
        return {
            "owner": self.owner,
            "session": self.session.name,
            "now": self.session.clock.now(),
            "policy": self.policy,
            "outcome": self.outcome,
        }

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
