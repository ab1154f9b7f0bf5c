"""The request journal: what clients sent (queued faults live in faults.py)."""

from __future__ import annotations

from collections import deque

from .auth import redact

_HIDDEN_HEADERS = {"authorization", "cookie", "x-api-key", "proxy-authorization"}


class Journal:
    """Entries are kept as the raw pieces of the request and turned into dicts only when read:
    the journal costs the hot path one tuple."""

    def __init__(self, size: int) -> None:
        self._entries: deque[tuple] = deque(maxlen=size)

    def record(self, at: float, scope: dict, key: str | None, body, status: int) -> None:
        # A tuple of byte pairs: the garbage collector stops tracking it, so 10 000 entries cost
        # nothing at collection time (a list of headers would be walked on every full collection).
        self._entries.append((at, scope["method"], scope["path"], scope.get("query_string", b""),
                              tuple(scope["headers"]), redact(key), body, status))

    @staticmethod
    def _entry(raw: tuple) -> dict:
        at, method, path, query, headers, key, body, status = raw
        names = ((k.decode("latin-1"), v) for k, v in headers)  # ASGI header names are lower-case
        shown = {name: v.decode("latin-1") for name, v in names if name not in _HIDDEN_HEADERS}
        return {"at": at, "method": method, "path": path, "query": query.decode("latin-1"), "headers": shown,
                "key": key, "body": body, "status": status}

    def entries(self, method: str | None = None, path_prefix: str | None = None, limit: int = 1000) -> list[dict]:
        out = [raw for raw in self._entries
               if (method is None or raw[1] == method.upper())
               and (path_prefix is None or raw[2].startswith(path_prefix))]
        return [self._entry(raw) for raw in out[-limit:]]

    def clear(self) -> None:
        self._entries.clear()
