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


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def request_id(now: float, dialect: str) -> str:
    """A request id shaped like the gateway's, stamped with the mock's clock (UTC).

    AIHubMix's tid: 31 digits, `YYYYMMDDhhmmss` + 17 more (AHM-03 "2026053101460281782277174636336").
    APIMart's (one-api's): `YYYYMMDDhhmmss` + 9 digits + 8 letters (APM-06 "20260919182056471923385yBRUUrTx").
    """
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(now))
    digits = str(int.from_bytes(os.urandom(8), "big") % 10**17).zfill(17)
    if dialect == "apimart":
        return stamp + digits[:9] + "".join(_LETTERS[b % 52] for b in os.urandom(8))
    return stamp + digits


def model_of(video: str) -> str | None:
    """The model a gateway id names (its base64 JSON before `channel<N>`), or None."""
    head = video.rsplit("channel", 1)[0]
    try:
        data = orjson.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        return None
    model = data.get("model") if isinstance(data, dict) else None
    return model if isinstance(model, str) else None
