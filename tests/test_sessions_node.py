"""A Node CI job's view of sessions (docs/sessions.md): the official `openai` npm package, unmodified,
with `defaultHeaders: {"X-Mock-Session": ...}`, in two sessions on one mock that already holds
state. Skips, saying why, where node or npm is missing or the npm registry cannot be reached."""

from __future__ import annotations

import json
import shutil
import subprocess

import httpx
import pytest

from aihubmix_mock import MockServer

#: The npm package's version (6.x has `videos`); the exact one, as constraints.txt pins Python's.
OPENAI_NPM = "openai@6.49.0"

SCRIPT = """
const OpenAI = require("openai");
const url = process.argv[2];
const client = (name) =>
  new OpenAI({ apiKey: "sk-node", baseURL: `${url}/v1`, defaultHeaders: { "X-Mock-Session": name }, maxRetries: 0 });
(async () => {
  const a = client("node-a"), b = client("node-b");
  const one = await a.videos.create({ model: "sora-2", prompt: "one", seconds: "4" });
  const two = await b.videos.create({ model: "sora-2", prompt: "two", seconds: "4" });
  const listedA = [];
  for await (const v of a.videos.list()) listedA.push(v.id);
  let seenByA = "visible";
  try { await a.videos.retrieve(two.id); } catch (e) { seenByA = e.status; }
  const polled = await b.videos.retrieve(two.id);
  const content = await b.videos.downloadContent(two.id);
  const bytes = Buffer.from(await content.arrayBuffer());
  console.log(JSON.stringify({
    one: one.id, two: two.id, listedA, seenByA, statusB: polled.status,
    ftyp: bytes.subarray(4, 8).toString("latin1"),
  }));
})().catch((e) => { console.error(e); process.exit(1); });
"""


@pytest.fixture(scope="module")
def node_project(tmp_path_factory):
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are not installed")
    folder = tmp_path_factory.mktemp("node-client")
    installed = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent", OPENAI_NPM],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if installed.returncode != 0:
        pytest.skip(f"npm could not install {OPENAI_NPM}: {installed.stderr.strip()[-300:]}")
    (folder / "sessions.js").write_text(SCRIPT)
    return folder


def test_the_node_client_in_two_sessions(node_project):
    with MockServer(job_seconds=0) as mock:
        held = httpx.post(  # the default session already holds a job
            f"{mock.url}/v1/videos",
            json={"model": "sora-2", "prompt": "p"},
            headers={"Authorization": "Bearer sk-node"},
        ).json()["id"]
        for _ in range(2):  # twice on the same server
            run = subprocess.run(
                ["node", "sessions.js", mock.url],
                cwd=node_project,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert run.returncode == 0, run.stderr
            seen = json.loads(run.stdout)
            assert seen["listedA"] == [seen["one"]], "session a lists b's job or the default's"
            assert seen["seenByA"] == 404
            assert seen["statusB"] == "completed" and seen["ftyp"] == "ftyp"
            for name in ("node-a", "node-b"):
                httpx.delete(f"{mock.url}/__mock/sessions/{name}").raise_for_status()
        listed = httpx.get(f"{mock.url}/v1/videos", headers={"Authorization": "Bearer sk-node"}).json()
        assert [v["id"] for v in listed["data"]] == [held]
