"""The request journal: what clients sent (queued faults live in faults.py)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from itertools import chain
from typing import Any

import orjson
from starlette.types import Scope

from .auth import redact

#: Headers that carry a credential, by name, and any header or query parameter whose name says so.
_SECRET_HEADERS = {
    b"authorization",
    b"proxy-authorization",
    b"cookie",
    b"set-cookie",
    b"api-key",
    b"x-api-key",
    b"x-goog-api-key",
    b"x-mock-control-key",
}
#: Left out of the journal altogether: the entry's `key` already shows the bearer key, redacted.
_DROPPED_HEADERS = {b"authorization", b"proxy-authorization", b"cookie", b"x-mock-control-key"}
_SECRET_WORDS = ("key", "token", "secret", "auth", "password", "signature", "credential", "session")

#: What one entry keeps at most: longer header values and query strings are cut with a marker,
#: headers past the count are summarised; the body summary is bounded by bodies.summarize.
MAX_VALUE = 512
MAX_HEADERS = 64

#: ASGI headers: (lower-case name, value) pairs, both bytes.
Headers = tuple[tuple[bytes, bytes], ...]
#: One request as kept: at, method, path, query, headers, redacted key, body summary, status, the
#: warning it was answered with (unconfirmed rules, message) or None, and its size in bytes last.
Warning = tuple[str, str]
Kept = tuple[float, str, str, bytes, Headers, str | None, Any, int, Warning | None, int]


def _secret(name: str) -> bool:
    name = name.lower()
    return any(word in name for word in _SECRET_WORDS)


def _cut(text: str, limit: int = MAX_VALUE) -> str:
    return text if len(text) <= limit else text[:limit] + f"…(cut: {len(text)} chars)"


def _redacted(value: str) -> str:
    return redact(value.partition(" ")[2].strip() or value) or ""


def _bounded(raw: Sequence[tuple[bytes, bytes]]) -> Headers:
    kept: list[tuple[bytes, bytes]] = []
    for name, value in raw[:MAX_HEADERS]:
        if name in _SECRET_HEADERS or _secret(name.decode("latin-1")):
            value = _redacted(value.decode("latin-1")).encode()
        kept.append(
            (name[:MAX_VALUE], value if len(value) <= MAX_VALUE else _cut(value.decode("latin-1")).encode())
        )
    if len(raw) > MAX_HEADERS:
        kept.append((b"x-mock-journal-note", f"{len(raw) - MAX_HEADERS} more headers not kept".encode()))
    return tuple(kept)


def _query(raw: bytes) -> str:
    text = raw.decode("latin-1")
    if any(word in text.lower() for word in _SECRET_WORDS):
        parts = []
        for pair in text.split("&"):
            name, eq, value = pair.partition("=")
            parts.append(f"{name}={redact(value) or ''}" if eq and _secret(name) else pair)
        text = "&".join(parts)
    return text


#: The request headers' total bytes (names and values), when a guard in front has counted them
#: already (app.Guard does, for its 431 limit): the journal then does not walk the headers again.
HEADER_BYTES = "aihubmix_mock.header_bytes"


def header_bytes(headers: Sequence[tuple[bytes, bytes]]) -> int:
    """Names and values, summed at C speed (no Python frame per header)."""
    return sum(map(len, chain.from_iterable(headers)))


def _body_size(body: Any) -> int:
    try:
        return len(orjson.dumps(body, default=str))
    except TypeError:
        return 1024


class Journal:
    """Entries are kept as the raw pieces of the request and turned into dicts only when read:
    the journal costs the hot path one tuple. Bounded in count (`size`) and in bytes (`max_bytes`):
    each entry's header values, query and body summary are cut to a few hundred bytes, with a marker."""

    def __init__(self, size: int, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._entries: deque[Kept] = deque()
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0

    def record(
        self, at: float, scope: Scope, key: str | None, body: Any, status: int, warning: Warning | None = None
    ) -> None:
        # A tuple of byte pairs: the garbage collector stops tracking it, so 10 000 entries cost
        # nothing at collection time (a list of headers would be walked on every full collection).
        # Credentials are redacted when the journal is read (cheaper on the hot path); sizes are
        # bounded here, and a long value is redacted at once if it is a credential.
        # This runs on every request: the common case (few, short headers; short path and query)
        # takes one branch each.
        headers = scope["headers"]
        size = scope.get(HEADER_BYTES)
        if size is None:
            size = header_bytes(headers)
        if len(headers) > MAX_HEADERS or (size > MAX_VALUE and max(len(v) for _, v in headers) > MAX_VALUE):
            headers = _bounded(headers)
            size = header_bytes(headers)
        else:
            headers = tuple(headers)
        query = scope["query_string"]
        if len(query) > 2048:
            query = query[:2048] + b"...(cut: %d bytes)" % len(query)
        path = scope["path"]
        if len(path) > MAX_VALUE:
            path = _cut(path)
        # What the entry holds, roughly: its strings, 40 bytes of overhead a header, and its body
        # summary twice (as Python objects).
        size += 200 + len(path) + len(query) + 40 * len(headers)
        if body is not None:
            size += 2 * _body_size(body)
        if warning is not None:
            size += len(warning[0]) + len(warning[1])
        entries = self._entries
        entries.append((at, scope["method"], path, query, headers, redact(key), body, status, warning, size))
        self.bytes += size
        if len(entries) > self.size or self.bytes > self.max_bytes:
            while len(entries) > self.size or (self.bytes > self.max_bytes and len(entries) > 1):
                self.bytes -= entries.popleft()[-1]

    @staticmethod
    def _entry(raw: Kept) -> dict[str, Any]:
        at, method, path, query, headers, key, body, status, warning, _ = raw
        shown: dict[str, str] = {}
        for name, value in headers:  # ASGI header names are lower-case
            if name in _DROPPED_HEADERS:
                continue
            text = name.decode("latin-1")
            decoded = value.decode("latin-1")
            shown[text] = _redacted(decoded) if name in _SECRET_HEADERS or _secret(text) else decoded
        return {
            "at": at,
            "method": method,
            "path": path,
            "query": _query(query) if query else "",
            "headers": shown,
            "key": key,
            "body": body,
            "status": status,
            "warning": None if warning is None else {"rules": warning[0].split(", "), "message": warning[1]},
        }

    def entries(
        self,
        method: str | None = None,
        path_prefix: str | None = None,
        limit: int = 1000,
        warned: bool | None = None,
    ) -> list[dict[str, Any]]:
        """Oldest first; `warned=True` keeps the requests accepted with a warning (unconfirmed rules
        broken), `False` the others."""
        out = [
            raw
            for raw in self._entries
            if (method is None or raw[1] == method.upper())
            and (path_prefix is None or raw[2].startswith(path_prefix))
            and (warned is None or (raw[8] is not None) == warned)
        ]
        return [self._entry(raw) for raw in out[-limit:]]

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0
