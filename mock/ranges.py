"""Single byte ranges (RFC 9110) over an in-memory file: 206 with Content-Range, 416 past the end."""

from __future__ import annotations

import re

from starlette.responses import Response

from .errors import ApiError
from .jsonresponse import BytesResponse

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end) inclusive for a single `bytes=` range; None for the whole file; 416 if unsatisfiable."""
    if header is None:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None  # RFC 9110: an invalid Range is ignored
    # Positions past 18 digits are past any file: clamp them instead of converting thousands of digits.
    first, last = (None if g == "" else int(g) if len(g) <= 18 else 10**18 for g in match.groups())
    if first is None:
        assert last is not None  # both empty was answered above
        start, end = max(0, size - last), size - 1
    else:
        start = first
        end = min(last, size - 1) if last is not None else size - 1
        if last is not None and last < start:
            return None
    if start >= size or size == 0:
        raise ApiError(
            416,
            f"range not satisfiable: the file is {size} bytes",
            param="Range",
            headers={"Content-Range": f"bytes */{size}"},
        )
    return start, end


def serve_bytes(data: bytes, media_type: str, range_header: str | None) -> Response:
    span = byte_range(range_header, len(data))
    if span is None:
        return BytesResponse(data, media_type, [_ACCEPT_RANGES])
    start, end = span
    content_range = (b"content-range", f"bytes {start}-{end}/{len(data)}".encode())
    return BytesResponse(data[start : end + 1], media_type, [_ACCEPT_RANGES, content_range], status_code=206)


_ACCEPT_RANGES = (b"accept-ranges", b"bytes")
