"""A session: what the proxy and the tap share. Exchanges go into a bounded queue (the hot path
does nothing else); one worker judges each, follows its job, adds it to the drift report, writes
its recording line and, at most once a second, the report files. Fail-open: an error here is
counted and reported, never seen by the client; a full queue drops the exchange and counts it."""

from __future__ import annotations

import contextlib
import json
import queue
import shutil
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from ..report import DriftReport
from . import wire
from .jobs import Jobs
from .judge import Seen, Verdict, judge
from .recorder import Recorder

#: results kept for the report; beyond it, conforming exchanges are only counted
MAX_RESULTS = 10_000  # a report of 10k results takes ~0.7 s to build (drift.json lists each)
#: exchanges kept with results of one state, operation and rule or check (the report shows the first)
EXCHANGES_PER_FINDING = 20


class Session:
    def __init__(
        self,
        upstream: str,
        *,
        record: str | Path | None = None,
        report: str | Path | None = None,
        redact_prompts: bool = False,
        queue_size: int = 1000,
        report_every: float = 1.0,
    ) -> None:
        self.upstream = upstream
        self.recorder = Recorder(record) if record else None
        self.report_dir = Path(report) if report else None
        self.redact_prompts = redact_prompts
        self.report = DriftReport()
        self.jobs = Jobs()
        self.queue: queue.Queue[Seen | None] = queue.Queue(maxsize=max(1, queue_size))
        self.report_every = report_every
        self.stats = {"exchanges": 0, "judged": 0, "recorded": 0, "dropped": 0, "errors": 0, "unlisted": 0}
        self.last_error: str | None = None
        self.created = 0
        self.lock = threading.Lock()
        self._dirty = False
        self._written = 0.0
        self._write_cost = 0.0
        self._kept: dict[tuple, int] = {}
        self._render_lock = threading.Lock()
        self._scratch: Path | None = None
        self._worker = threading.Thread(target=self._run, name="proxy-session", daemon=True)
        self._worker.start()

    # -------------------------------------------------------------------------- the hot path
    def submit(self, seen: Seen) -> None:
        """Queue one exchange; never blocks, never raises."""
        self.stats["exchanges"] += 1
        try:
            self.queue.put_nowait(seen)
        except queue.Full:
            self.stats["dropped"] += 1

    # -------------------------------------------------------------------------- the worker
    def _run(self) -> None:
        while True:
            seen = self.queue.get()
            try:
                if seen is None:
                    return
                self.process(seen)
            except Exception as exc:  # fail-open: counted, shown in the report, never raised
                self.stats["errors"] += 1
                self.last_error = "".join(traceback.format_exception_only(exc)).strip()[:500]
            finally:
                self.queue.task_done()
            # at most once a second, and never more than ~5% of the worker's time (a long session's
            # report takes longer to build)
            wait = max(self.report_every, 20 * self._write_cost)
            if self._dirty and self.report_dir and time.monotonic() - self._written >= wait:
                self._write_report()

    def process(self, seen: Seen) -> Verdict:
        verdict = judge(seen)
        job = self.jobs.observe(seen, verdict)
        if verdict.model is None and job and job.get("model"):
            verdict.model = job["model"]  # a poll or a download: the model its create named
        secrets = wire.secrets_in(seen.request_headers)
        with self.lock:
            self.stats["judged"] += 1
            if verdict.operation in ("createVideo", "remixVideo", "apimartCreateGeneration") and (
                seen.status is not None and 200 <= seen.status < 300
            ):
                self.created += 1
            exchange: dict[str, Any] | None = None
            for n, finding in enumerate(verdict.findings):
                if finding.state == "conforms" and len(self.report.results) >= MAX_RESULTS:
                    self.stats["unlisted"] += 1
                    continue
                # the report shows an exchange only with findings that are not `conforms`, and only
                # the first of each: keeping a few bounds the memory of a long session
                key = (finding.state, verdict.operation, finding.rule or finding.check)
                kept = self._kept.get(key, 0)
                keep = finding.state != "conforms" and kept < EXCHANGES_PER_FINDING
                self._kept[key] = kept + keep
                if keep and exchange is None:
                    exchange = self._exchange(seen, verdict, secrets)
                self.report.add(
                    f"proxy #{self.stats['judged']}.{n} {seen.method} {seen.path}",
                    finding.state,
                    operation=verdict.operation,
                    model=verdict.model,
                    message=wire.scrub(finding.message, secrets),
                    exchange=exchange if keep else None,
                    exchanges=1,
                    rule=finding.rule,
                    check=finding.check,
                    difference=finding.difference,
                )
            self._dirty = True
        if self.recorder is not None:
            self.recorder.write(self.line(seen, verdict, job, secrets))
            self.stats["recorded"] += 1
        return verdict

    def _exchange(self, seen: Seen, verdict: Verdict, secrets: set[str]) -> dict[str, Any]:
        """The report's exchange (the suite's shape), scrubbed."""
        return {
            "operation": verdict.operation,
            "method": seen.method,
            "path": seen.path + (f"?{wire.safe_query(seen.query)}" if seen.query else ""),
            "model": verdict.model,
            "authorization_sent": any(k.lower() == "authorization" for k, _ in seen.request_headers),
            "request": _short(self._body(verdict.request, secrets)),
            "status": seen.status,
            "response": _short(self._response_body(seen, verdict, secrets)),
            "error": seen.error,
            "attempts": 1,
        }

    def _body(self, value: Any, secrets: set[str]) -> Any:
        return wire.scrub(value, secrets, redact_prompts=self.redact_prompts)

    def _response_body(self, seen: Seen, verdict: Verdict, secrets: set[str]) -> Any:
        if seen.media is not None:
            return {k: v for k, v in seen.media.items()}
        if verdict.response is not None:
            return self._body(verdict.response, secrets)
        if not seen.response_body:
            return None
        text = seen.response_body[:2000].decode("utf-8", "replace")
        if text.isprintable() or all(c.isprintable() or c in "\r\n\t" for c in text):
            return wire.scrub(text, secrets)
        return wire.digest(seen.response_body, seen.header("content-type"))

    def line(
        self, seen: Seen, verdict: Verdict, job: dict[str, Any] | None, secrets: set[str]
    ) -> dict[str, Any]:
        """The recording of one exchange: `{request, response, startedAt}` and what was learnt."""
        request_body = verdict.request
        if request_body is None and seen.request_body:
            kind, request_body = wire.parse_body(
                seen.header("content-type", response=False), seen.request_body
            )
        return {
            "startedAt": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seen.started))
            + f".{int(seen.started * 1000) % 1000:03d}Z",
            "durationMs": round(seen.seconds * 1000, 3),
            "upstream": self.upstream,
            "request": {
                "method": seen.method,
                "url": seen.path + (f"?{wire.safe_query(seen.query)}" if seen.query else ""),
                "headers": wire.safe_headers(seen.request_headers),
                "body": self._body(request_body, secrets),
            },
            "response": {
                "statusCode": seen.status,
                "headers": wire.safe_headers(seen.response_headers),
                "body": self._response_body(seen, verdict, secrets),
            },
            "error": seen.error,
            "verdict": wire.scrub(verdict.as_dict(), secrets),
            **({"job": job} if job else {}),  # statuses, progress, times, ids: nothing to scrub
            **({"media": seen.media} if seen.media else {}),
        }

    # -------------------------------------------------------------------------- the report
    def summary(self) -> dict[str, Any]:
        with self.lock:
            out = self.report.summary(self.upstream, {"created": self.created, "budget": None})
        out["proxy"] = {
            **self.stats,
            "pending": self.queue.qsize(),
            "last_error": self.last_error,
            "record": str(self.recorder.path.name) if self.recorder else None,
            "durations": self.jobs.durations(),
        }
        return out

    def render(self) -> tuple[dict[str, Any], str]:
        """(summary, drift.md's text): the report written by the suite's own writer (DriftReport.write,
        whatever it writes: md, json, html), with the proxy's section added to drift.md. Into
        --report, or a private folder when the session has none."""
        with self._render_lock:
            summary = self.summary()
            if self.report_dir is None and self._scratch is None:
                self._scratch = Path(tempfile.mkdtemp(prefix="proxy-report-"))
            directory = self.report_dir or self._scratch
            assert directory is not None
            md, _ = self.report.write(directory, summary)
            text = md.read_text("utf-8") + proxy_section(summary)
            md.write_text(text, "utf-8")
            return summary, text

    def _write_report(self) -> None:
        began = time.monotonic()
        try:
            self.render()
            self._dirty = False
        except OSError as exc:
            self.stats["errors"] += 1
            self.last_error = f"writing the report: {exc}"
        self._written = time.monotonic()
        self._write_cost = self._written - began

    # -------------------------------------------------------------------------- lifetime
    def flush(self, timeout: float = 10.0) -> bool:
        """Wait (bounded) until every queued exchange is judged and recorded; write the report."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)
        if self.report_dir:
            self._write_report()
        return not self.queue.unfinished_tasks

    def close(self) -> None:
        self.flush()
        with contextlib.suppress(queue.Full):
            self.queue.put(None, timeout=1)
        self._worker.join(timeout=5)
        if self.recorder:
            self.recorder.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)


def _short(value: Any) -> Any:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return value if len(text) <= 1500 else text[:1500] + "…"


def proxy_section(summary: dict[str, Any]) -> str:
    """What the proxy adds to drift.md: its counters (dropped records are never silent) and the
    per-model durations its jobs showed."""
    stats = summary.get("proxy") or {}
    lines = [
        "",
        "## Proxy",
        "",
        f"- exchanges: {stats.get('exchanges', 0)}, judged {stats.get('judged', 0)}, "
        f"recorded {stats.get('recorded', 0)}, **dropped {stats.get('dropped', 0)}** (queue full), "
        f"errors {stats.get('errors', 0)}, pending {stats.get('pending', 0)}",
    ]
    if stats.get("unlisted"):
        lines.append(f"- conforming results counted but not listed: {stats['unlisted']}")
    if stats.get("last_error"):
        lines.append(f"- last error of the judge or the recorder: `{stats['last_error']}`")
    durations = stats.get("durations") or {}
    if durations:
        lines += ["", "| model | jobs seen completed | min s | median s | max s |", "|---|---|---|---|---|"]
        for model, d in durations.items():
            lines.append(f"| {model} | {d['jobs']} | {d['min']} | {d['median']} | {d['max']} |")
        lines.append("")
        lines.append("(seconds from the create to the first poll that saw the job completed: upper bounds)")
    return "\n".join(lines) + "\n"
