"""Jobs, filed per owner (a digest of the key), bounded by a cap and by expiry.

One Store per session (sessions.py); the cap on jobs (`max_jobs`) counts every session's jobs
together (a shared Tally), the cap per key (`max_per_owner`) one session's.
A job another key created is simply not there for you (404), exactly as an unknown id.
A deleted job leaves a marker of its place in the creation order, so a listing can go on `after` it
(openai-python's `for v in client.videos.list(): client.videos.delete(v.id)` pages past deleted ids).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable

from .errors import ApiError, not_found
from .job import Job
from .persist import SqliteState, StoreError

__all__ = ["SWEEP_STEP", "Job", "Store", "StoreError", "Tally"]


class Tally:
    """The jobs of all sessions together, against the server's `max_jobs`."""

    __slots__ = ("jobs",)

    def __init__(self) -> None:
        self.jobs = 0


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
        tally: Tally | None = None,
        session: str = "default",
    ) -> None:
        self.max_jobs = max_jobs
        self.max_per_owner = max_per_owner or max_jobs
        self.session = session
        self._refresh = refresh  # lifecycle.refresh: status is materialised lazily
        self._jobs: dict[str, Job] = {}
        self._by_owner: dict[str, dict[str, None]] = {}  # owner -> ids in creation order
        self._persist = persist
        self._tally = Tally() if tally is None else tally  # shared by the sessions of one server
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
        if self._tally.jobs >= self.max_jobs:
            self._evict_some(now)
        if self._tally.jobs >= self.max_jobs:
            raise ApiError(
                429,
                f"the mock holds its maximum of {self.max_jobs} jobs (all sessions together); "
                "delete some, wait for downloads to expire, reset your session or drop idle ones "
                "(DELETE /__mock/sessions?idle_seconds=N), or start it with a larger --max-jobs",
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
        if job.id not in self._jobs:
            self._tally.jobs += 1
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
        if self._jobs.pop(job.id, None) is not None:
            self._tally.jobs -= 1
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
            self._persist.delete(self.session, job.id)

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

    def clear(self) -> None:
        self._tally.jobs -= len(self._jobs)
        self._jobs.clear()
        self._by_owner.clear()
        self._seq.clear()
        self._gone.clear()
        self._sweep.clear()
        if self._persist is not None:
            self._persist.clear(self.session)

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
