"""Real media for a job: an H.264 MP4 of the job's frame size and duration, a WebP thumbnail and a
JPEG spritesheet. The MP4 carries an AAC soundtrack exactly when the job has sound (the spec's
`x-audio`): a quiet 440 Hz tone, mono at 8 kHz, as long as the video. Rendered once per (kind,
width, height, seconds, fps, audio), kept in memory (and on disk when a cache folder is given), so a
repeated download never re-encodes.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import os
import struct
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

if TYPE_CHECKING:
    from PIL import Image

#: (kind, width, height, seconds, fps, audio) of one rendering.
Key = tuple[str, int, int, int, int, bool]

TYPES = {"video": "video/mp4", "thumbnail": "image/webp", "spritesheet": "image/jpeg"}


def _frame_image(width: int, height: int, index: int, total: int) -> Image.Image:
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


AUDIO_RATE = 8000  # Hz: the lowest common AAC rate keeps encoding cheap
_AUDIO_FRAME = 1024  # samples per AAC frame
# One second of a quiet 440 Hz tone (440 whole cycles, so it repeats seamlessly), float32 mono.
_TONE = struct.pack(
    f"<{AUDIO_RATE}f", *(0.1 * math.sin(2 * math.pi * 440 * n / AUDIO_RATE) for n in range(AUDIO_RATE))
)
_TONE_TWICE = _TONE + _TONE  # any frame's samples are one slice of it


def _encode_audio(container: Any, stream: Any, seconds: int) -> None:
    from fractions import Fraction

    import av

    total, pts = max(1, seconds) * AUDIO_RATE, 0
    while pts < total:
        count = min(_AUDIO_FRAME, total - pts)
        start = (pts % AUDIO_RATE) * 4
        data = _TONE_TWICE[start : start + count * 4]
        frame = av.AudioFrame(format="fltp", layout="mono", samples=count)
        frame.planes[0].update(data)
        frame.sample_rate, frame.pts, frame.time_base = AUDIO_RATE, pts, Fraction(1, AUDIO_RATE)
        for packet in stream.encode(frame):
            container.mux(packet)
        pts += count
    for packet in stream.encode():
        container.mux(packet)


def render_mp4(width: int, height: int, seconds: int, fps: int = 1, audio: bool = False) -> bytes:
    import av

    out = io.BytesIO()
    frames = max(1, seconds * fps)
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "35"}
        sound = None
        if audio:  # every stream is added before the first packet is muxed
            sound = container.add_stream("aac", rate=AUDIO_RATE)
            sound.layout = "mono"
        for index in range(frames):
            frame = av.VideoFrame.from_image(  # type: ignore[no-untyped-call]
                _frame_image(width, height, index, frames)
            )
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if sound is not None:
            _encode_audio(container, sound, seconds)
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

    def __init__(
        self,
        fps: int = 1,
        cache_dir: str | None = None,
        max_bytes: int = 512 * 1024 * 1024,
        max_renders: int = 2,
    ) -> None:
        self.fps = fps
        self.max_renders = max_renders
        self._slots: asyncio.Semaphore | None = None  # made on first use, inside the running loop
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.max_bytes = max_bytes
        self.renders = 0  # how many times anything was encoded (the benchmark reads it)
        self._mem: OrderedDict[Key, bytes] = OrderedDict()
        self._size = 0
        self._locks: dict[Key, asyncio.Lock] = {}

    def _disk_path(self, key: Key) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
        kind, width, height, seconds, fps, audio = key
        sound = "-aac" if audio else ""
        return self.cache_dir / f"{kind}-{width}x{height}-{seconds}s-{fps}fps{sound}-{digest}.bin"

    def _remember(self, key: Key, data: bytes) -> None:
        self._mem[key] = data
        self._size += len(data)
        while self._size > self.max_bytes and len(self._mem) > 1:
            _, dropped = self._mem.popitem(last=False)
            self._size -= len(dropped)

    def _render(self, key: Key) -> bytes:
        kind, width, height, seconds, fps, audio = key
        path = self._disk_path(key)
        if path is not None and path.is_file():
            return path.read_bytes()
        data = (
            render_mp4(width, height, seconds, fps, audio)
            if kind == "video"
            else RENDERERS[kind](width, height, seconds)
        )
        self.renders += 1
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return data

    def _key(self, kind: str, width: int, height: int, seconds: int, audio: bool) -> Key:
        return (kind, width, height, seconds, self.fps, audio and kind == "video")

    def cached(self, kind: str, width: int, height: int, seconds: int, audio: bool = False) -> bytes | None:
        key = self._key(kind, width, height, seconds, audio)
        data = self._mem.get(key)
        if data is not None:
            self._mem.move_to_end(key)
        return data

    async def get(self, kind: str, width: int, height: int, seconds: int, audio: bool = False) -> bytes:
        data = self.cached(kind, width, height, seconds, audio)
        if data is not None:
            return data
        key = self._key(kind, width, height, seconds, audio)
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
