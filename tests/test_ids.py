"""Reproducible ids: the same seed and the same requests give the same ids, on any server."""

from __future__ import annotations

from starlette.testclient import TestClient

from aihubmix_mock import create_app

AUTH = {"Authorization": "Bearer sk-seeded"}
REQUESTS = [
    ("/v1/videos", {"model": "sora-2", "prompt": "p"}),
    ("/v1/videos", {"model": "veo-2.0-generate-001", "prompt": "p"}),
    ("/v1/videos/generations", {"model": "sora-2-preview", "prompt": "p"}),
]


def _id(response) -> str:
    body = response.json()
    return body["data"][0]["task_id"] if "data" in body else body["id"]


def ids_from(client: TestClient) -> list[str]:
    made = [_id(client.post(path, json=body, headers=AUTH)) for path, body in REQUESTS]
    video = made[0]
    client.post(f"/__mock/jobs/{video}/advance", json={"to": "completed"})
    made.append(client.post(f"/v1/videos/{video}/remix", json={"prompt": "q"}, headers=AUTH).json()["id"])
    return made


def test_two_servers_with_the_same_seed_make_the_same_ids():
    first = ids_from(TestClient(create_app(seed=42)))
    second = ids_from(TestClient(create_app(seed=42)))
    assert first == second
    assert len(set(first)) == len(first)
    assert ids_from(TestClient(create_app(seed=43))) != first


def test_unseeded_servers_make_different_ids():
    assert ids_from(TestClient(create_app())) != ids_from(TestClient(create_app()))


def test_the_seed_endpoint_and_reset():
    seeded = ids_from(TestClient(create_app(seed=7)))
    client = TestClient(create_app())
    assert client.post("/__mock/seed", json={"seed": 7}).json() == {"ok": True, "seed": 7}
    assert ids_from(client) == seeded
    client.post("/__mock/reset")
    assert ids_from(client) == seeded  # a reset starts the ids over from the seed
    assert client.post("/__mock/seed", json={"seed": "7"}).status_code == 400
    assert client.post("/__mock/seed", json={"seed": None}).json()["seed"] is None
    assert ids_from(client) != seeded


def test_the_seed_body_is_checked_by_the_control_plane_spec():
    client = TestClient(create_app())
    for body in ({"seed": -1}, {"seed": 2**32}, {"seed": 1.5}, {"seed": True}, {}, {"seed": 1, "extra": 2}):
        response = client.post("/__mock/seed", json=body)
        assert response.status_code == 400, body
        assert set(response.json()["error"]) == {"message", "type", "param"}  # the control plane's shape
    assert client.post("/__mock/seed", json={"seed": 4.0}).json() == {"ok": True, "seed": 4}
