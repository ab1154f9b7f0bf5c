"""Ids shaped like the gateways' (api-facts.md).

AIHubMix: unpadded base64 of `{"model": ..., "id": <upstream id>}` followed by `channel<N>`, so ids
start `eyJ` as in the docs. The URL-safe alphabet keeps `/` out of a path segment.
APIMart: `task_` + a 26-character ULID (004:26).
"""

from __future__ import annotations

import base64
import os
import time

import orjson

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def video_id(model: str, channel: int) -> str:
    upstream = "video_" + os.urandom(12).hex()
    raw = orjson.dumps({"model": model, "id": upstream})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + f"channel{channel}"


def task_id() -> str:
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "task_" + "".join(reversed(chars))
