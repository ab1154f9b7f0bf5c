"""Jobs followed from their create through every poll to their content: the status timeline
(statuses, progress, times), a status that goes back, how long each model really takes, and the
MP4 compared with what the job promised."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any

from .judge import Outcome, Seen, Verdict

#: how far along a status is; a later answer may not go back
RANK = {
    "queued": 0,
    "submitted": 0,
    "pending": 0,
    "in_progress": 1,
    "processing": 1,
    "completed": 2,
    "failed": 2,
    "cancelled": 2,
}
TERMINAL = {"completed", "failed", "cancelled"}


def _job_of(verdict: Verdict, seen: Seen) -> tuple[str | None, dict[str, Any] | None]:
    """(job id, the job's answer object) of an exchange about a job."""
    answer = verdict.response if isinstance(verdict.response, dict) else None
    op = verdict.operation
    if op in ("createVideo", "remixVideo") and answer:
        return answer.get("id"), answer
    if op == "apimartCreateGeneration" and answer:
        items = answer.get("data") if isinstance(answer.get("data"), list) else []
        first = items[0] if items and isinstance(items[0], dict) else {}
        return first.get("task_id"), {"status": first.get("status")}
    match = re.match(r"^/v1/(?:videos|tasks)/([^/]+)", seen.path)
    if not match:
        return None, None
    if op == "apimartGetTask" and answer:
        data = answer.get("data")
        return match.group(1), data if isinstance(data, dict) else None
    return match.group(1), answer if op == "retrieveVideo" else None


class Jobs:
    """Every job seen, newest kept (at most `limit`)."""

    def __init__(self, limit: int = 10_000) -> None:
        self.jobs: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.limit = limit
        self.lock = threading.Lock()

    def observe(self, seen: Seen, verdict: Verdict) -> dict[str, Any] | None:
        """Follow the job this exchange is about; add lifecycle findings to the verdict. Returns the
        job's record (timeline so far) for the recording."""
        if seen.status is None or not 200 <= seen.status < 300:
            return None
        job_id, obj = _job_of(verdict, seen)
        if not job_id or not isinstance(job_id, str):
            return None
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None:
                job = {
                    "id": job_id,
                    "model": verdict.model,
                    "dialect": verdict.dialect,
                    "first_seen": seen.started,
                    "created_seen": verdict.operation
                    in ("createVideo", "remixVideo", "apimartCreateGeneration"),
                    "timeline": [],
                }
                self.jobs[job_id] = job
                while len(self.jobs) > self.limit:
                    self.jobs.popitem(last=False)
            if verdict.model and not job.get("model"):
                job["model"] = verdict.model
            if obj:
                self._status(job, obj, seen, verdict)
            if seen.media is not None and verdict.operation == "downloadVideoContent":
                job["media"] = seen.media
                self._media(job, seen, verdict)
            return self._recorded(job)

    @staticmethod
    def _recorded(job: dict[str, Any]) -> dict[str, Any]:
        """What a recording line carries of its job: the answer it just gave, and the whole
        timeline once the job has ended (not on every poll: a line stays the size of one answer)."""
        timeline = job["timeline"]
        out = {k: v for k, v in job.items() if k not in ("promise", "timeline", "timeline_recorded")}
        out["polls"] = len(timeline)
        ended = bool(timeline) and timeline[-1]["status"] in TERMINAL
        if (ended and not job.get("timeline_recorded")) or "media" in job:
            out["timeline"] = list(timeline)
            job["timeline_recorded"] = True
        elif timeline:
            out["now"] = timeline[-1]
        return out

    def _status(self, job: dict[str, Any], obj: dict[str, Any], seen: Seen, verdict: Verdict) -> None:
        status = obj.get("status")
        if not isinstance(status, str):
            return
        progress = obj.get("progress")
        at = round(seen.started - job["first_seen"], 3)
        previous = job["timeline"][-1] if job["timeline"] else None
        job["timeline"].append({"t": at, "status": status, "progress": progress})
        del job["timeline"][:-200]  # a job polled for hours keeps its last 200 answers
        promise = {k: obj.get(k) for k in ("size", "width", "height", "seconds", "duration") if obj.get(k)}
        if promise:
            job["promise"] = promise
        if previous:
            before, now = RANK.get(previous["status"], -1), RANK.get(status, -1)
            back = (before > now >= 0) or (previous["status"] in TERMINAL and status != previous["status"])
            if back:
                verdict.add(
                    Outcome(difference="lifecycle"),
                    "lifecycle",
                    f"job {job_id_short(job)} went back from {previous['status']} to {status}",
                )
            elif (
                isinstance(progress, int | float)
                and isinstance(previous.get("progress"), int | float)
                and progress < previous["progress"]
                and status == previous["status"]
            ):
                verdict.add(
                    Outcome(difference="lifecycle"),
                    "lifecycle",
                    f"job {job_id_short(job)} progress went back from {previous['progress']} to {progress}",
                )
        if status == "completed" and "seconds_to_complete" not in job and job["created_seen"]:
            job["seconds_to_complete"] = at  # an upper bound: the first poll that saw it completed

    def _media(self, job: dict[str, Any], seen: Seen, verdict: Verdict) -> None:
        media, promise = seen.media or {}, job.get("promise") or {}
        if (
            not media.get("mp4")
            or not promise
            or "variant=" in seen.query
            and "variant=video" not in seen.query
        ):
            return
        width, height = promise.get("width"), promise.get("height")
        if isinstance(promise.get("size"), str) and "x" in promise["size"]:
            width, height = (int(n) for n in promise["size"].split("x", 1))
        if width and media.get("width") and (media["width"], media["height"]) != (width, height):
            verdict.add(
                Outcome(difference="dimensions"),
                "dimensions",
                f"job {job_id_short(job)} promised {width}x{height}, its MP4 is "
                f"{media['width']}x{media['height']}",
            )
        seconds = promise.get("seconds") or promise.get("duration")
        try:
            wanted = float(seconds) if seconds is not None else None
        except (TypeError, ValueError):
            wanted = None
        if wanted and wanted > 0 and media.get("seconds") and abs(media["seconds"] - wanted) > 1.0:
            verdict.add(
                Outcome(difference="content"),
                "content",
                f"job {job_id_short(job)} promised {seconds} s, its MP4 lasts {media['seconds']} s",
            )

    def durations(self) -> dict[str, dict[str, Any]]:
        """Per model: how long jobs took from create to the first poll that saw them completed."""
        by_model: dict[str, list[float]] = {}
        with self.lock:
            for job in self.jobs.values():
                if "seconds_to_complete" in job:
                    by_model.setdefault(str(job.get("model")), []).append(job["seconds_to_complete"])
        return {model: summarise(values) for model, values in sorted(by_model.items())}


def summarise(values: list[float]) -> dict[str, Any]:
    values = sorted(values)
    return {
        "jobs": len(values),
        "min": values[0],
        "median": values[len(values) // 2],
        "max": values[-1],
    }


def job_id_short(job: dict[str, Any]) -> str:
    text = str(job["id"])
    return text if len(text) <= 24 else text[:20] + "…"
