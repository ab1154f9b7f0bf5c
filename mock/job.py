"""A generation job as the mock holds it: plain data, below everything that stores or shows it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

#: The session of requests without `X-Mock-Session` (sessions.py).
DEFAULT_SESSION = "default"


@dataclass(slots=True)
class Job:
    id: str
    owner: str
    dialect: str  # "aihubmix" | "apimart"
    model: str
    variant: str  # the request schema it was validated by
    shape: str  # "sora" | "gateway" | "apimart"
    prompt: str
    width: int
    height: int
    duration: int
    size: str | None  # as asked (the Sora shape echoes it)
    seconds: str | None  # as asked (the Sora shape echoes it)
    initial: str  # "queued" | "in_progress"
    created_at: float
    policy: str
    policy_arg: float
    ttl: int  # seconds from completion until the download expires
    delete_supported: bool = True
    outcome: str = "completed"
    error_message: str | None = None
    status: str = ""
    progress: int = 0
    polls: int = 0
    completed_at: float | None = None
    remixed_from: str | None = None
    audio: bool = False  # the MP4 carries an AAC track (the variant's x-audio)
    session: str = DEFAULT_SESSION  # the X-Mock-Session it belongs to (sessions.py)

    def __post_init__(self) -> None:
        if not self.status:
            self.status = self.initial

    @property
    def expires_at(self) -> float | None:
        return None if self.completed_at is None else self.completed_at + self.ttl

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
