"""Ids shaped like the gateways' (api-facts.md), from a source that a seed makes reproducible.

AIHubMix: unpadded base64 of `{"model": ..., "id": <upstream id>}` followed by `channel<N>`, so ids
start `eyJ` as in the docs. The URL-safe alphabet keeps `/` out of a path segment.
APIMart: `task_` + a 26-character ULID (004:26).

Unseeded, the random parts come from os.urandom and a ULID's time part from the wall clock. Seeded
(`--seed`, `MockConfig(seed=...)`, `POST /__mock/seed`, like moto's seed endpoint), both come from
a generator of that seed, so two servers given the same seed and the same requests make the same
ids in the same order (the time part becomes a sequence number, still sortable).
"""

from __future__ import annotations

import base64
import itertools
import os
import random
import time
from functools import lru_cache

import orjson

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class IdSource:
    def __init__(self, seed: int | None = None) -> None:
        self.seed: int | None = None
        self._rng: random.Random | None = None
        self._sequence = 0
        self.reseed(seed)

    def reseed(self, seed: int | None) -> None:
        """Start over from `seed` (None: random ids again)."""
        self.seed = seed
        self._rng = None if seed is None else random.Random(seed)
        self._sequence = 0

    def _bytes(self, n: int) -> bytes:
        return os.urandom(n) if self._rng is None else self._rng.randbytes(n)

    def video_id(self, model: str, channel: int) -> str:
        upstream = "video_" + self._bytes(12).hex()
        raw = orjson.dumps({"model": model, "id": upstream})
        return base64.urlsafe_b64encode(raw).decode().rstrip("=") + f"channel{channel}"

    def task_id(self) -> str:
        if self._rng is None:
            millis = int(time.time() * 1000)
        else:
            self._sequence += 1
            millis = self._sequence
        value = (millis << 80) | int.from_bytes(self._bytes(10), "big")
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
    stamp = _stamp(int(now))
    digits = str(next(_sequence))
    if dialect == "apimart":
        return stamp + digits[-9:] + "".join(_ids_rng.choices(_LETTERS, k=8))
    return stamp + digits


# Request ids need to be unique-looking, not secret: the digits after the stamp are a sequence from
# a random start (17 digits for the next 8e16 ids), and the stamp is formatted once per second.
# Both cost next to nothing on the poll path (a random number formatted per request cost 3-5% of
# the poll throughput in make bench).
_ids_rng = random.Random(os.urandom(16))
_sequence = itertools.count(_ids_rng.randrange(10**16, 2 * 10**16))


@lru_cache(maxsize=4)
def _stamp(second: int) -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(second))


def model_of(video: str) -> str | None:
    """The model a gateway id names (its base64 JSON before `channel<N>`), or None."""
    head = video.rsplit("channel", 1)[0]
    try:
        data = orjson.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        return None
    model = data.get("model") if isinstance(data, dict) else None
    return model if isinstance(model, str) else None
