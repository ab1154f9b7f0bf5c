"""Responses built the short way: the same bytes Starlette would send, for a fraction of the cost.

JSON is rendered by orjson, and the raw headers are written directly in the common case:
Starlette's `init_headers` cost more than rendering a poll's body (bench/NOTES.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.background import BackgroundTask
from starlette.responses import JSONResponse, Response

_JSON = (b"content-type", b"application/json")
_OWN = (b"content-length", b"content-type")


class FastJSONResponse(JSONResponse):
    """Starlette's JSONResponse, with the body rendered by orjson and, in the common case, the raw
    headers written directly (Starlette's `init_headers` cost more than the body on the poll path:
    bench/NOTES.md). Same headers, same order: the caller's, then content-length and content-type."""

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        if media_type is not None or status_code < 200 or status_code in (204, 304):
            super().__init__(content, status_code, headers, media_type, background)
            return
        raw: list[tuple[bytes, bytes]] = []
        if headers:
            for name, value in headers.items():
                raw_name = name.lower().encode("latin-1")
                if raw_name in _OWN:  # the caller sets them: Starlette's way
                    super().__init__(content, status_code, headers, media_type, background)
                    return
                raw.append((raw_name, value.encode("latin-1")))
        self.status_code = status_code
        self.background = background
        self.body = body = orjson.dumps(content)
        raw.append((b"content-length", b"%d" % len(body)))
        raw.append(_JSON)
        self.raw_headers = raw

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class BytesResponse(Response):
    """A body of bytes with its media type and the caller's headers, raw: the caller's, then
    content-length and content-type, as Starlette orders them (a download's hot path). For the
    binary media the mock serves: no charset is added, as Starlette would for `text/*`. The list
    passed in becomes the response's."""

    def __init__(
        self, body: bytes, media_type: str, headers: list[tuple[bytes, bytes]], status_code: int = 200
    ) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        headers.append((b"content-length", b"%d" % len(body)))
        headers.append((b"content-type", media_type.encode("latin-1")))
        self.raw_headers = headers
