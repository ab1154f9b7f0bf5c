"""Where a request's time goes, per route: drives the ASGI app directly (no sockets) under
pyinstrument. `python bench/profile_routes.py polls|create|multipart|content [N]`."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from pyinstrument import Profiler

from aihubmix_mock import create_app

ROOT = Path(__file__).resolve().parent.parent
AUTH = (b"authorization", b"Bearer sk-bench")


async def call(app, method: str, path: str, body: bytes = b"", headers=()) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [AUTH, (b"host", b"bench"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent = False
    out: dict = {"body": b""}

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
        else:
            out["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return out["status"], out["body"]


async def main(route: str, n: int) -> None:
    app = create_app(job_seconds=0, max_jobs=10**7)
    json_body = json.dumps({"model": "sora-2", "prompt": "A paper boat", "seconds": "8"}).encode()
    ctype = [(b"content-type", b"application/json")]
    status, created = await call(app, "POST", "/v1/videos", json_body, ctype)
    job = json.loads(created)["id"]
    await call(app, "GET", f"/v1/videos/{job}")
    await call(app, "GET", f"/v1/videos/{job}/content")
    from urllib3 import encode_multipart_formdata

    mp, mp_type = encode_multipart_formdata(
        [
            ("model", "sora-2"),
            ("prompt", "p"),
            ("input_reference", ("r.png", (ROOT / "fixtures/reference.png").read_bytes(), "image/png")),
        ]
    )
    requests = {
        "polls": ("GET", f"/v1/videos/{job}", b"", []),
        "create": ("POST", "/v1/videos", json_body, ctype),
        "multipart": ("POST", "/v1/videos", mp, [(b"content-type", mp_type.encode())]),
        "content": ("GET", f"/v1/videos/{job}/content", b"", []),
    }
    method, path, body, headers = requests[route]
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for _ in range(n):
        status, _ = await call(app, method, path, body, headers)
        assert status == 200, status
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5000))
