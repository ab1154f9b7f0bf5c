"""Optional state file (`--state-file`): jobs and the clock offset in SQLite, written through on
every change, so a restart or SIGTERM loses nothing that was acknowledged.

At start the file is locked for this process alone (a second server on the same file refuses to
start), its format version is checked (older: migrated; newer: refused), it is checked for
corruption and for being writable. Any problem is a StateFileError with a message that says what
to do, which the CLI prints before exiting 2, never a traceback. While serving, a write never waits
on a lock (another process can only hold one through a tool like `sqlite3`) for more than a moment:
the request gets 503 instead.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import sqlite3
import threading
from typing import Any

from .store import Job, StoreError

#: The file format this mock writes: PRAGMA user_version. 0 is the format before versions (same
#: tables), migrated by stamping it.
FORMAT = 1
#: Seconds a write may wait for SQLite's own lock before the request gets 503 (the event loop waits too).
BUSY_SECONDS = 0.05


class StateFileError(ValueError):
    """The state file cannot be used; the message says why and what to do."""


class SqliteState:
    def __init__(self, path: str) -> None:
        self.path = path
        self._lock_fd = self._take_lock(path)
        try:
            self._db = self._open(path)
        except BaseException:
            os.close(self._lock_fd)
            raise
        self._lock = threading.Lock()

    @staticmethod
    def _take_lock(path: str) -> int:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except IsADirectoryError:
            raise StateFileError(f"state file {path}: is a folder; give a file path") from None
        except PermissionError:
            raise StateFileError(
                f"state file {path}: not writable by this user (read-only file or folder); "
                "give a path the mock may write"
            ) from None
        except OSError as exc:
            raise StateFileError(f"state file {path}: cannot open it ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise StateFileError(
                f"state file {path}: another mock server is using it (the file is locked); "
                "stop that one or give this one another --state-file"
            ) from None
        return fd

    @staticmethod
    def _open(path: str) -> sqlite3.Connection:
        db = None
        try:
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=BUSY_SECONDS)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > FORMAT:
                raise StateFileError(
                    f"state file {path}: written by a newer mock (format {version}; this one "
                    f"reads format {FORMAT} and older); upgrade the mock or give another file"
                )
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise StateFileError(f"state file {path}: damaged ({check}); remove it to start afresh")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("BEGIN IMMEDIATE")  # proves the file is writable now (read-only, full disk)
            db.execute(
                "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, seq INTEGER, data TEXT NOT NULL)"
            )
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute(
                "INSERT INTO meta(key, value) VALUES ('opened_by', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (f"aihubmix-mock pid {os.getpid()}",),
            )
            db.execute(f"PRAGMA user_version = {FORMAT}")
            db.execute("COMMIT")
            return db
        except StateFileError:
            if db is not None:
                db.close()
            raise
        except sqlite3.Error as exc:
            if db is not None:
                db.close()
            raise StateFileError(
                f"state file {path}: cannot use it: {exc} (is it a state file of this mock, "
                "on a writable disk with free space? remove it to start afresh)"
            ) from None

    def _write(self, sql: str, args: tuple[Any, ...] = ()) -> None:
        with self._lock:
            try:
                self._db.execute(sql, args)
            except sqlite3.Error as exc:
                raise StoreError(
                    f"the state file cannot be written ({exc}); the change was not made"
                ) from None

    def save(self, job: Job) -> None:
        self._write(
            "INSERT INTO jobs(id, seq, data) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), ?) "
            "ON CONFLICT(id) DO UPDATE SET data = excluded.data",
            (job.id, json.dumps(job.to_dict())),
        )

    def delete(self, job_id: str) -> None:
        self._write("DELETE FROM jobs WHERE id = ?", (job_id,))

    def clear(self) -> None:
        self._write("DELETE FROM jobs")

    def load(self) -> list[Job]:
        with self._lock:
            try:
                rows = self._db.execute("SELECT data FROM jobs ORDER BY seq").fetchall()
                return [Job.from_dict(json.loads(data)) for (data,) in rows]
            except (sqlite3.Error, ValueError, TypeError) as exc:
                raise StateFileError(
                    f"state file {self.path}: a job cannot be read ({exc}); remove the file to start afresh"
                ) from None

    def clock_offset(self) -> float:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'clock_offset'").fetchone()
        try:
            offset = float(row[0]) if row else 0.0
            if not math.isfinite(offset):
                raise ValueError(offset)
            return offset
        except ValueError:
            raise StateFileError(
                f"state file {self.path}: the clock offset is not a number; remove the file to start afresh"
            ) from None

    def set_clock_offset(self, offset: float) -> None:
        self._write(
            "INSERT INTO meta(key, value) VALUES ('clock_offset', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (str(offset),),
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()
        os.close(self._lock_fd)
