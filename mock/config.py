"""Everything a mock server can be told, with the defaults `make mock` uses."""

from __future__ import annotations

from dataclasses import dataclass


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
    #: Request bodies larger than this get 413.
    max_body_bytes: int = 25 * 1024 * 1024
    #: Channel number in the ids (the gateway's `channel<N>` suffix).
    channel: int = 4010
    #: Optional SQLite file that keeps jobs across restarts.
    state_file: str | None = None
    #: Optional folder that keeps rendered media across restarts.
    media_cache_dir: str | None = None
    #: Journal entries kept (oldest dropped first).
    journal_size: int = 10_000
    #: Frames per second of rendered MP4s (low keeps encoding cheap; duration is exact either way).
    fps: int = 1
    #: Seed of the ids' random parts: the same seed and requests give the same ids (None: random).
    seed: int | None = None
    #: Which rules a create must keep: "production" (default) rejects what production is known to
    #: reject (rules whose x-rules production.status is confirmed) and accepts the rest with
    #: X-Mock-Unconfirmed-Rules / X-Mock-Warning; "documents" rejects every rule the spec documents.
    #: Per request: header X-Mock-Rules.
    rules: str = "production"

    def __post_init__(self) -> None:
        if self.policy not in ("time", "polls", "manual"):
            raise ValueError(f"policy must be time, polls or manual, not {self.policy!r}")
        if self.outcome not in ("completed", "failed"):
            raise ValueError(f"outcome must be completed or failed, not {self.outcome!r}")
        if self.job_seconds < 0:
            raise ValueError("job_seconds must be >= 0")
        if self.polls < 1:
            raise ValueError("polls must be >= 1")
        if self.seed is not None and not 0 <= self.seed <= 2**32 - 1:
            raise ValueError("seed must be a whole number from 0 to 4294967295")
        if self.max_jobs < 1:
            raise ValueError("max_jobs must be >= 1")
        if self.rules not in ("production", "documents"):
            raise ValueError(f"rules must be production or documents, not {self.rules!r}")
