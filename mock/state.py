"""One mock server's state: its specs, store, clock, media cache, journal and faults."""

from __future__ import annotations

from .auth import KeyCheck
from .clock import Clock
from .config import MockConfig
from .journal import Faults, Journal
from .lifecycle import Policy, refresh
from .media import MediaCache
from .spec import get_spec
from .store import Store


class MockState:
    def __init__(self, config: MockConfig) -> None:
        self.config = config
        self.aihubmix = get_spec("aihubmix")
        self.apimart = get_spec("apimart")
        self.clock = Clock()
        self.keys = KeyCheck(config.keys)
        self.policy = Policy(config.policy, config.job_seconds if config.policy == "time" else config.polls)
        self.persist = None
        if config.state_file:
            from .persist import SqliteState

            self.persist = SqliteState(config.state_file)
        self.store = Store(config.max_jobs, self.persist, refresh=refresh, max_per_owner=config.max_jobs_per_key)
        if self.persist is not None:
            try:
                self.store.load(self.persist.load())
                self.clock.restore_offset(self.persist.clock_offset())
            except BaseException:
                self.persist.close()  # lets go of the file's lock
                raise
        self.media = MediaCache(fps=config.fps, cache_dir=config.media_cache_dir, max_renders=config.max_renders)
        self.journal = Journal(config.journal_size, config.journal_max_bytes)
        self.faults = Faults()

    def reset(self) -> None:
        self.store.clear()
        self.journal.clear()
        self.faults.clear()
        self.clock.reset()
        if self.persist is not None:
            self.persist.set_clock_offset(0.0)

    def advance_clock(self, seconds: float) -> float:
        now = self.clock.advance(seconds)
        if self.persist is not None:
            self.persist.set_clock_offset(self.clock.offset)
        return now

    def close(self) -> None:
        if self.persist is not None:
            self.persist.close()
