"""The pytest plugin, as another project would use it (loaded through its pytest11 entry point)."""

from __future__ import annotations

import httpx
import pytest

AUTH = {"Authorization": "Bearer sk-plugin-test"}


def test_fixtures_in_another_project(pytester):
    pytester.makepyfile(
        test_client="""
        import httpx
        from starlette.testclient import TestClient

        AUTH = {"Authorization": "Bearer sk-mine"}

        def test_server_first(aihubmix_mock_url):
            r = httpx.post(f"{aihubmix_mock_url}/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers=AUTH)
            assert r.status_code == 200
            assert httpx.get(f"{aihubmix_mock_url}/v1/videos/{r.json()['id']}", headers=AUTH).json()["status"] == "completed"

        def test_server_is_reset_between_tests(aihubmix_mock_url):
            assert httpx.get(f"{aihubmix_mock_url}/v1/videos", headers=AUTH).json()["data"] == []

        def test_app_in_process(aihubmix_mock_app):
            client = TestClient(aihubmix_mock_app)
            r = client.post("/v1/videos", json={"model": "veo-2.0-generate-001", "prompt": "p"}, headers=AUTH)
            assert r.json()["duration"] == 8 and r.json()["height"] == 720

        def test_app_is_fresh(aihubmix_mock_app):
            assert TestClient(aihubmix_mock_app).get("/v1/videos", headers=AUTH).json()["data"] == []
    """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_job_seconds_ini_option(pytester):
    pytester.makeini("[pytest]\naihubmix_mock_job_seconds = 600\n")
    pytester.makepyfile(
        test_slow="""
        import httpx

        def test_not_done_yet(aihubmix_mock_url):
            auth = {"Authorization": "Bearer k"}
            job = httpx.post(f"{aihubmix_mock_url}/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers=auth).json()
            assert httpx.get(f"{aihubmix_mock_url}/v1/videos/{job['id']}", headers=auth).json()["status"] == "queued"
    """
    )
    pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_marker_and_handle_in_another_project(pytester):
    pytester.makepyfile(
        test_handle="""
        import httpx
        import pytest

        AUTH = {"Authorization": "Bearer sk-a"}

        def create(mock, **headers):
            r = httpx.post(f"{mock.url}/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers={**AUTH, **headers})
            assert r.status_code == 200, r.text
            return r.json()["id"]

        def status(mock, video_id):
            return httpx.get(f"{mock.url}/v1/videos/{video_id}", headers=AUTH).json()["status"]

        @pytest.mark.aihubmix_mock(job_seconds=30)
        def test_advance_the_clock(aihubmix_mock):
            video = create(aihubmix_mock)
            assert status(aihubmix_mock, video) == "queued"
            aihubmix_mock.advance(30)
            assert status(aihubmix_mock, video) == "completed"

        @pytest.mark.aihubmix_mock(policy="manual")
        def test_force_an_outcome_and_read_the_journal(aihubmix_mock):
            video = create(aihubmix_mock)
            assert status(aihubmix_mock, video) == "queued"
            assert aihubmix_mock.fail(video, "too blue") == "failed"
            assert httpx.get(f"{aihubmix_mock.url}/v1/videos/{video}", headers=AUTH).json()["error"]["message"] == "too blue"
            posts = aihubmix_mock.journal(method="POST", path_prefix="/v1/videos")
            assert [e["body"]["model"] for e in posts] == ["sora-2"]
            aihubmix_mock.reset()
            assert aihubmix_mock.journal() == []

        @pytest.mark.aihubmix_mock(keys=["sk-a"], outcome="failed")
        def test_keys_and_outcome(aihubmix_mock):
            assert httpx.get(f"{aihubmix_mock.url}/v1/videos", headers={"Authorization": "Bearer sk-b"}).status_code == 401
            assert status(aihubmix_mock, create(aihubmix_mock)) == "failed"

        @pytest.mark.aihubmix_mock(seed=5)
        def test_seed_first(aihubmix_mock):
            pytest.first_id = create(aihubmix_mock)

        @pytest.mark.aihubmix_mock(seed=5)
        def test_seed_again(aihubmix_mock):
            assert create(aihubmix_mock) == pytest.first_id

        @pytest.mark.aihubmix_mock(seed=5)
        def test_marker_on_the_app(aihubmix_mock_app):
            assert aihubmix_mock_app.state.mock.ids.seed == 5

        def test_unmarked_share_the_session_server(aihubmix_mock, aihubmix_mock_server):
            assert aihubmix_mock is aihubmix_mock_server
            assert aihubmix_mock.api_url == aihubmix_mock.url + "/v1"

        @pytest.mark.aihubmix_mock(colour="blue")
        def test_unknown_setting(aihubmix_mock):
            pass
    """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=7, errors=1)
    result.stdout.fnmatch_lines(["*unknown setting(s)*colour*one of keys, policy*"])


def test_the_server_as_a_context_manager():
    import httpx

    from aihubmix_mock import MockServer

    with MockServer(job_seconds=0, seed=3) as mock:
        response = httpx.get(f"{mock.url}/__mock/health")
        assert response.json()["status"] == "ok"
        url = mock.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/__mock/health", timeout=2)


def test_the_handle_queues_a_named_fault_or_a_status():
    import httpx

    from aihubmix_mock import MockServer

    auth = {"Authorization": "Bearer sk-test"}
    with MockServer(job_seconds=0) as mock:
        mock.fault("balance")
        named = httpx.get(f"{mock.url}/v1/videos", headers=auth)
        assert named.status_code == 403 and named.json()["type"] == "error"
        mock.fault(503, retry_after=7)
        by_status = httpx.get(f"{mock.url}/v1/videos", headers=auth)
        assert by_status.status_code == 503 and by_status.headers["Retry-After"] == "7"
        assert httpx.get(f"{mock.url}/v1/videos", headers=auth).status_code == 200


#: Tests that leave state behind on purpose (a job, an advanced clock, a queued fault, a seed) and
#: expect to see none of the others': each must run in a session of its own. `HEADERS` is how the
#: clients name the session: nothing for the plugin's own server, the handle's header for a
#: running mock shared by the workers.
ISOLATED_TESTS = """
import httpx
import httpx
import pytest

AUTH = {"Authorization": "Bearer sk-plugin-test"}

AUTH = {"Authorization": "Bearer sk-shared"}
HEADERS = %s


@pytest.mark.parametrize("n", range(8))
def test_leaves_state_and_sees_none(aihubmix_mock, n):
    headers = {**AUTH, **HEADERS(aihubmix_mock)}
    url = aihubmix_mock.url
    assert aihubmix_mock.session.startswith("gw"), aihubmix_mock.session  # an xdist worker's test
    assert aihubmix_mock.journal() == [], "another test's requests"
    assert httpx.get(f"{url}/v1/videos", headers=headers).json()["data"] == [], "another test's job"
    assert httpx.get(f"{url}/__mock/health", headers=HEADERS(aihubmix_mock)).json()["clock"] < 2e9
    job = httpx.post(f"{url}/v1/videos", json={"model": "sora-2", "prompt": str(n)}, headers=headers)
    assert job.status_code == 200, job.text
    aihubmix_mock.advance(300_000_000)  # left moved: the next test's clock must not be
    aihubmix_mock.seed(n)
    aihubmix_mock.fault("balance", count=100)  # left queued: the next test must not get it
    assert httpx.get(f"{url}/v1/videos", headers=headers).status_code == 403
"""


def test_each_test_has_a_session_of_its_own_under_xdist(pytester):
    pytester.makepyfile(test_isolated=ISOLATED_TESTS % "lambda mock: {}")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "-n", "4")
    result.assert_outcomes(passed=8)  # each asserts it ran in a worker (its session is gw…)


def test_xdist_workers_share_one_running_mock(pytester):
    from aihubmix_mock import MockServer

    with MockServer(job_seconds=0) as shared:
        held = httpx.post(f"{shared.url}/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers=AUTH)
        pytester.makepyfile(test_isolated=ISOLATED_TESTS % "lambda mock: mock.headers")
        result = pytester.runpytest_subprocess(
            "-q", "-p", "no:cacheprovider", "-n", "4", "--aihubmix-mock-url", shared.url
        )
        result.assert_outcomes(passed=8)
        # every test's session was dropped at its end; what the server held before is untouched
        assert [s["name"] for s in shared.sessions()] == ["default"]
        listed = httpx.get(f"{shared.url}/v1/videos", headers=AUTH).json()["data"]
        assert [v["id"] for v in listed] == [held.json()["id"]]
        posts = [e for e in httpx.get(f"{shared.url}/__mock/journal").json()["data"] if e["method"] == "POST"]
        assert len(posts) == 1, "the workers' requests landed in the default session"
