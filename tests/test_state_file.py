"""The state file (issue 12): locked for one server, versioned, refused at start when unusable,
and never a 500 or a blocked event loop when a write fails while serving."""

from __future__ import annotations

import os
import sqlite3
import subprocess

import pytest
from starlette.testclient import TestClient

from aihubmix_mock import create_app
from aihubmix_mock.persist import FORMAT, SqliteState, StateFileError

from .test_cli import BIN, Server

AUTH = {"Authorization": "Bearer sk-state-file-test"}
SORA = {"model": "sora-2", "prompt": "p"}


def _start(path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN, "serve", "--port", "0", "--state-file", str(path)], capture_output=True, text=True, timeout=30
    )


def test_a_second_server_on_the_same_file_refuses_to_start(tmp_path):
    path = tmp_path / "state.db"
    server = Server("--state-file", str(path))
    try:
        result = _start(path)
        assert result.returncode == 2 and "another mock server is using it" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        assert server.stop() == 0
    first = SqliteState(str(path))  # free again once the first one stopped
    first.close()


def test_the_lock_is_held_in_process_too(tmp_path):
    path = str(tmp_path / "state.db")
    app = create_app(state_file=path)
    try:
        with pytest.raises(StateFileError, match="another mock server"):
            create_app(state_file=path)
    finally:
        app.state.mock.close()


@pytest.mark.parametrize(
    "content, words",
    [
        (b"this is not a database at all" * 100, "cannot use it"),
        (b"SQLite format 3\x00" + b"\x10\x00" + b"\x00" * 50, "cannot use it"),  # a header, then nothing
    ],
)
def test_garbage_and_truncated_files_are_refused_clearly(tmp_path, content, words):
    path = tmp_path / "state.db"
    path.write_bytes(content)
    result = _start(path)
    assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr


def test_a_truncated_real_file_is_refused(tmp_path):
    path = tmp_path / "state.db"
    app = create_app(state_file=str(path))
    client = TestClient(app)
    for _ in range(300):
        client.post("/v1/videos", json={**SORA, "prompt": "p" * 500}, headers=AUTH)
    app.state.mock.close()
    size = path.stat().st_size
    assert size > 8192
    with open(path, "r+b") as handle:
        handle.truncate(size // 2)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(f"{path}{suffix}"):
            os.unlink(f"{path}{suffix}")
    result = _start(path)
    assert result.returncode == 2 and str(path) in result.stderr and "Traceback" not in result.stderr


def test_a_newer_format_is_refused_and_an_older_one_migrated(tmp_path):
    newer = tmp_path / "newer.db"
    db = sqlite3.connect(newer)
    db.execute(f"PRAGMA user_version = {FORMAT + 1}")
    db.close()
    result = _start(newer)
    assert result.returncode == 2 and "newer mock" in result.stderr

    older = tmp_path / "older.db"  # the format before versions: same tables, user_version 0
    db = sqlite3.connect(older)
    db.execute("CREATE TABLE jobs (id TEXT PRIMARY KEY, seq INTEGER, data TEXT NOT NULL)")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.commit()
    db.close()
    SqliteState(str(older)).close()
    db = sqlite3.connect(older)
    assert db.execute("PRAGMA user_version").fetchone()[0] == FORMAT
    db.close()


def test_a_read_only_file_is_refused(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes read-only files: the check cannot be seen as root")
    path = tmp_path / "state.db"
    SqliteState(str(path)).close()
    path.chmod(0o444)
    result = _start(path)
    assert result.returncode == 2 and "not writable" in result.stderr


def test_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("this user writes read-only folders (root)")
        result = _start(folder / "state.db")
        assert result.returncode == 2 and "not writable" in result.stderr
    finally:
        folder.chmod(0o755)


def test_a_folder_given_as_file_is_refused(tmp_path):
    result = _start(tmp_path)
    assert result.returncode == 2 and "is a folder" in result.stderr


def test_a_write_that_fails_while_serving_is_a_503_and_undone(tmp_path):
    path = str(tmp_path / "state.db")
    app = create_app(state_file=path)
    client = TestClient(app)
    try:
        assert client.post("/v1/videos", json=SORA, headers=AUTH).status_code == 200
        # Another process holds SQLite's write lock (e.g. the sqlite3 shell): the create must not
        # wait seconds on the event loop, nor answer 500.
        other = sqlite3.connect(path, timeout=0)
        other.execute("BEGIN IMMEDIATE")
        try:
            held = client.post("/v1/videos", json=SORA, headers=AUTH)
        finally:
            other.rollback()
            other.close()
        assert held.status_code == 503 and held.headers["retry-after"]
        assert "the state file cannot be written" in held.json()["error"]["message"]
        assert client.get("/__mock/health").json()["jobs"] == 1, "the failed create was kept in memory"
        assert client.post("/v1/videos", json=SORA, headers=AUTH).status_code == 200
    finally:
        app.state.mock.close()


def test_a_place_nobody_may_write_is_refused(tmp_path):
    """Seen as any user, root included: /proc takes no new files."""
    result = _start("/proc/aihubmix-mock-state.db")
    assert result.returncode == 2 and "/proc/aihubmix-mock-state.db" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_locked_by_sqlite_at_start_is_refused_without_waiting(tmp_path):
    path = tmp_path / "state.db"
    SqliteState(str(path)).close()
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    try:
        result = _start(path)
    finally:
        other.rollback()
        other.close()
    assert result.returncode == 2 and "locked" in result.stderr and "Traceback" not in result.stderr
