"""Two mock processes behind nginx (deploy/nginx/nginx.conf, as it is, on free loopback ports):
each session's create, polls and download land on one process (docs/sessions.md)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from .test_cli import Server, free_port, wait_healthy

CONF = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "nginx.conf"
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
AUTH = {"Authorization": "Bearer sk-replicas"}
SESSIONS = [f"ci-job-{n}" for n in range(24)]

needs_nginx = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (Debian: apt-get install nginx; .ci/run tries to)"
)


def _nginx(prefix: Path, listen: int, upstreams: tuple[int, int]) -> subprocess.Popen:
    conf = CONF.read_text()
    assert conf.count("127.0.0.1:4010") == 1 and conf.count("127.0.0.1:4011") == 1
    conf = conf.replace("127.0.0.1:4010", f"127.0.0.1:{listen}")
    conf = conf.replace("127.0.0.1:4011", f"127.0.0.1:{upstreams[0]}")
    conf = conf.replace("127.0.0.1:4012", f"127.0.0.1:{upstreams[1]}")
    (prefix / "nginx.conf").write_text(conf)
    proc = subprocess.Popen(
        [NGINX, "-e", "stderr", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_healthy(f"http://127.0.0.1:{listen}", proc, "nginx")
    return proc


def _journals(servers: list[Server]) -> list[dict[str, int]]:
    """Each process's sessions and their journal entries, asked of the process itself."""
    return [
        {s["name"]: s["journal_entries"] for s in httpx.get(f"{p.url}/__mock/sessions").json()["data"]}
        for p in servers
    ]


def _one_session(url: str, name: str) -> int:
    """A create, polls until completed, a download, and APIMart's task and file link: the
    requests sent (the file link carries the session in its query, not in a header)."""
    headers = {**AUTH, "X-Mock-Session": name, "X-Mock-Policy": "polls=2"}
    video = httpx.post(f"{url}/v1/videos", json={"model": "sora-2", "prompt": name}, headers=headers)
    assert video.status_code == 200, video.text
    polls = [httpx.get(f"{url}/v1/videos/{video.json()['id']}", headers=headers) for _ in range(2)]
    assert [p.json()["status"] for p in polls] == ["in_progress", "completed"]
    content = httpx.get(f"{url}/v1/videos/{video.json()['id']}/content", headers=headers, timeout=60)
    assert content.status_code == 200 and content.content[4:8] == b"ftyp"
    task = httpx.post(
        f"{url}/v1/videos/generations", json={"model": "sora-2", "prompt": name}, headers=headers
    ).json()["data"][0]["task_id"]
    polled = [httpx.get(f"{url}/v1/tasks/{task}", headers=headers).json()["data"] for _ in range(2)]
    link = polled[-1]["result"]["videos"][0]["url"][0]
    assert link.startswith(url) and link.endswith(f"?session={name}")
    assert httpx.get(link, timeout=60).content[4:8] == b"ftyp"  # no header: nginx reads the query
    return 7  # journaled: create, 2 polls, download, task create, 2 task polls (not the file link)


@needs_nginx
def test_each_session_lands_on_one_process(tmp_path):
    servers = [Server(), Server()]
    try:
        lb = free_port()
        nginx = _nginx(tmp_path, lb, (servers[0].port, servers[1].port))
        url = f"http://127.0.0.1:{lb}"
        try:
            for _round in range(2):  # again, after each session reset itself through nginx
                sent = {name: _one_session(url, name) for name in SESSIONS}
                for _ in range(3):  # the default session (no header) is pinned too
                    assert httpx.get(f"{url}/v1/videos", headers=AUTH).status_code == 200
                journals = _journals(servers)
                for name, count in sent.items():
                    where = [j.get(name, 0) for j in journals]
                    assert sorted(where) == [0, count], f"{name}'s requests were split: {where}"
                    assert sum(name in j for j in journals) == 1, "a session exists on both processes"
                defaults = sorted(j.get("default", 0) for j in journals)
                assert defaults[0] == 0 and defaults[1] >= 3
                assert all(len(j) > 1 for j in journals), (
                    "consistent hashing put every session on one process"
                )
                for name in SESSIONS:
                    reset = httpx.post(f"{url}/__mock/reset", headers={"X-Mock-Session": name})
                    assert reset.status_code == 200
        finally:
            nginx.terminate()
            nginx.wait(timeout=15)
            nginx.stderr.close()
    finally:
        for server in servers:
            server.stop()


def test_the_kubernetes_recipe_hashes_on_the_session_header():
    """On paper only (no cluster here): the YAML parses and pins by the same header as nginx."""
    import yaml

    path = CONF.parent.parent / "kubernetes" / "aihubmix-mock.yaml"
    docs = {d["kind"]: d for d in yaml.safe_load_all(path.read_text())}
    assert docs["Deployment"]["spec"]["replicas"] >= 2
    assert "sessionAffinity" not in docs["Service"]["spec"]  # ClientIP is the wrong key
    annotations = docs["Ingress"]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/upstream-hash-by"] == "$http_x_mock_session"
    assert "hash $mock_session consistent;" in CONF.read_text()
