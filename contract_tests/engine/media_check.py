"""Decoding what the server sends: is it really an MP4 of the promised size and duration?"""

from __future__ import annotations

import io
from typing import Any


def probe_mp4(data: bytes) -> tuple[int, int, float, int]:
    """(width, height, seconds, decoded frames) of an MP4, decoding every frame."""
    import av

    assert data[4:8] == b"ftyp", f"not an MP4 ({starts(data)})"
    container: Any
    with av.open(io.BytesIO(data)) as container:
        stream: Any = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        seconds = (
            container.duration / 1_000_000
            if container.duration
            else float(stream.duration * stream.time_base)
        )
        return stream.width, stream.height, seconds, frames


def probe_audio(data: bytes) -> tuple[str, float, int] | None:
    """(codec, seconds, decoded samples) of the MP4's first audio stream, or None when it has none."""
    import av

    container: Any
    with av.open(io.BytesIO(data)) as container:
        if not container.streams.audio:
            return None
        stream: Any = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        seconds = float(stream.duration * stream.time_base) if stream.duration else samples / stream.rate
        return stream.codec_context.name, seconds, samples


def starts(data: bytes) -> str:
    """How a body begins, as text where it is text (never hex of a text body)."""
    head = data[:80]
    try:
        text = head.decode("utf-8")
        if all(c.isprintable() or c in "\r\n\t" for c in text):
            return f"{len(data)} bytes of text: {text!r}"
    except UnicodeDecodeError:
        pass
    return f"{len(data)} bytes starting {head[:12].hex()}"


def image_format(data: bytes) -> str:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return str(image.format)
