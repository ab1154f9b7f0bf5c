"""Messages a newcomer meets in the first hour: each says what happened and what to do next."""

from __future__ import annotations

from starlette.testclient import TestClient

from aihubmix_mock import create_app

AUTH = {"Authorization": "Bearer sk-first-hour"}


def client() -> TestClient:
    return TestClient(create_app(job_seconds=0))


def test_a_failed_jobs_download_says_it_will_never_have_content():
    api = client()
    job = api.post(
        "/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers={**AUTH, "X-Mock-Outcome": "failed"}
    ).json()
    assert api.get(f"/v1/videos/{job['id']}", headers=AUTH).json()["status"] == "failed"
    response = api.get(f"/v1/videos/{job['id']}/content", headers=AUTH)
    assert response.status_code == 409
    message = response.json()["error"]["message"]
    assert "failed" in message and "never" in message, message


def test_a_bare_command_prints_help(capsys):
    from aihubmix_mock.cli import main

    assert main([]) == 0
    assert "serve" in capsys.readouterr().out


def test_serve_help_says_each_default_once_and_shows_the_control_plane():
    from aihubmix_mock.cli import build_parser

    serve = build_parser()._subparsers._group_actions[0].choices["serve"]
    text = serve.format_help()
    assert "(default: None)" not in text and "(default: False)" not in text
    assert "memory only) (default" not in text  # a default the help says is not repeated
    assert "well-formed" not in text  # says what a key must be instead
    for action in serve._actions:
        assert action.help, f"{action.option_strings} has no help"
    assert "X-Mock-Outcome" in text and "/__mock/clock/advance" in text


def test_an_unknown_model_suggests_the_nearest():
    response = client().post("/v1/videos", json={"model": "sora2", "prompt": "p"}, headers=AUTH)
    assert response.status_code == 400
    assert "did you mean 'sora-2'?" in response.json()["error"]["message"]
    far = client().post("/v1/videos", json={"model": "zzzzzz", "prompt": "p"}, headers=AUTH)
    assert "did you mean" not in far.json()["error"]["message"]


def test_a_base_url_without_v1_is_told_so():
    response = client().post("/videos", json={"model": "sora-2", "prompt": "p"}, headers=AUTH)
    assert response.status_code == 404
    assert "did you mean /v1/videos?" in response.json()["error"]["message"]
