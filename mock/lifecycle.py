"""How a job moves: queued (Sora) / in_progress -> completed | failed, by policy.

- time   : `arg` seconds from creation to the end (0: ends on the first status poll);
           Sora jobs spend the first tenth of it queued.
- polls  : ends on the `arg`-th status poll; progress moves a step per poll.
- manual : moves only when the control plane says so.

Status is materialised on the job each time it is read, so it only ever moves forward, and
`progress` never decreases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .job import Job

TERMINAL = ("completed", "failed")
POLICIES = ("time", "polls", "manual")


@dataclass(frozen=True, slots=True)
class Policy:
    kind: str
    arg: float

    @classmethod
    def parse(cls, text: str, default: Policy) -> Policy:
        """`time=5`, `polls=3`, `manual` (the `X-Mock-Policy` header)."""
        name, _, value = text.strip().partition("=")
        name = name.strip().lower()
        if name not in POLICIES:
            raise ValueError(f"policy must be time=<seconds>, polls=<n> or manual, not {text!r}")
        if name == "manual":
            return cls("manual", 0)
        if not value:
            return cls(name, default.arg if default.kind == name else (5.0 if name == "time" else 3))
        number = float(value)
        if name == "time" and not 0 <= number <= 86400:
            raise ValueError("time policy takes 0..86400 seconds")
        if name == "polls" and not (1 <= number <= 10000 and number.is_integer()):
            raise ValueError("polls policy takes a whole number 1..10000")
        return cls(name, number)


def _effective(job: Job) -> tuple[str, float]:
    """A job's policy as it runs: "0 completes on the first poll" (issue 3), so a zero-second job
    is a one-poll job. A plain tuple: this runs twice on every poll (bench/NOTES.md)."""
    if job.policy == "time" and job.policy_arg == 0:
        return "polls", 1
    return job.policy, job.policy_arg


def finish(job: Job, at: float) -> None:
    job.status = job.outcome
    if job.outcome == "completed":
        job.progress = 100
        job.completed_at = at
    else:
        job.completed_at = None


def refresh(job: Job, now: float, *, poll: bool = False) -> None:
    """Bring `job.status` / `job.progress` up to `now`; `poll` counts a status poll."""
    if job.status in TERMINAL:
        return
    kind, arg = _effective(job)
    if kind == "time":
        elapsed = max(0.0, now - job.created_at)
        if elapsed >= arg:
            finish(job, job.created_at + arg)
            return
        fraction = elapsed / arg
        if job.initial == "queued" and fraction < 0.1:
            return
        job.status = "in_progress"
        job.progress = max(job.progress, min(99, int(100 * fraction)))
    elif kind == "polls":
        if not poll:
            return
        job.polls += 1
        if job.polls >= arg:
            finish(job, now)
            return
        job.status = "in_progress"
        job.progress = max(job.progress, min(99, int(100 * job.polls / arg)))


def advance(job: Job, now: float, to: str | None = None, error: str | None = None) -> None:
    """The control plane's push: to the next state, or to `to`."""
    if job.status in TERMINAL:
        raise ValueError(f"job is already {job.status}")
    if to is None:
        to = "in_progress" if job.status == "queued" else job.outcome
    if to == "in_progress":
        job.status = "in_progress"
        job.progress = max(job.progress, 50)
        return
    job.outcome = to
    if to == "failed" and error:
        job.error_message = error
    finish(job, now)


def poll(job: Job, now: float) -> int:
    """A status poll: brings the job up to `now`, counting the poll, and returns the
    `openai-poll-after-ms` hint. A finished job costs one check (the poll path is benchmarked)."""
    if job.status in TERMINAL:
        return 0
    refresh(job, now, poll=True)
    return poll_after_ms(job, now)


def poll_after_ms(job: Job, now: float) -> int:
    """The `openai-poll-after-ms` hint: when the next poll can see a change."""
    if job.status in TERMINAL:
        return 0
    kind, arg = _effective(job)
    if kind == "time":
        remaining = job.created_at + arg - now
        return max(0, min(15000, int(remaining * 1000) + 1))
    if kind == "polls":
        return 0
    return 1000
