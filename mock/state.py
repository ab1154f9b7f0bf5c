"""One mock server's state: its specs, key check, policy, media cache, fault catalogue and sessions
(each session holds its own store, clock, ids, journal and queued faults: sessions.py)."""

from __future__ import annotations

from .auth import KeyCheck
from .clock import Clock
from .config import MockConfig
from .faults import Faults, catalogue
from .ids import IdSource
from .journal import Journal
from .lifecycle import Policy
from .media import MediaCache
from .persist import SqliteState
from .sessions import Sessions
from .spec import get_spec
from .store import Store


class MockState:
    def __init__(self, config: MockConfig) -> None:
        self.config = config
        self.aihubmix = get_spec("aihubmix")
        self.apimart = get_spec("apimart")
        self.keys = KeyCheck(config.keys)
        self.policy = Policy(config.policy, config.job_seconds if config.policy == "time" else config.polls)
        self.persist = SqliteState(config.state_file) if config.state_file else None
        self.sessions = Sessions(config, self.persist)
        if self.persist is not None:
            try:
                self.sessions.load(self.persist)
            except BaseException:
                self.persist.close()  # lets go of the file's lock
                raise
        self.media = MediaCache(
            fps=config.fps, cache_dir=config.media_cache_dir, max_renders=config.max_renders
        )
        self.fault_kinds = catalogue(self.aihubmix)  # X-Mock-Fault names -> production's answers

    # The default session's parts, by their names from before sessions (in-process users read
    # `app.state.mock.journal` and the like; the server itself goes through a request's session).
    @property
    def store(self) -> Store:
        return self.sessions.default.store

    @property
    def clock(self) -> Clock:
        return self.sessions.default.clock

    @property
    def ids(self) -> IdSource:
        return self.sessions.default.ids

    @property
    def journal(self) -> Journal:
        return self.sessions.default.journal

    @property
    def faults(self) -> Faults:
        return self.sessions.default.faults

    def close(self) -> None:
        if self.persist is not None:
            self.persist.close()
