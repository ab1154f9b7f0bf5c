"""The server's resident memory while clients send large, distinct reference images (issue 20:
"40 accepted 8 MiB base64 references grow the server from about 170 MiB to 1.2 GiB").

Starts `aihubmix-mock serve` on a free loopback port and sends N different ~8 MiB base64 PNGs, in
one of three forms, printing the server's RSS every 10. The mock keeps accepted references as
16-byte digests only (mock/images.py), so the RSS should level off after the first few.

    .venv/bin/python bench/references_memory.py 40 json      # {mime_type, data} object (Wan)
    .venv/bin/python bench/references_memory.py 40 dataurl   # {image_url: data URL} (Sora)
    .venv/bin/python bench/references_memory.py 40 file      # a multipart file part (Sora)
"""

from __future__ import annotations

import base64
import io
import os
import sys
from pathlib import Path

import httpx
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import Server, free_port, rss_bytes  # noqa: E402 - bench/run.py: the bench's own server handle

BIN = str(Path(sys.executable).with_name("aihubmix-mock"))
AUTH = {"Authorization": "Bearer sk-bench"}


def png_of_noise() -> bytes:
    """A 2048x3072 greyscale PNG of random pixels, stored: ~6 MiB, ~8 MiB as base64."""
    buffer = io.BytesIO()
    Image.frombytes("L", (2048, 3072), os.urandom(2048 * 3072)).save(buffer, "PNG", compress_level=0)
    return buffer.getvalue()


def send(url: str, mode: str, png: bytes) -> int:
    data = base64.b64encode(png).decode()
    if mode == "json":
        body = {
            "model": "wan2.5-i2v-preview",
            "prompt": "p",
            "input_reference": {"mime_type": "image/png", "data": data},
        }
        return httpx.post(f"{url}/v1/videos", json=body, headers=AUTH, timeout=120).status_code
    if mode == "dataurl":
        body = {
            "model": "sora-2",
            "prompt": "p",
            "input_reference": {"image_url": "data:image/png;base64," + data},
        }
        return httpx.post(f"{url}/v1/videos", json=body, headers=AUTH, timeout=120).status_code
    files = {"input_reference": ("ref.png", png, "image/png")}
    fields = {"model": "sora-2", "prompt": "p"}
    return httpx.post(f"{url}/v1/videos", data=fields, files=files, headers=AUTH, timeout=120).status_code


def main(count: int, mode: str) -> int:
    port = free_port()
    server = Server(
        [BIN, "serve", "--port", str(port), "--job-seconds", "0", "--log-level", "warning"],
        f"http://127.0.0.1:{port}/__mock/health",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        print(f"{mode}: server RSS at start {rss_bytes(server.proc.pid) // 2**20} MiB")
        for i in range(1, count + 1):
            status = send(url, mode, png_of_noise())
            assert status == 200, status
            if i % 10 == 0:
                print(f"{mode}: after {i} references of ~8 MiB: {server.rss // 2**20} MiB", flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 40, sys.argv[2] if len(sys.argv) > 2 else "json")
    )
