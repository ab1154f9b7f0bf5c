"""Objects the unit tests build directly, with defaults a test overrides by name."""

from __future__ import annotations

from typing import Any

from aihubmix_mock.store import Job


def make_job(**overrides: Any) -> Job:
    """A Sora job, queued, on a 10-second time policy, unless told otherwise."""
    fields: dict[str, Any] = {
        "id": "v",
        "owner": "o",
        "dialect": "aihubmix",
        "model": "sora-2",
        "variant": "SoraCreateRequest",
        "shape": "sora",
        "prompt": "p",
        "width": 1280,
        "height": 720,
        "duration": 4,
        "size": "1280x720",
        "seconds": "4",
        "initial": "queued",
        "created_at": 1000.0,
        "policy": "time",
        "policy_arg": 10.0,
        "ttl": 86400,
    }
    return Job(**{**fields, **overrides})
