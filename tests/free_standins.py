"""Drifted stand-ins for the vendor's free metadata and docs: the real mock (or the docs snapshot)
behind a small ASGI layer that changes one thing each, the way a vendor release might. The free
checks (`pytest contract_tests -m free`) must report each as drift naming the model and the rule,
and pass on the faithful ones.

    python -m tests.free_standins sora_seconds_16 --port 4012   # serve one, point -m free at it
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aihubmix_mock import create_app
from contract_tests.engine.docs_watch import SnapshotPages

Edit = Callable[[str, int, Any], tuple[int, Any]]  # (path, status, body) -> (status, body)


class MetadataEdit:
    """Rewrites the JSON of the metadata routes; records every request that reaches the server."""

    def __init__(self, app, edit: Edit | None = None) -> None:
        self.app = app
        self.edit = edit
        self.state = app.state
        self.seen: list[tuple[str, str]] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        self.seen.append((scope["method"], scope["path"]))
        path = scope["path"]
        if self.edit is None or not path.startswith(("/api/v1/models", "/call/schema/")):
            return await self.app(scope, receive, send)
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            status, body = self.edit(path, start["status"], json.loads(b"".join(chunks)))
            out = json.dumps(body).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(out)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": out})

        await self.app(scope, receive, capture)


def _catalogue(change: Callable[[list[dict]], list[dict]]) -> Edit:
    def edit(path, status, body):
        if path == "/api/v1/models":
            body = {**body, "data": change([dict(r) for r in body["data"]])}
        return status, body

    return edit


def _schema(model: str, change: Callable[[dict], dict | None]) -> Edit:
    def edit(path, status, body):
        if path == f"/call/schema/models/{model}/endpoints":
            changed = change(body)
            if changed is None:
                return 404, {"error": {"code": "model_not_found", "message": f"model not found: {model}"}}
            return status, changed
        return status, body

    return edit


def _both(*edits: Edit) -> Edit:
    def edit(path, status, body):
        for one in edits:
            status, body = one(path, status, body)
        return status, body

    return edit


def _seconds_16(doc: dict) -> dict:
    doc["endpoints"][0]["request"]["schema"]["properties"]["seconds"]["enum"].append("16")
    return doc


def _native_only(doc: dict) -> dict:
    doc["endpoints"][0]["path"] = "/ai/v1/videos"
    doc["endpoints"][0]["kind"] = "video"
    return doc


def _down(path, status, body):
    if path == "/api/v1/models":
        return 503, {"error": {"code": "service_unavailable", "message": "upstream busy"}}
    return 500, {"error": {"code": "endpoints_unavailable", "message": "try again later"}}


# name -> the edit of the metadata (None: as the mock serves it)
METADATA = {
    "faithful": None,
    "model_gone": _both(
        _catalogue(lambda rows: [r for r in rows if r["model_id"] != "kling-v1"]),
        _schema("kling-v1", lambda doc: None),
    ),
    "new_video_model": _catalogue(
        lambda rows: [
            *rows,
            {"model_id": "sora-3", "types": "video", "retire_stage": "active"},
            {"model_id": "minimax-h3", "types": "video", "retire_stage": "active"},
            {"model_id": "gpt-9", "types": "llm", "retire_stage": "active"},
        ]
    ),
    "deprecated": _catalogue(
        lambda rows: [
            {**r, "retire_stage": "deprecated"} if r["model_id"] == "veo-2.0-generate-001" else r
            for r in rows
        ]
    ),
    "sora_seconds_16": _schema("sora-2", _seconds_16),
    "native_only": _schema("wan2.6-t2v", _native_only),
    "metadata_down": _down,
}
# every drift above at once, each on its own model: one run shows each is reported on its own
METADATA["all_at_once"] = _both(
    *(METADATA[n] for n in ("model_gone", "new_video_model", "deprecated", "sora_seconds_16", "native_only"))
)


def metadata_standin(name: str) -> MetadataEdit:
    return MetadataEdit(create_app(job_seconds=0), METADATA[name])


# name -> the edit of the docs pages (page id, lines) -> lines
def _sora_line_16(page: str, lines: list[str]) -> list[str]:
    if page == "002":
        lines[197 - 1] = lines[197 - 1] + ', "16"'
    return lines


DOCS = {
    "faithful": None,
    "sora_line_changed": _sora_line_16,
}


def docs_standin(name: str) -> SnapshotPages:
    return SnapshotPages(DOCS[name])


def main() -> None:
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=sorted(set(METADATA) | {f"docs:{n}" for n in DOCS}))
    parser.add_argument("--port", type=int, default=4012)
    args = parser.parse_args()
    app = docs_standin(args.name[5:]) if args.name.startswith("docs:") else metadata_standin(args.name)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
