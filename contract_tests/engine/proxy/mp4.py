"""What an MP4 is, learnt from its bytes as they stream past, without holding it.

An incremental reader of the ISO BMFF box tree: the top-level boxes are walked as chunks arrive;
`mdat` (the media, nearly all of the bytes) is skipped by counting, and only `moov` (the index:
a few KB to a few MB, wherever it sits) is kept, up to `MOOV_LIMIT`, and read for `mvhd` (duration),
`tkhd` (frame size), `hdlr` (video or sound) and `stsd` (codec). Memory stays flat whatever the
size of the file; PyAV would need the whole file, or a spooled copy, to seek in.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any

MOOV_LIMIT = 32 * 1024 * 1024
CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"}


class Mp4Probe:
    """feed(chunk) as the bytes pass; result() once they have."""

    def __init__(self) -> None:
        self.size = 0
        self.sha256 = hashlib.sha256()
        self.head = b""  # the first bytes, for `ftyp`
        self._pending = b""  # an incomplete box header
        self._skip = 0  # bytes of the current box still to pass
        self._moov: bytearray | None = None
        self._moov_left = 0
        self._found: dict[str, Any] = {}
        self._broken: str | None = None

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self.sha256.update(chunk)
        if len(self.head) < 32:
            self.head += chunk[: 32 - len(self.head)]
        view = memoryview(chunk)
        while view and self._broken is None:
            if self._moov is not None:
                take = view[: self._moov_left]
                self._moov += take
                self._moov_left -= len(take)
                view = view[len(take) :]
                if self._moov_left == 0:
                    self._read_moov(bytes(self._moov))
                    self._moov = None
                continue
            if self._skip:
                step = min(self._skip, len(view))
                self._skip -= step
                view = view[step:]
                continue
            need = 16 - len(self._pending)
            self._pending += bytes(view[:need])
            view = view[need:]
            if len(self._pending) < 8:
                continue
            size, kind = struct.unpack(">I4s", self._pending[:8])
            header = 8
            if size == 1:
                if len(self._pending) < 16:
                    continue
                size = struct.unpack(">Q", self._pending[8:16])[0]
                header = 16
            elif size == 0:
                size = 1 << 62  # to the end of the file
            if size < header:
                self._broken = f"box {kind!r} of size {size}"
                break
            leftover = self._pending[header:]
            self._pending = b""
            body = size - header
            if kind == b"moov" and body <= MOOV_LIMIT:
                self._moov, self._moov_left = bytearray(), body
            else:
                self._skip = body
            view = memoryview(leftover + bytes(view))

    # ------------------------------------------------------------------------------ reading moov
    def _read_moov(self, data: bytes) -> None:
        try:
            self._walk(data, {})
        except (struct.error, IndexError) as exc:
            self._broken = f"unreadable moov ({exc})"

    def _walk(self, data: bytes, track: dict[str, Any]) -> None:
        at = 0
        while at + 8 <= len(data):
            size, kind = struct.unpack(">I4s", data[at : at + 8])
            header = 8
            if size == 1:
                size, header = struct.unpack(">Q", data[at + 8 : at + 16])[0], 16
            elif size == 0:
                size = len(data) - at
            if size < header:
                return
            body = data[at + header : at + size]
            if kind == b"trak":
                found: dict[str, Any] = {}
                self._walk(body, found)
                self._found.setdefault("tracks", []).append(found)
            elif kind in CONTAINERS:
                self._walk(body, track)
            elif kind == b"mvhd":
                version = body[0]
                if version == 1:
                    scale, duration = struct.unpack(">IQ", body[20:32])
                else:
                    scale, duration = struct.unpack(">II", body[12:20])
                if scale:
                    self._found["seconds"] = round(duration / scale, 3)
            elif kind == b"tkhd":
                offset = 84 if body[0] == 1 else 72
                width, height = struct.unpack(">II", body[offset + 4 : offset + 12])
                track["width"], track["height"] = width >> 16, height >> 16
            elif kind == b"hdlr":
                track["handler"] = body[8:12].decode("latin-1")
            elif kind == b"stsd" and len(body) >= 16:
                track["codec"] = body[12:16].decode("latin-1").strip()
            at += size

    def result(self) -> dict[str, Any]:
        """size, sha256, whether it is an MP4, and what its index says (frame size, seconds, sound)."""
        out: dict[str, Any] = {"bytes": self.size, "sha256": self.sha256.hexdigest()}
        out["mp4"] = self.head[4:8] == b"ftyp"
        if not out["mp4"]:
            return out
        tracks = self._found.get("tracks", [])
        video = next((t for t in tracks if t.get("handler") == "vide"), None)
        sound = next((t for t in tracks if t.get("handler") == "soun"), None)
        if video:
            out.update(width=video.get("width"), height=video.get("height"), video_codec=video.get("codec"))
        if "seconds" in self._found:
            out["seconds"] = self._found["seconds"]
        out["sound"] = sound is not None
        if sound:
            out["audio_codec"] = sound.get("codec")
        if not tracks:
            out["index"] = self._broken or "no moov box seen (truncated, or a fragmented MP4)"
        return out
