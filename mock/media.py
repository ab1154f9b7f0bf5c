"""Real media for a job: an H.264 MP4 of the job's frame size and duration, a WebP thumbnail and a
JPEG spritesheet. Rendered once per (kind, width, height, seconds), kept in memory (and on disk when
a cache folder is given), so a repeated download never re-encodes.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from collections import OrderedDict
from pathlib import Path

from starlette.concurrency import run_in_threadpool

TYPES = {"video": "video/mp4", "thumbnail": "image/webp", "spritesheet": "image/jpeg"}


def _frame_image(width: int, height: int, index: int, total: int):
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (24, 28, 48))
    draw = ImageDraw.Draw(image)
    bar = max(2, height // 20)
    done = int(width * (index + 1) / max(total, 1))
    draw.rectangle([0, height - bar, done, height], fill=(90, 160, 255))
    side = max(4, min(width, height) // 6)
    x = int((width - side) * index / max(total - 1, 1))
    draw.rectangle([x, (height - side) // 2, x + side, (height + side) // 2], fill=(240, 200, 80))
    return image


def render_mp4(width: int, height: int, seconds: int, fps: int = 1) -> bytes:
    import av

    out = io.BytesIO()
    frames = max(1, seconds * fps)
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "35"}
        for index in range(frames):
            frame = av.VideoFrame.from_image(_frame_image(width, height, index, frames))
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def _thumb_size(width: int, height: int, longest: int) -> tuple[int, int]:
    scale = min(1.0, longest / max(width, height))
    return max(1, int(width * scale)), max(1, int(height * scale))


def render_thumbnail(width: int, height: int, seconds: int) -> bytes:
    image = _frame_image(width, height, 0, max(1, seconds)).resize(_thumb_size(width, height, 640))
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=70)
    return out.getvalue()


def render_spritesheet(width: int, height: int, seconds: int) -> bytes:
    from PIL import Image

    tiles = max(1, seconds)
    tw, th = _thumb_size(width, height, 160)
    columns = min(tiles, 5)
    rows = (tiles + columns - 1) // columns
    sheet = Image.new("RGB", (tw * columns, th * rows))
    for index in range(tiles):
        tile = _frame_image(width, height, index, tiles).resize((tw, th))
        sheet.paste(tile, ((index % columns) * tw, (index // columns) * th))
    out = io.BytesIO()
    sheet.save(out, format="JPEG", quality=75)
    return out.getvalue()


RENDERERS = {"video": render_mp4, "thumbnail": render_thumbnail, "spritesheet": render_spritesheet}


class MediaCache:
    """At most `max_bytes` of rendered media in memory, least recently used dropped first."""

    def __init__(self, fps: int = 1, cache_dir: str | None = None, max_bytes: int = 512 * 1024 * 1024,
                 max_renders: int = 2) -> None:
        self.fps = fps
        self.max_renders = max_renders
        self._slots: asyncio.Semaphore | None = None  # made on first use, inside the running loop
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.max_bytes = max_bytes
        self.renders = 0          # how many times anything was encoded (the benchmark reads it)
        self._mem: OrderedDict[tuple, bytes] = OrderedDict()
        self._size = 0
        self._locks: dict[tuple, asyncio.Lock] = {}

    def _disk_path(self, key: tuple) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
        kind, width, height, seconds, fps = key
        return self.cache_dir / f"{kind}-{width}x{height}-{seconds}s-{fps}fps-{digest}.bin"

    def _remember(self, key: tuple, data: bytes) -> None:
        self._mem[key] = data
        self._size += len(data)
        while self._size > self.max_bytes and len(self._mem) > 1:
            _, dropped = self._mem.popitem(last=False)
            self._size -= len(dropped)

    def _render(self, key: tuple) -> bytes:
        kind, width, height, seconds, fps = key
        path = self._disk_path(key)
        if path is not None and path.is_file():
            return path.read_bytes()
        data = render_mp4(width, height, seconds, fps) if kind == "video" else RENDERERS[kind](width, height, seconds)
        self.renders += 1
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return data

    def cached(self, kind: str, width: int, height: int, seconds: int) -> bytes | None:
        key = (kind, width, height, seconds, self.fps)
        data = self._mem.get(key)
        if data is not None:
            self._mem.move_to_end(key)
        return data

    async def get(self, kind: str, width: int, height: int, seconds: int) -> bytes:
        data = self.cached(kind, width, height, seconds)
        if data is not None:
            return data
        key = (kind, width, height, seconds, self.fps)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # concurrent first downloads wait for one encode
            data = self._mem.get(key)
            if data is None:
                if self._slots is None:
                    self._slots = asyncio.Semaphore(self.max_renders)
                async with self._slots:  # bounded encodes at once: memory stays bounded (a 4K one ~50 MB)
                    data = await run_in_threadpool(self._render, key)
                self._remember(key, data)
        self._locks.pop(key, None)
        return data
