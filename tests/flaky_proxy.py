"""A flaky network in front of a server: every request is forwarded (the control plane too), but
1 read in `every` is answered 503 with Retry-After: 0 by the network itself, as a gateway under load
or a provider hiccup would. The suite must pass through it: reads are retried, never drift.

    python -m tests.flaky_proxy http://127.0.0.1:4010 --port 4012
"""

from __future__ import annotations

import json

import httpx

HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class FlakyProxy:
    def __init__(self, upstream: str, every: int = 8) -> None:
        self.upstream = upstream.rstrip("/")
        self.every = every
        self.reads = 0
        self.answered_503 = 0
        self.client = httpx.AsyncClient(base_url=self.upstream, timeout=60.0)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] == "GET":
            self.reads += 1
            if self.reads % self.every == 3:
                self.answered_503 += 1
                out = json.dumps({"error": {"message": "upstream connect error", "type": "network"}}).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 503,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"retry-after", b"0"),
                            (b"content-length", str(len(out)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": out})
                return
        # the path as the client sent it (percent-encoded), not Starlette's decoded one
        raw = scope.get("raw_path") or scope["path"].encode()
        target = raw.decode("ascii", "replace") + (
            "?" + scope["query_string"].decode("ascii", "replace") if scope["query_string"] else ""
        )
        headers = [(k, v) for k, v in scope["headers"] if k.decode("latin-1").lower() not in HOP]
        request = self.client.build_request(
            scope["method"], httpx.URL(self.upstream + target), headers=headers, content=body
        )
        response = await self.client.send(request)
        out = response.content
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": [
                    (k.encode(), v.encode())
                    for k, v in response.headers.items()
                    if k.lower() not in HOP and k.lower() != "content-encoding"
                ]
                + [(b"content-length", str(len(out)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": out})


if __name__ == "__main__":
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="a flaky network in front of a server")
    parser.add_argument("upstream")
    parser.add_argument("--port", type=int, default=4012)
    parser.add_argument("--every", type=int, default=8)
    args = parser.parse_args()
    uvicorn.run(FlakyProxy(args.upstream, args.every), host="127.0.0.1", port=args.port, log_level="warning")
