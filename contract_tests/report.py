"""The drift report: per operation and model, conforms or drifted, and for each drift what was sent,
what the spec says, and what came back. Written as reports/drift.md and reports/drift.json."""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

OPERATIONS = [
    ("POST", r"^/v1/videos$", "createVideo"),
    ("GET", r"^/v1/videos$", "listVideos"),
    ("GET", r"^/v1/videos/[^/]+$", "retrieveVideo"),
    ("DELETE", r"^/v1/videos/[^/]+$", "deleteVideo"),
    ("GET", r"^/v1/videos/[^/]+/content$", "downloadVideoContent"),
    ("POST", r"^/v1/videos/[^/]+/remix$", "remixVideo"),
    ("POST", r"^/v1/videos/generations$", "apimartCreateGeneration"),
    ("GET", r"^/v1/tasks/[^/]+$", "apimartGetTask"),
]


def operation_of(method: str, path: str) -> str:
    path = path.split("?")[0]
    for verb, pattern, name in OPERATIONS:
        if verb == method and re.match(pattern, path) and not (name == "retrieveVideo" and path.endswith("/generations")):
            return name
    return f"{method} {path}"


class DriftReport:
    def __init__(self) -> None:
        self.results: list[dict[str, Any]] = []

    def add(self, nodeid: str, outcome: str, exchanges: list[dict], message: str | None,
            operation: str | None = None, model: str | None = None) -> None:
        label = re.search(r"\[(GET|POST|DELETE|PUT|PATCH) (/[^\]]*)\]", nodeid)
        if label and not operation:  # a Schemathesis test: the operation is in its id
            operation = operation_of(label.group(1), label.group(2).replace("{video_id}", "x").replace("{task_id}", "x"))
        if exchanges:
            last = exchanges[-1]
            operation = operation or operation_of(last["method"], last["path"])
            model = model or next((e["model"] for e in reversed(exchanges) if e.get("model")), None)
        self.results.append({"test": nodeid, "outcome": outcome, "operation": operation or "(no call made)",
                             "model": model or "-", "message": message, "exchanges": exchanges[-3:]})

    def write(self, directory: Path, target_label: str, spent: int, unplanned: int = 0) -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for result in self.results:
            groups[(result["operation"], result["model"])].append(result)
        drifted = [r for r in self.results if r["outcome"] == "failed"]
        summary = {
            "target": target_label, "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "billable_jobs_created": spent,
            "jobs_created_by_requests_that_should_fail": unplanned,
            "tests": len(self.results), "drifted": len(drifted),
            "skipped": sum(r["outcome"] == "skipped" for r in self.results),
            "by_operation_and_model": [
                {"operation": op, "model": model,
                 "status": "drifted" if any(r["outcome"] == "failed" for r in rs)
                 else ("conforms" if any(r["outcome"] == "passed" for r in rs) else "not checked"),
                 "passed": sum(r["outcome"] == "passed" for r in rs),
                 "failed": sum(r["outcome"] == "failed" for r in rs),
                 "skipped": sum(r["outcome"] == "skipped" for r in rs)}
                for (op, model), rs in sorted(groups.items())
            ],
            "drifts": drifted,
        }
        json_path = directory / "drift.json"
        json_path.write_text(json.dumps(summary, indent=2, default=str), "utf-8")
        md_path = directory / "drift.md"
        md_path.write_text(self._markdown(summary), "utf-8")
        return md_path, json_path

    @staticmethod
    def _markdown(summary: dict[str, Any]) -> str:
        verdict = "DRIFTED" if summary["drifted"] else "CONFORMS"
        lines = [f"# Contract drift report: {verdict}", "",
                 f"- target: `{summary['target']}`", f"- run at: {summary['generated_at']}",
                 f"- tests: {summary['tests']}, drifted: {summary['drifted']}, skipped: {summary['skipped']}",
                 f"- billable jobs created: {summary['billable_jobs_created']}"
                 + (f" (plus {summary['jobs_created_by_requests_that_should_fail']} by requests the server should "
                    "have rejected)" if summary["jobs_created_by_requests_that_should_fail"] else ""), "",
                 "## By operation and model", "", "| operation | model | status | passed | failed | skipped |",
                 "|---|---|---|---|---|---|"]
        for row in summary["by_operation_and_model"]:
            mark = {"drifted": "**drifted**", "conforms": "conforms", "not checked": "not checked"}[row["status"]]
            lines.append(f"| {row['operation']} | {row['model']} | {mark} | {row['passed']} | {row['failed']} | {row['skipped']} |")
        if summary["drifts"]:
            lines += ["", "## Drifts", ""]
            for n, drift in enumerate(summary["drifts"], 1):
                lines += [f"### {n}. {drift['operation']} · {drift['model']}", "", f"`{drift['test']}`", "",
                          "**What the spec says / what went wrong:**", "", "```",
                          (drift["message"] or "").strip()[:2500], "```", ""]
                for ex in drift["exchanges"]:
                    lines += [f"- sent `{ex['method']} {ex['path']}`"
                              + (f" with `{json.dumps(ex['request'], default=str)[:400]}`" if ex["request"] else ""),
                              f"  - got **{ex['status']}** `{json.dumps(ex['response'], default=str)[:400]}`"]
                lines.append("")
        return "\n".join(lines) + "\n"
