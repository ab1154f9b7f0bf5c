"""Sessions (`X-Mock-Session`, docs/sessions.md): two test runs on one mock see nothing of each
other's jobs, clock, resets, queued faults, journal or seeded ids; sessions are bounded, listed,
dropped when idle, and kept by the state file."""

from __future__ import annotations

import httpx
import openai
import pytest
from starlette.testclient import TestClient

from aihubmix_mock import MockServer, create_app
from aihubmix_mock.persist import SqliteState

from .test_cli import Server

AUTH = {"Authorization": "Bearer sk-sessions-test"}
SORA = {"model": "sora-2", "prompt": "a paper boat", "seconds": "4"}


def _in(name: str | None) -> dict[str, str]:
    return {**AUTH, **({"X-Mock-Session": name} if name else {})}


def _state_before(url: str) -> list[str]:
    """A server that already holds state: jobs in the default session and in a third one, a
    queued fault there, an advanced clock there."""
    made = []
    for name in (None, "bystander"):
        for _ in range(2):
            r = httpx.post(f"{url}/v1/videos", json=SORA, headers=_in(name))
            assert r.status_code == 200, r.text
            made.append(r.json()["id"])
    headers = {"X-Mock-Session": "bystander"}
    httpx.post(f"{url}/__mock/faults", json={"fault": "balance", "count": 5}, headers=headers)
    httpx.post(f"{url}/__mock/clock/advance", json={"seconds": 1000}, headers=headers)
    return made


def _interleave(url: str) -> None:
    """Sessions a and b take turns: creates, a clock advance, a queued fault, a reset."""
    a, b = _in("ci-job-a"), _in("ci-job-b")
    control_a, control_b = {"X-Mock-Session": "ci-job-a"}, {"X-Mock-Session": "ci-job-b"}
    job_a = httpx.post(f"{url}/v1/videos", json=SORA, headers=a).json()["id"]
    job_b = httpx.post(f"{url}/v1/videos", json=SORA, headers=b).json()["id"]
    # each sees its own job only, though both use the same key
    assert [v["id"] for v in httpx.get(f"{url}/v1/videos", headers=a).json()["data"]] == [job_a]
    assert [v["id"] for v in httpx.get(f"{url}/v1/videos", headers=b).json()["data"]] == [job_b]
    assert httpx.get(f"{url}/v1/videos/{job_b}", headers=a).status_code == 404
    # a's clock moves (5 s jobs complete), b's does not
    clock_b = httpx.get(f"{url}/__mock/health", headers=control_b).json()["clock"]
    httpx.post(f"{url}/__mock/clock/advance", json={"seconds": 600}, headers=control_a).raise_for_status()
    assert httpx.get(f"{url}/v1/videos/{job_a}", headers=a).json()["status"] == "completed"
    assert httpx.get(f"{url}/v1/videos/{job_b}", headers=b).json()["status"] != "completed"
    assert httpx.get(f"{url}/__mock/health", headers=control_b).json()["clock"] - clock_b < 60
    # a fault queued by b is answered to b, never to a
    httpx.post(f"{url}/__mock/faults", json={"fault": "no-channel"}, headers=control_b).raise_for_status()
    assert httpx.get(f"{url}/v1/videos", headers=a).status_code == 200
    stolen = httpx.get(f"{url}/v1/videos", headers=b)
    assert stolen.status_code == 500 and "channel" in stolen.text
    assert httpx.get(f"{url}/v1/videos", headers=b).status_code == 200  # count 1: used up
    # a's reset forgets a's jobs and journal only
    httpx.post(f"{url}/__mock/reset", headers=control_a).raise_for_status()
    assert httpx.get(f"{url}/__mock/journal", headers=control_a).json()["data"] == []
    assert httpx.get(f"{url}/v1/videos", headers=a).json()["data"] == []
    assert [v["id"] for v in httpx.get(f"{url}/v1/videos", headers=b).json()["data"]] == [job_b]
    journal_b = httpx.get(f"{url}/__mock/journal", headers=control_b).json()["data"]
    assert {e["headers"]["x-mock-session"] for e in journal_b} == {"ci-job-b"}
    assert len(journal_b) == 6  # its create, list, poll, the faulted list, two more lists
    # both end, as a finished CI job would
    for name in ("ci-job-a", "ci-job-b"):
        assert httpx.delete(f"{url}/__mock/sessions/{name}").json() == {"ok": True, "dropped": [name]}


def test_two_sessions_interleaving_see_nothing_of_each_other_over_a_socket():
    with MockServer(job_seconds=5) as mock:
        before = _state_before(mock.url)
        for _ in range(2):  # run twice on the same server: the first run leaves nothing behind
            _interleave(mock.url)
        # what was there before is untouched: the default session's jobs, the bystander's fault
        listed = httpx.get(f"{mock.url}/v1/videos", headers=AUTH).json()["data"]
        assert sorted(v["id"] for v in listed) == sorted(before[:2])
        assert httpx.get(f"{mock.url}/v1/videos", headers=_in("bystander")).status_code == 403
        names = [s["name"] for s in httpx.get(f"{mock.url}/__mock/sessions").json()["data"]]
        assert names == ["default", "bystander"]


