"""Optional state file (`--state-file`): jobs and the clock offset in SQLite, written through on
every change, so a restart or SIGTERM loses nothing that was acknowledged."""

from __future__ import annotations

import json
import sqlite3
import threading

from .store import Job


class SqliteState:
    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, seq INTEGER, data TEXT NOT NULL)")
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def save(self, job: Job) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO jobs(id, seq, data) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), ?) "
                "ON CONFLICT(id) DO UPDATE SET data = excluded.data",
                (job.id, json.dumps(job.to_dict())))

    def delete(self, job_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM jobs")

    def load(self) -> list[Job]:
        with self._lock:
            rows = self._db.execute("SELECT data FROM jobs ORDER BY seq").fetchall()
        return [Job.from_dict(json.loads(data)) for (data,) in rows]

    def clock_offset(self) -> float:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'clock_offset'").fetchone()
        return float(row[0]) if row else 0.0

    def set_clock_offset(self, offset: float) -> None:
        with self._lock:
            self._db.execute("INSERT INTO meta(key, value) VALUES ('clock_offset', ?) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(offset),))

    def close(self) -> None:
        with self._lock:
            self._db.close()
