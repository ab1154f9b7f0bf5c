"""Optional state file (`--state-file`): every session's jobs and clock offset in SQLite, written
through on every change, so a restart or SIGTERM loses nothing that was acknowledged. A session's
journal, queued faults and place in a seeded id sequence are not kept (a restart starts them afresh).

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

from .errors import ApiError
from .job import DEFAULT_SESSION, Job

#: The file format this mock writes: PRAGMA user_version. 0 is the format before versions (the
#: tables of 1), 1 the format before sessions (jobs keyed by id alone, one clock offset in `meta`):
#: both are migrated, their jobs and offset going to the default session.
FORMAT = 2
#: Seconds a write may wait for SQLite's own lock before the request gets 503 (the event loop waits too).
BUSY_SECONDS = 0.05


class StoreError(ApiError):
    """The state file could not be written (disk full, file gone read-only, locked by another
    process): the change is undone and the client gets 503 with Retry-After."""

    def __init__(self, message: str) -> None:
        super().__init__(503, message, type="server_error", headers={"Retry-After": "5"})


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
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            columns = [row[1] for row in db.execute("PRAGMA table_info(jobs)")]
            if columns and "session" not in columns:  # format 0/1: one session's jobs
                db.execute("ALTER TABLE jobs RENAME TO jobs_before_sessions")
            db.execute(
                "CREATE TABLE IF NOT EXISTS jobs (session TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER, "
                "data TEXT NOT NULL, PRIMARY KEY (session, id))"
            )
            db.execute("CREATE TABLE IF NOT EXISTS clocks (session TEXT PRIMARY KEY, offset TEXT NOT NULL)")
            if columns and "session" not in columns:
                db.execute(
                    "INSERT INTO jobs(session, id, seq, data) SELECT ?, id, seq, data FROM jobs_before_sessions",
                    (DEFAULT_SESSION,),
                )
                db.execute("DROP TABLE jobs_before_sessions")
                db.execute(
                    "INSERT OR IGNORE INTO clocks(session, offset) "
                    "SELECT ?, value FROM meta WHERE key = 'clock_offset'",
                    (DEFAULT_SESSION,),
                )
                db.execute("DELETE FROM meta WHERE key = 'clock_offset'")
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
            "INSERT INTO jobs(session, id, seq, data) "
            "VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), ?) "
            "ON CONFLICT(session, id) DO UPDATE SET data = excluded.data",
            (job.session, job.id, json.dumps(job.to_dict())),
        )

    def delete(self, session: str, job_id: str) -> None:
        self._write("DELETE FROM jobs WHERE session = ? AND id = ?", (session, job_id))

    def clear(self, session: str) -> None:
        """Forget one session: its jobs and its clock offset."""
        self._write("DELETE FROM jobs WHERE session = ?", (session,))
        self._write("DELETE FROM clocks WHERE session = ?", (session,))

    def load(self) -> list[Job]:
        """Every session's jobs, in creation order (each knows its session)."""
        with self._lock:
            try:
                rows = self._db.execute("SELECT session, data FROM jobs ORDER BY seq").fetchall()
                jobs = []
                for session, data in rows:
                    job = Job.from_dict(json.loads(data))
                    job.session = session
                    jobs.append(job)
                return jobs
            except (sqlite3.Error, ValueError, TypeError) as exc:
                raise StateFileError(
                    f"state file {self.path}: a job cannot be read ({exc}); remove the file to start afresh"
                ) from None

    def clock_offsets(self) -> dict[str, float]:
        """Each session's clock offset (sessions whose clock never moved have none)."""
        with self._lock:
            rows = self._db.execute("SELECT session, offset FROM clocks").fetchall()
        offsets = {}
        for session, text in rows:
            try:
                offset = float(text)
                if not math.isfinite(offset):
                    raise ValueError(offset)
            except ValueError:
                raise StateFileError(
                    f"state file {self.path}: the clock offset of session {session!r} is not a number; "
                    "remove the file to start afresh"
                ) from None
            offsets[session] = offset
        return offsets

    def set_clock_offset(self, session: str, offset: float) -> None:
        self._write(
            "INSERT INTO clocks(session, offset) VALUES (?, ?) "
            "ON CONFLICT(session) DO UPDATE SET offset = excluded.offset",
            (session, str(offset)),
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()
        os.close(self._lock_fd)
