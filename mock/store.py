"""Jobs, filed per owner (a digest of the key), bounded by a cap and by expiry.

A job another key created is simply not there for you (404), exactly as an unknown id.
A deleted job leaves a marker of its place in the creation order, so a listing can go on `after` it
(openai-python's `for v in client.videos.list(): client.videos.delete(v.id)` pages past deleted ids).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from .errors import ApiError, not_found

if TYPE_CHECKING:
    from .persist import SqliteState


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


class StoreError(ApiError):
    """The state file could not be written (disk full, file gone read-only, locked by another
    process): the change is undone and the client gets 503 with Retry-After."""

    def __init__(self, message: str) -> None:
        super().__init__(503, message, type="server_error", headers={"Retry-After": "5"})


#: Jobs looked at per create while the store is full: the sweep for expired jobs is spread over
#: creates, so a create at the cap costs the same whatever the store holds (never a full scan).
SWEEP_STEP = 256


class Store:
    def __init__(
        self,
        max_jobs: int,
        persist: SqliteState | None = None,
        refresh: Callable[[Job, float], None] | None = None,
        max_per_owner: int | None = None,
    ) -> None:
        self.max_jobs = max_jobs
        self.max_per_owner = max_per_owner or max_jobs
        self._refresh = refresh  # lifecycle.refresh: status is materialised lazily
        self._jobs: dict[str, Job] = {}
        self._by_owner: dict[str, dict[str, None]] = {}  # owner -> ids in creation order
        self._persist = persist
        self._seq: dict[str, int] = {}  # id -> place in the creation order
        self._gone: OrderedDict[str, tuple[str, int]] = OrderedDict()  # deleted id -> (owner, place)
        self._next = 0
        self._sweep: list[str] = []  # ids still to look at in the current sweep (popped from the end)

    def __len__(self) -> int:
        return len(self._jobs)

    def add(self, job: Job, now: float) -> None:
        owned = self._by_owner.get(job.owner)
        if owned is not None and len(owned) >= self.max_per_owner:
            raise ApiError(
                429,
                f"this key holds its maximum of {self.max_per_owner} jobs; delete some or wait "
                "for downloads to expire (start the mock with a larger --max-jobs-per-key)",
                type="rate_limit_error",
                headers={"Retry-After": "60"},
            )
        if len(self._jobs) >= self.max_jobs:
            self._evict_some(now)
        if len(self._jobs) >= self.max_jobs:
            raise ApiError(
                429,
                f"the mock holds its maximum of {self.max_jobs} jobs; delete some or wait for "
                "downloads to expire (start it with a larger --max-jobs)",
                type="rate_limit_error",
                headers={"Retry-After": "60"},
            )
        self._place(job)
        try:
            self.save(job)
        except StoreError:
            self.remove(job, persist=False)
            self._gone.pop(job.id, None)  # never created: no place among the deleted either
            raise

    def _place(self, job: Job) -> None:
        self._jobs[job.id] = job
        self._by_owner.setdefault(job.owner, {})[job.id] = None
        self._seq[job.id] = self._next
        self._next += 1

    def save(self, job: Job) -> None:
        if self._persist is not None:
            self._persist.save(job)

    def get(self, owner: str, job_id: str, what: str = "video") -> Job:
        job = self._jobs.get(job_id)
        if job is None or job.owner != owner:
            raise not_found(what)
        return job

    def get_any(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def remove(self, job: Job, persist: bool = True) -> None:
        self._jobs.pop(job.id, None)
        place = self._seq.pop(job.id, None)
        if place is not None:
            self._gone[job.id] = (job.owner, place)
            while len(self._gone) > self.max_jobs:
                self._gone.popitem(last=False)
        owned = self._by_owner.get(job.owner)
        if owned is not None:
            owned.pop(job.id, None)
            if not owned:
                del self._by_owner[job.owner]
        if persist and self._persist is not None:
            self._persist.delete(job.id)

    def owned(self, owner: str, dialect: str, order: str) -> list[Job]:
        ids = list(self._by_owner.get(owner, ()))
        if order == "desc":
            ids.reverse()
        jobs = (self._jobs[i] for i in ids)
        return [j for j in jobs if j.dialect == dialect]

    def page(
        self, owner: str, dialect: str, order: str, after: str | None, limit: int
    ) -> tuple[list[Job], bool]:
        """A page of the owner's jobs after `after` (a live or a deleted id) and whether more follow."""
        jobs = self.owned(owner, dialect, order)
        start = 0
        if after is not None:
            if after in self._jobs and self._jobs[after].owner == owner:
                place = self._seq[after]
            elif after in self._gone and self._gone[after][0] == owner:
                place = self._gone[after][1]
            else:
                raise not_found()
            seq, ascending = self._seq, order == "asc"

            def later(job: Job) -> bool:
                return seq[job.id] > place if ascending else seq[job.id] < place

            start = next((i for i, j in enumerate(jobs) if later(j)), len(jobs))
        return jobs[start : start + limit], start + limit < len(jobs)

    def all(self) -> list[Job]:
        return list(self._jobs.values())

    def clear(self) -> None:
        self._jobs.clear()
        self._by_owner.clear()
        self._seq.clear()
        self._gone.clear()
        self._sweep.clear()
        if self._persist is not None:
            self._persist.clear()

    def load(self, jobs: Iterable[Job]) -> None:
        for job in jobs:
            self._place(job)

    def _evict_some(self, now: float) -> None:
        """Drop jobs whose download has expired, and failed jobs: nothing a client can still fetch.

        At most SWEEP_STEP jobs are looked at per call, resuming where the last call stopped (a new
        sweep starts, oldest first, when the last one is done), so creates at the cap stay cheap."""
        if not self._sweep:
            self._sweep = list(reversed(self._jobs))
        for _ in range(min(SWEEP_STEP, len(self._sweep))):
            job = self._jobs.get(self._sweep.pop())
            if job is None:
                continue
            if self._refresh is not None:
                self._refresh(job, now)
            expires = job.expires_at
            if (expires is not None and expires <= now) or (job.status == "failed"):
                self.remove(job)
