"""One mock server's state: its specs, store, clock, media cache, journal and faults."""

from __future__ import annotations

from .auth import KeyCheck
from .clock import Clock
from .config import MockConfig
from .faults import Faults, catalogue
from .ids import IdSource
from .journal import Journal
from .lifecycle import Policy, refresh
from .media import MediaCache
from .shapes import prepare as prepare_shapes
from .spec import get_spec
from .store import Store


class MockState:
    def __init__(self, config: MockConfig) -> None:
        self.config = config
        self.aihubmix = get_spec("aihubmix")
        self.apimart = get_spec("apimart")
        prepare_shapes(self.aihubmix)  # a response member the mock cannot fill fails here, at start-up
        prepare_shapes(self.apimart)
        self.clock = Clock()
        self.ids = IdSource(config.seed)
        self.keys = KeyCheck(config.keys)
        self.policy = Policy(config.policy, config.job_seconds if config.policy == "time" else config.polls)
        self.persist = None
        if config.state_file:
            from .persist import SqliteState

            self.persist = SqliteState(config.state_file)
        self.store = Store(
            config.max_jobs, self.persist, refresh=refresh, max_per_owner=config.max_jobs_per_key
        )
        if self.persist is not None:
            try:
                self.store.load(self.persist.load())
                self.clock.restore_offset(self.persist.clock_offset())
            except BaseException:
                self.persist.close()  # lets go of the file's lock
                raise
        self.media = MediaCache(
            fps=config.fps, cache_dir=config.media_cache_dir, max_renders=config.max_renders
        )
        self.journal = Journal(config.journal_size, config.journal_max_bytes)
        self.faults = Faults()
        self.fault_kinds = catalogue(self.aihubmix)  # X-Mock-Fault names -> production's answers

    def reset(self) -> None:
        self.store.clear()
        self.journal.clear()
        self.faults.clear()
        self.clock.reset()
        self.ids.reseed(self.ids.seed)  # a seeded mock starts its ids over, as a fresh one would
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
