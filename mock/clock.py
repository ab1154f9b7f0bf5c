"""The mock's time: wall-clock at start, then monotonic, plus whatever tests advance it by.

Lifecycles and expiry read only this clock, so a test moves a job on with
`POST /__mock/clock/advance` instead of sleeping, and time never runs backwards.
"""

from __future__ import annotations

import threading
import time


class Clock:
    def __init__(self) -> None:
        self._epoch = time.time()
        self._mono = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._epoch + (time.monotonic() - self._mono) + self._offset

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0

    @property
    def offset(self) -> float:
        return self._offset

    def restore_offset(self, offset: float) -> None:
        with self._lock:
            self._offset = max(self._offset, offset)
