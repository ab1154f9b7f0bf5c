"""Sessions: what one test run owns on a shared mock, named by the request header `X-Mock-Session`.

A session holds its own jobs, clock, id sequence (under a seed), queued faults and journal, so two
CI jobs or two pytest-xdist workers on one server never see, reset or steal each other's. A request
without the header uses the default session (named `default`): a server nobody sends the header to
behaves exactly as before sessions. The control plane acts on the caller's session.

Bounded like everything else: at most `max_sessions` sessions (then 429 until idle ones are
dropped), and `max_jobs` counts the jobs of all sessions together. A session's name follows the
pattern of the `X-Mock-Session` parameter in openapi/control-plane.yaml (the spec's, not a copy).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

from .clock import Clock
from .config import MockConfig
from .errors import ApiError
from .faults import Faults
from .ids import IdSource
from .job import DEFAULT_SESSION
from .journal import Journal
from .lifecycle import refresh
from .persist import SqliteState
from .spec import get_spec
from .store import Store, Tally

HEADER = b"x-mock-session"


def name_pattern() -> re.Pattern[str]:
    """The pattern a session name must match: the spec's `components/parameters/MockSession`."""
    schema = get_spec("control-plane").document["components"]["parameters"]["MockSession"]["schema"]
    return re.compile(schema["pattern"])


class Session:
    """One test run's state. `used`: time.monotonic() of its last request (named sessions only)."""

    __slots__ = ("name", "store", "clock", "ids", "journal", "faults", "used", "_persist")

    def __init__(self, name: str, config: MockConfig, persist: SqliteState | None, tally: Tally) -> None:
        self.name = name
        self._persist = persist
        self.clock = Clock()
        self.ids = IdSource(config.seed)
        self.store = Store(
            config.max_jobs,
            persist,
            refresh=refresh,
            max_per_owner=config.max_jobs_per_key,
            tally=tally,
            session=name,
        )
        self.journal = Journal(config.journal_size, config.journal_max_bytes)
        self.faults = Faults()
        self.used = time.monotonic()

    def reset(self) -> None:
        """Forget this session's jobs, journal and queued faults; its clock goes back; seeded ids
        start over, as on a fresh server."""
        self.store.clear()  # and its rows in the state file, clock offset included
        self.journal.clear()
        self.faults.clear()
        self.clock.reset()
        self.ids.reseed(self.ids.seed)

    def advance_clock(self, seconds: float) -> float:
        now = self.clock.advance(seconds)
        if self._persist is not None:
            self._persist.set_clock_offset(self.name, self.clock.offset)
        return now

    def summary(self, now: float) -> dict[str, Any]:
        return {
            "name": self.name,
            "jobs": len(self.store),
            "clock": self.clock.now(),
            # the default session is never dropped, so its idle time is not kept (the hot path)
            "idle_seconds": None if self.name == DEFAULT_SESSION else round(max(0.0, now - self.used), 3),
            "faults_queued": sum(f.count for f in self.faults.queue),
            "journal_entries": len(self.journal),
            "seed": self.ids.seed,
        }


class Sessions:
    """Every session of one server, by name; the default one always exists."""

    def __init__(self, config: MockConfig, persist: SqliteState | None = None) -> None:
        self.config = config
        self.max_sessions = config.max_sessions
        self.tally = Tally()  # all sessions' jobs, against max_jobs
        self._persist = persist
        self._pattern = name_pattern()
        self.default = Session(DEFAULT_SESSION, config, persist, self.tally)
        self._by_name: dict[str, Session] = {DEFAULT_SESSION: self.default}
        #: The raw header values already seen, for the hot path: one dict look-up per request.
        self._by_raw: dict[bytes, Session] = {DEFAULT_SESSION.encode(): self.default}

    def __len__(self) -> int:
        return len(self._by_name)

    def __iter__(self) -> Iterator[Session]:
        return iter(list(self._by_name.values()))

    @property
    def jobs(self) -> int:
        return self.tally.jobs

    def of(self, raw: bytes | None) -> Session:
        """The session a request names in `X-Mock-Session` (None: the default), made on first use."""
        if raw is None:
            return self.default
        found = self._by_raw.get(raw)
        if found is None:
            found = self.get(raw.decode("latin-1").strip(), create=True)
            if len(self._by_raw) > 4 * self.max_sessions:  # spellings (" a", "a ") stay bounded too
                self._by_raw = {s.name.encode(): s for s in self._by_name.values()}
            self._by_raw[raw] = found
        found.used = time.monotonic()
        return found

    def get(self, name: str, create: bool = False) -> Session:
        found = self._by_name.get(name)
        if found is not None:
            return found
        if not self._pattern.fullmatch(name):
            raise ApiError(
                400,
                f"X-Mock-Session: {name[:80]!r} is not a session name; use 1 to 64 letters, digits, "
                "'.', '_', ':' or '-', starting with a letter or digit (e.g. ci-job-42 or gw0)",
                param="X-Mock-Session",
            )
        if not create:
            raise ApiError(404, f"no session {name!r}", param="name")
        if len(self._by_name) >= self.max_sessions:
            raise ApiError(
                429,
                f"the mock holds its maximum of {self.max_sessions} sessions; drop idle ones "
                "(DELETE /__mock/sessions?idle_seconds=60), end yours (DELETE /__mock/sessions/NAME) "
                "or start the mock with a larger --max-sessions",
                type="rate_limit_error",
                headers={"Retry-After": "60"},
            )
        session = self._by_name[name] = Session(name, self.config, self._persist, self.tally)
        return session

    def load(self, persist: SqliteState) -> None:
        """The sessions a state file holds: their jobs and clock offsets (beyond max_sessions too:
        nothing acknowledged is dropped at start)."""
        offsets = persist.clock_offsets()
        by_session: dict[str, list[Any]] = {}
        for job in persist.load():
            by_session.setdefault(job.session, []).append(job)
        for name in {*by_session, *offsets}:
            session = self._by_name.get(name)
            if session is None:
                session = self._by_name[name] = Session(name, self.config, self._persist, self.tally)
            session.store.load(by_session.get(name, ()))
            session.clock.restore_offset(offsets.get(name, 0.0))

    def drop(self, name: str) -> bool:
        """Forget a named session altogether (the default one is only reset)."""
        session = self._by_name.get(name)
        if session is None:
            return False
        session.reset()
        if session is not self.default:
            del self._by_name[name]
            self._by_raw = {raw: s for raw, s in self._by_raw.items() if s is not session}
        return True

    def drop_idle(self, idle_seconds: float, keep: Session | None = None) -> list[str]:
        """Drop the named sessions without a request for `idle_seconds` (never the default one,
        nor `keep`, the caller's own); their names."""
        now = time.monotonic()
        idle = [
            s.name
            for s in self._by_name.values()
            if s is not self.default and s is not keep and now - s.used >= idle_seconds
        ]
        for name in idle:
            self.drop(name)
        return idle
