"""The request journal (what clients sent) and queued faults (what the mock answers instead)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .auth import redact
from .errors import ApiError

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


@dataclass
class Fault:
    status: int
    count: int
    retry_after: int = 1
    method: str | None = None
    path_prefix: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and \
               (self.path_prefix is None or path.startswith(self.path_prefix))


def fault_error(status: int, retry_after: int = 1) -> ApiError:
    if status == 429:
        return ApiError(429, "Rate limit reached (injected by the mock)", type="rate_limit_error",
                        code="rate_limit_exceeded", headers={"Retry-After": str(retry_after)})
    return ApiError(status, "no_valid_channel_error (injected by the mock)", type="Aihubmix_api_error",
                    code="server_error")


class Faults:
    def __init__(self) -> None:
        self._queue: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._queue.append(fault)

    def clear(self) -> None:
        self._queue.clear()

    def take(self, method: str, path: str) -> ApiError | None:
        if not self._queue:
            return None
        for fault in self._queue:
            if fault.matches(method, path):
                fault.count -= 1
                if fault.count <= 0:
                    self._queue.remove(fault)
                return fault_error(fault.status, fault.retry_after)
        return None
