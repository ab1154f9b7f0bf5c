"""The pytest plugin, as another project would use it (loaded through its pytest11 entry point)."""

from __future__ import annotations


def test_fixtures_in_another_project(pytester):
    pytester.makepyfile(test_client="""
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
    """)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_job_seconds_ini_option(pytester):
    pytester.makeini("[pytest]\naihubmix_mock_job_seconds = 600\n")
    pytester.makepyfile(test_slow="""
        import httpx

        def test_not_done_yet(aihubmix_mock_url):
            auth = {"Authorization": "Bearer k"}
            job = httpx.post(f"{aihubmix_mock_url}/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers=auth).json()
            assert httpx.get(f"{aihubmix_mock_url}/v1/videos/{job['id']}", headers=auth).json()["status"] == "queued"
    """)
    pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider").assert_outcomes(passed=1)
