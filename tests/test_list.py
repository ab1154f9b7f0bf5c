"""The list's paging: limit 0..100 from the spec, `after` a live or deleted id of the caller's."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from aihubmix_mock import create_app

A = {"Authorization": "Bearer sk-list-a"}
B = {"Authorization": "Bearer sk-list-b"}


@pytest.fixture
def client():
    return TestClient(create_app(job_seconds=0))


def _create(client, n: int, headers=A) -> list[str]:
    return [
        client.post("/v1/videos", json={"model": "sora-2", "prompt": f"clip {i}"}, headers=headers).json()[
            "id"
        ]
        for i in range(n)
    ]


def _page(client, headers=A, **params) -> dict:
    response = client.get("/v1/videos", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_after_a_deleted_id_continues_from_its_place(client, order):
    ids = _create(client, 6)
    ordered = ids if order == "asc" else ids[::-1]
    first = _page(client, limit=2, order=order)
    assert [v["id"] for v in first["data"]] == ordered[:2] and first["has_more"]
    for video_id in ordered[:3]:  # the page's last id and the one after it are both gone
        assert client.delete(f"/v1/videos/{video_id}", headers=A).status_code == 200
    rest = _page(client, limit=2, order=order, after=first["last_id"])
    assert [v["id"] for v in rest["data"]] == ordered[3:5] and rest["has_more"]
    last = _page(client, limit=2, order=order, after=rest["last_id"])
    assert [v["id"] for v in last["data"]] == ordered[5:] and not last["has_more"]


def test_another_keys_deleted_id_is_unknown(client):
    theirs = _create(client, 1, headers=B)[0]
    client.delete(f"/v1/videos/{theirs}", headers=B)
    _create(client, 1)
    response = client.get("/v1/videos", params={"after": theirs}, headers=A)
    assert response.status_code == 404 and "after" in response.json()["error"]["message"]


def test_limit_zero_is_an_empty_page(client):
    _create(client, 2)
    page = _page(client, limit=0)
    assert page["data"] == [] and page["first_id"] is None and page["last_id"] is None


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"limit": "101"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"order": "up"}, "order"),
        ({"after": ""}, "after"),
    ],
)
def test_bad_query_is_400_from_the_spec(client, query, names):
    response = client.get("/v1/videos", params=query, headers=A)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(f"{names}: ")
    assert response.headers["x-mock-param"] == names


def test_bad_variant_is_400_from_the_spec(client):
    video = _create(client, 1)[0]
    client.get(f"/v1/videos/{video}", headers=A)
    response = client.get(f"/v1/videos/{video}/content", params={"variant": "poster"}, headers=A)
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("variant: ") and "thumbnail" in response.text
