"""Recordings: one NDJSON line per exchange, `{request, response, startedAt}` (the shape Redocly's
`drift` reads) plus the verdict, the job timeline and the media probe; and HAR 1.2 from them.

A line is written and flushed whole, so a killed process loses only what had not reached the file
(the exchanges in flight and those still queued). Nothing secret is in a line: the session scrubs
it before it comes here (wire.scrub)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl


class Recorder:
    """Appends lines to DIR/exchanges-<start>-<pid>.ndjson (one file per process: two proxies may
    record into one folder)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self.path = self.directory / f"exchanges-{stamp}-{os.getpid()}.ndjson"
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.written = 0

    def write(self, line: dict[str, Any]) -> None:
        data = json.dumps(line, ensure_ascii=False, default=str, separators=(",", ":")).encode() + b"\n"
        os.write(self._fd, data)  # one write of a whole line, O_APPEND: never interleaved or torn
        self.written += 1

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def read(directory: str | Path) -> Iterator[dict[str, Any]]:
    """Every recorded exchange in DIR (and its sub-folders), oldest file first; a torn last line
    (a process killed mid-write) is skipped."""
    for path in sorted(Path(directory).rglob("*.ndjson")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                line = line.strip()
                if not line:
                    continue
                try:
                    yield json.loads(line)
                except ValueError:
                    continue


# ------------------------------------------------------------------------------------ HAR
def _pairs(mapping: dict[str, Any] | None) -> list[dict[str, str]]:
    return [{"name": k, "value": str(v)} for k, v in (mapping or {}).items()]


def _text(body: Any) -> str:
    if body is None:
        return ""
    return body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)


def har_entry(line: dict[str, Any], base: str) -> dict[str, Any]:
    request, response = line.get("request") or {}, line.get("response") or {}
    url = request.get("url") or ""
    query = url.partition("?")[2]
    headers_in, headers_out = request.get("headers") or {}, response.get("headers") or {}
    body_in = request.get("body")
    entry: dict[str, Any] = {
        "startedDateTime": line.get("startedAt"),
        "time": line.get("durationMs") or 0,
        "request": {
            "method": request.get("method"),
            "url": base.rstrip("/") + url,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _pairs(headers_in),
            "queryString": [{"name": k, "value": v} for k, v in parse_qsl(query, keep_blank_values=True)],
            "headersSize": -1,
            "bodySize": -1,
        },
        "response": {
            "status": response.get("statusCode") or 0,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _pairs(headers_out),
            "content": {
                "size": (response.get("body") or {}).get("bytes", -1)
                if isinstance(response.get("body"), dict) and "sha256" in response["body"]
                else len(_text(response.get("body")).encode()),
                "mimeType": headers_out.get("content-type", ""),
                "text": _text(response.get("body")),
            },
            "redirectURL": headers_out.get("location", ""),
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": line.get("durationMs") or 0, "receive": 0},
        "_verdict": line.get("verdict"),
    }
    if body_in is not None:
        entry["request"]["postData"] = {
            "mimeType": headers_in.get("content-type", ""),
            "text": _text(body_in),
        }
    if line.get("error"):
        entry["response"]["_error"] = line["error"]
    return entry


def export_har(directory: str | Path, out: str | Path | None = None) -> tuple[Path, int]:
    """DIR's recordings as one HAR 1.2 file (default DIR/exchanges.har); (path, entries)."""
    lines = list(read(directory))
    base = next((line.get("upstream") for line in lines if line.get("upstream")), "") or "http://upstream"
    har = {
        "log": {
            "version": "1.2",
            "creator": {"name": "aihubmix-mock proxy", "version": "0.1.0"},
            "entries": [har_entry(line, base) for line in lines],
        }
    }
    path = Path(out) if out else Path(directory) / "exchanges.har"
    path.write_text(json.dumps(har, indent=1, ensure_ascii=False), "utf-8")
    return path, len(lines)
