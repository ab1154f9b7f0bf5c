"""The bare-Starlette baseline: the same routes as the mock, with no spec, lifecycle, auth or
journal. Its figures are the ceiling the mock is measured against (ratios in RESULTS.md)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

VIDEO = {
    "id": "eyJtb2RlbCI6InNvcmEtMiJ9channel1",
    "object": "video",
    "model": "sora-2",
    "status": "in_progress",
    "progress": 42,
    "created_at": 1795255616,
    "completed_at": None,
    "expires_at": None,
    "prompt": "p",
    "size": "1280x720",
    "seconds": "4",
    "remixed_from_video_id": None,
    "error": None,
}
CONTENT = (
    Path(os.environ["BASELINE_CONTENT"]).read_bytes() if os.environ.get("BASELINE_CONTENT") else b"\0" * 1024
)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def create(request: Request) -> Response:
    if request.headers.get("content-type", "").startswith("multipart/"):
        form = await request.form()
        body = {k: v for k, v in form.items() if isinstance(v, str)}
        await form.close()
    else:
        body = json.loads(await request.body())
    return JSONResponse({**VIDEO, "model": body.get("model"), "prompt": body.get("prompt")})


async def retrieve(request: Request) -> Response:
    return JSONResponse({**VIDEO, "id": request.path_params["video_id"]})


async def content(request: Request) -> Response:
    return Response(CONTENT, media_type="video/mp4")


app = Starlette(
    routes=[
        Route("/health", health),
        Route("/v1/videos", create, methods=["POST"]),
        Route("/v1/videos/{video_id}", retrieve),
        Route("/v1/videos/{video_id}/content", content),
    ]
)
