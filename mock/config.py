"""Everything a mock server can be told, with the defaults `make mock` uses.

Every value is checked here, so a bad option stops the server at start with a message (the CLI
prints it and exits 2) instead of a server that starts and then answers 500.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Idle keep-alive seconds of a served mock (CLI and pytest plugin): longer than the pool expiry of
#: common clients (httpx 5 s, Node 4-5 s, aiohttp 15 s, Go's net/http 90 s), so a client never
#: sends on a connection the mock is closing (uvicorn's own 5 s raced the contract suite).
IDLE_TIMEOUT = 120.0


@dataclass
class MockConfig:
    #: Lifecycle policy for new jobs: "time" (job_seconds from creation to completed),
    #: "polls" (completed on the Nth status poll) or "manual" (only the control plane moves it).
    policy: str = "time"
    job_seconds: float = 5.0
    polls: int = 3
    #: How new jobs end unless a request says otherwise (X-Mock-Outcome, `[mock:fail]`).
    outcome: str = "completed"
    #: Accepted bearer keys; None accepts any well-formed key.
    keys: list[str] | None = None
    #: Jobs kept at most; beyond it, expired and deleted jobs are dropped first, then creates get 429.
    max_jobs: int = 100_000
    #: Jobs one key may hold at once (then 429 for that key only), so one client cannot fill the
    #: store for the others.
    max_jobs_per_key: int = 20_000
    #: Request bodies larger than this get 413.
    max_body_bytes: int = 25 * 1024 * 1024
    #: Longest `prompt` (in characters) the mock keeps; longer ones get 400. A mock cap, not a
    #: production rule: the documents give none except Sora's 32 000 (which the spec enforces first).
    max_prompt_chars: int = 100_000
    #: Channel number in the ids (the gateway's `channel<N>` suffix).
    channel: int = 4010
    #: Optional SQLite file that keeps jobs across restarts.
    state_file: str | None = None
    #: Optional folder that keeps rendered media across restarts.
    media_cache_dir: str | None = None
    #: Journal entries kept (oldest dropped first), and the bytes they may hold in all.
    journal_size: int = 10_000
    journal_max_bytes: int = 64 * 1024 * 1024
    #: Frames per second of rendered MP4s (low keeps encoding cheap; duration is exact either way).
    fps: int = 1
    #: Seed of the ids' random parts: the same seed and requests give the same ids (None: random).
    seed: int | None = None
    #: Which rules a create must keep: "production" (default) rejects structural mistakes (x-rules
    #: kind structural) and what production is known to reject (production.status confirmed), and
    #: accepts the rest with X-Mock-Unconfirmed-Rules / X-Mock-Warning; "documents" rejects every
    #: rule the spec documents.
    #: Per request: header X-Mock-Rules.
    rules: str = "production"
    #: Media renders (encodes) running at once; more wait their turn (memory: a 4K encode holds ~50 MB).
    max_renders: int = 2
    #: Seconds a request body may stall between two chunks before the request gets 408.
    body_timeout: float = 30.0
    #: Headers per request and their total size; beyond either, 431.
    max_headers: int = 100
    max_header_bytes: int = 16 * 1024
    #: A key the control plane (/__mock, except health) requires in `X-Mock-Control-Key`; None: open.
    control_key: str | None = None
    #: Host header values accepted (DNS-rebinding guard); None accepts any (the CLI sets the
    #: loopback names when it binds to loopback).
    allowed_hosts: list[str] | None = None

    def __post_init__(self) -> None:
        if self.policy not in ("time", "polls", "manual"):
            raise ValueError(f"policy must be time, polls or manual, not {self.policy!r}")
        if self.outcome not in ("completed", "failed"):
            raise ValueError(f"outcome must be completed or failed, not {self.outcome!r}")
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed <= 2**32 - 1
        ):
            raise ValueError("seed must be a whole number from 0 to 4294967295")
        if self.rules not in ("production", "documents"):
            raise ValueError(f"rules must be production or documents, not {self.rules!r}")
        self._number("job_seconds", low=0, high=10 * 365 * 86400)
        self._number("body_timeout", low=0.001, high=3600)
        for name, low, high in (
            ("polls", 1, 10**6),
            ("max_jobs", 1, 10**8),
            ("max_jobs_per_key", 1, 10**8),
            ("max_body_bytes", 1, 2**31),
            ("max_prompt_chars", 1, 2**31),
            ("channel", 0, 10**9),
            ("journal_size", 1, 10**7),
            ("journal_max_bytes", 1024, 2**40),
            ("fps", 1, 120),
            ("max_renders", 1, 64),
            ("max_headers", 8, 10_000),
            ("max_header_bytes", 1024, 2**24),
        ):
            self._whole(name, low, high)
        if self.control_key is not None and not self.control_key.strip():
            raise ValueError("control_key must not be empty")

    def _number(self, name: str, low: float, high: float) -> None:
        value = getattr(self, name)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            raise ValueError(
                f"{name.replace('_', '-')} must be a number from {low:g} to {high:g}, not {value!r}"
            )

    def _whole(self, name: str, low: int, high: int) -> None:
        value = getattr(self, name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(
                f"{name.replace('_', '-')} must be a whole number from {low} to {high}, not {value!r}"
            )