def test_the_official_client_in_two_sessions_with_default_headers():
    with MockServer(job_seconds=30) as mock:
        _state_before(mock.url)
        clients = {
            name: openai.OpenAI(
                api_key="sk-sessions-test",
                base_url=mock.api_url,
                default_headers={"X-Mock-Session": name},
                max_retries=0,
            )
            for name in ("worker-1", "worker-2")
        }
        one = clients["worker-1"].videos.create(model="sora-2", prompt="one", seconds="4")
        two = clients["worker-2"].videos.create(model="sora-2", prompt="two", seconds="4")
        assert [v.id for v in clients["worker-1"].videos.list()] == [one.id]
        with pytest.raises(openai.NotFoundError):
            clients["worker-1"].videos.retrieve(two.id)
        httpx.post(
            f"{mock.url}/__mock/clock/advance", json={"seconds": 30}, headers={"X-Mock-Session": "worker-2"}
        ).raise_for_status()
        assert clients["worker-2"].videos.retrieve(two.id).status == "completed"
        assert clients["worker-1"].videos.retrieve(one.id).status == "queued"
        content = clients["worker-2"].videos.download_content(two.id)
        assert content.read()[4:8] == b"ftyp"
        httpx.post(
            f"{mock.url}/__mock/faults", json={"fault": "balance"}, headers={"X-Mock-Session": "worker-1"}
        ).raise_for_status()
        assert clients["worker-2"].videos.retrieve(two.id).status == "completed"
        with pytest.raises(openai.PermissionDeniedError):
            clients["worker-1"].videos.retrieve(one.id)


def test_seeded_ids_are_a_sequence_per_session():
    client = TestClient(create_app(job_seconds=0, seed=7))
    first = [client.post("/v1/videos", json=SORA, headers=_in(n)).json()["id"] for n in ("a", "b")]
    assert first[0] == first[1], "each session starts its own sequence from the seed"
    second = client.post("/v1/videos", json=SORA, headers=_in("a")).json()["id"]
    assert second != first[0]
    client.post("/__mock/reset", headers={"X-Mock-Session": "a"})
    assert client.post("/v1/videos", json=SORA, headers=_in("a")).json()["id"] == first[0]
    client.post("/__mock/seed", json={"seed": 8}, headers={"X-Mock-Session": "b"})
    assert client.get("/__mock/sessions").json()["data"][2]["seed"] == 8
    assert client.get("/__mock/sessions").json()["data"][1]["seed"] == 7


def test_the_number_of_sessions_is_bounded_with_a_clear_error():
    client = TestClient(create_app(job_seconds=0, max_sessions=3))
    for name in ("one", "two"):
        assert client.get("/v1/videos", headers=_in(name)).status_code == 200
    refused = client.get("/v1/videos", headers=_in("three"))
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    message = refused.json()["error"]["message"]
    assert "maximum of 3 sessions" in message and "DELETE /__mock/sessions?idle_seconds=" in message
    control = client.post("/__mock/reset", headers={"X-Mock-Session": "three"})
    assert control.status_code == 429 and "--max-sessions" in control.json()["error"]["message"]
    assert client.get("/v1/videos", headers=_in("one")).status_code == 200  # known ones still work
    assert client.delete("/__mock/sessions/two").json()["dropped"] == ["two"]
    assert client.get("/v1/videos", headers=_in("three")).status_code == 200


@pytest.mark.parametrize("name", ["has space", "-leading", "x" * 65, "naïve", "a/b"])
def test_a_bad_session_name_is_a_400_naming_the_header(name):
    client = TestClient(create_app(job_seconds=0))
    for path in ("/v1/videos", "/__mock/health"):
        response = client.get(path, headers={**AUTH, "X-Mock-Session": name.encode("utf-8")})
        assert response.status_code == 400, response.text
        assert "X-Mock-Session" in response.json()["error"]["message"]
    assert [s["name"] for s in client.get("/__mock/sessions").json()["data"]] == ["default"]


def test_all_sessions_jobs_count_against_max_jobs():
    client = TestClient(create_app(job_seconds=3600, max_jobs=3))
    for name in ("a", "b", "c"):
        assert client.post("/v1/videos", json=SORA, headers=_in(name)).status_code == 200
    full = client.post("/v1/videos", json=SORA, headers=_in("d"))
    assert full.status_code == 429 and "all sessions together" in full.json()["error"]["message"]
    listing = client.get("/__mock/sessions").json()
    assert listing["jobs"] == 3 and listing["max_jobs"] == 3
    client.post("/__mock/reset", headers={"X-Mock-Session": "a"})  # frees a's job for anyone
    assert client.post("/v1/videos", json=SORA, headers=_in("d")).status_code == 200


