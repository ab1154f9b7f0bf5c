"""Is it an image? The checks behind the spec's formats `image-base64` and `image-data-url`.

Structural checks (RULES.md, "Two kinds of rules"): the bytes a client calls an image must be one,
whatever the mode. Which image types a model takes (JPEG, PNG, WebP) is a value rule, said by the
spec's own `pattern`/`enum` (REFERENCE-FORMAT), not here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
from collections.abc import Callable
from typing import Any

_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff_image(data: bytes) -> str | None:
    """The image type the bytes claim to be (jpeg, png, gif or webp), from their magic numbers."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def is_image(raw: bytes) -> bool:
    """The bytes are an image file an image library can read through, not just its first bytes."""
    if sniff_image(raw) is None:
        return False
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(raw)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False
    return True


class Accepted:
    """The image references already found good, by a 16-byte digest of their text: clients send the
    same reference again and again. Only accepted ones are kept (a rejected one is judged again, at
    the cost of its own request), at most `size` digests: bounded in bytes whatever clients send."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._seen: dict[bytes, None] = {}

    def check(self, text: str, judge: Callable[[str], bool]) -> bool:
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        if digest in self._seen:
            return True
        if not judge(text):
            return False
        if len(self._seen) >= self.size:
            del self._seen[next(iter(self._seen))]  # the oldest first
        self._seen[digest] = None
        return True

    def clear(self) -> None:
        self._seen.clear()

    def __len__(self) -> int:
        return len(self._seen)


ACCEPTED = Accepted()


def _b64_decodes_to_image(text: str) -> bool:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return is_image(raw)


def base64_image(text: str) -> bool:
    """Standard base64 of an image file."""
    return ACCEPTED.check(text, _b64_decodes_to_image)


_DATA_URL = re.compile(r"^data:[^;,]*(?:;[^;,]*)*;base64,(.*)$", re.S)


def data_url_image(text: str) -> bool:
    """A base64 data URL whose data is an image file (the declared type is the pattern's concern)."""
    match = _DATA_URL.match(text)
    return match is not None and base64_image(match.group(1))


#: The spec's custom formats: a value of another JSON type is the `type` keyword's concern.
FORMAT_FUNCTIONS: dict[str, Callable[[Any], bool]] = {
    "image-base64": lambda v: not isinstance(v, str) or base64_image(v),
    "image-data-url": lambda v: not isinstance(v, str) or data_url_image(v),
}