def test_idle_sessions_are_dropped_but_not_the_default_nor_the_callers():
    client = TestClient(create_app(job_seconds=0))
    for name in (None, "old", "mine"):
        client.post("/v1/videos", json=SORA, headers=_in(name))
    assert client.delete("/__mock/sessions", params={"idle_seconds": 3600}).json()["dropped"] == []
    dropped = client.delete("/__mock/sessions?idle_seconds=0", headers={"X-Mock-Session": "mine"})
    assert dropped.json() == {"ok": True, "dropped": ["old"]}
    names = [s["name"] for s in client.get("/__mock/sessions").json()["data"]]
    assert names == ["default", "mine"]
    assert len(client.get("/v1/videos", headers=AUTH).json()["data"]) == 1  # default kept its job
    assert client.delete("/__mock/sessions/old").status_code == 404
    assert client.delete("/__mock/sessions?idle_seconds=-1").status_code == 400


def test_the_apimart_file_link_names_its_session():
    client = TestClient(create_app(job_seconds=0))
    body = {"model": "sora-2", "prompt": "p", "duration": 10}
    task = client.post("/v1/videos/generations", json=body, headers=_in("apimart-run")).json()
    task_id = task["data"][0]["task_id"]
    done = client.get(f"/v1/tasks/{task_id}", headers=_in("apimart-run")).json()["data"]
    url = done["result"]["videos"][0]["url"][0]
    assert url.endswith(f"/apimart/files/{task_id}.mp4?session=apimart-run")
    assert client.get(url).content[4:8] == b"ftyp"  # a CDN-like link: no key, no header
    assert client.get(url.split("?")[0]).status_code == 404  # not in the default session


def _sessions_in(path: str) -> set[str]:
    state = SqliteState(path)
    try:
        return {job.session for job in state.load()}
    finally:
        state.close()


def test_the_state_file_keeps_every_session(tmp_path):
    path = str(tmp_path / "state.db")
    app = create_app(job_seconds=60, state_file=path)
    with TestClient(app) as client:
        kept = {n: client.post("/v1/videos", json=SORA, headers=_in(n)).json()["id"] for n in (None, "s1")}
        client.post("/__mock/clock/advance", json={"seconds": 60}, headers={"X-Mock-Session": "s1"})
    app.state.mock.close()
    assert _sessions_in(path) == {"default", "s1"}
    again = create_app(job_seconds=60, state_file=path)
    try:
        client = TestClient(again)
        assert client.get(f"/v1/videos/{kept[None]}", headers=AUTH).json()["status"] != "completed"
        assert client.get(f"/v1/videos/{kept['s1']}", headers=_in("s1")).json()["status"] == "completed"
        assert client.get(f"/v1/videos/{kept['s1']}", headers=AUTH).status_code == 404
        client.delete("/__mock/sessions/s1")
    finally:
        again.state.mock.close()
    assert _sessions_in(path) == {"default"}


def test_the_cli_bounds_sessions():
    """The entry point a user runs: `aihubmix-mock serve --max-sessions 2` (the default one and one more)."""
    server = Server("--max-sessions", "2")
    try:
        assert httpx.get(f"{server.url}/__mock/health", headers={"X-Mock-Session": "one"}).status_code == 200
        refused = httpx.get(f"{server.url}/__mock/health", headers={"X-Mock-Session": "two"})
        assert refused.status_code == 429 and "maximum of 2 sessions" in refused.text
    finally:
        assert server.stop() == 0


def test_a_state_file_from_before_sessions_is_migrated_to_the_default_session(tmp_path):
    """Format 1: jobs keyed by id alone, one clock offset in `meta`. Nothing is lost."""
    import json
    import sqlite3

    from tests.factories import make_job

    path = tmp_path / "old.db"
    job = make_job(id="video_old", owner=create_app().state.mock.keys.caller(b"Bearer sk-sessions-test")[1])
    data = job.to_dict()
    del data["session"]  # a format-1 job knows no session
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE jobs (id TEXT PRIMARY KEY, seq INTEGER, data TEXT NOT NULL)")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO jobs VALUES ('video_old', 1, ?)", (json.dumps(data),))
    db.execute("INSERT INTO meta VALUES ('clock_offset', '3600.0')")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    app = create_app(job_seconds=0, state_file=str(path))
    try:
        client = TestClient(app)
        assert client.get("/v1/videos/video_old", headers=AUTH).status_code == 200
        assert app.state.mock.sessions.default.clock.offset == 3600.0
    finally:
        app.state.mock.close()
    assert _sessions_in(str(path)) == {"default"}
