"""`aihubmix-mock evidence DIR`: what recordings show about each rule, proposed for review.

- confirmed    : a request that broke only rule X got a 4xx from production (not the gateway's state)
- contradicted : production accepted a request that breaks rule X, or refused a request the spec
                 allows with an answer that names a parameter of rule X
- durations    : per model, create to the first poll that saw the job completed (upper bounds)
- members      : answer members the spec does not declare

Prints a summary and writes DIR/evidence-proposal.json: samples in the format of
fixtures/production/samples.json (source "recorded", dated, count). Applying them (samples.json,
the rule's `production` in the spec, disagreements.md for a contradiction) stays a human decision.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from .. import evidence
from .jobs import summarise
from .recorder import read


def learn(directory: str | Path) -> dict[str, Any]:
    confirmed: dict[str, list[dict]] = defaultdict(list)
    contradicted: dict[str, list[dict]] = defaultdict(list)
    unattributed: list[dict] = []
    durations: dict[str, list[float]] = defaultdict(list)
    members: dict[tuple[str, str], int] = defaultdict(int)
    incidents: dict[str, int] = defaultdict(int)
    jobs_done: set[str] = set()
    count = 0
    for line in read(directory):
        count += 1
        verdict = line.get("verdict") or {}
        status = (line.get("response") or {}).get("statusCode")
        states = {f.get("state") for f in verdict.get("findings") or []}
        for f in verdict.get("findings") or []:
            if f.get("state") == "incident":
                incidents[f.get("message", "").split(" on ")[0]] += 1
        broken = verdict.get("broken_rules") or []
        if status is not None and "incident" not in states:
            if len(broken) == 1 and 400 <= status < 500 and status not in (401, 403, 404, 429):
                confirmed[broken[0]].append(line)
            elif broken and 200 <= status < 300:
                for rule in broken:
                    contradicted[rule].append(line)
            elif (
                not broken
                and status in (400, 422)
                and verdict.get("operation")
                in (
                    "createVideo",
                    "apimartCreateGeneration",
                    "remixVideo",
                )
            ):
                rules = {
                    r
                    for p in verdict.get("refused_params") or []
                    if (r := evidence.rule_of_parameter(str(verdict.get("model")), p))
                }
                if len(rules) == 1:
                    contradicted[rules.pop()].append(line)
                else:
                    unattributed.append(line)
        for name in verdict.get("extra_members") or []:
            members[(verdict.get("operation") or "?", name)] += 1
        job = line.get("job") or {}
        if "seconds_to_complete" in job and job.get("id") not in jobs_done:
            jobs_done.add(job["id"])
            durations[str(job.get("model"))].append(job["seconds_to_complete"])
    return {
        "exchanges": count,
        "confirmed": {rule: _evidence(rule, lines, "confirmed") for rule, lines in sorted(confirmed.items())},
        "contradicted": {
            rule: _evidence(rule, lines, "contradicted") for rule, lines in sorted(contradicted.items())
        },
        "unattributed_refusals": [_sample(line) for line in unattributed[:20]],
        "durations": {model: summarise(v) for model, v in sorted(durations.items())},
        "unknown_members": [
            {"operation": op, "member": name, "count": n} for (op, name), n in sorted(members.items())
        ],
        "incidents": dict(incidents),
    }


def _sample(line: dict[str, Any]) -> dict[str, Any]:
    request, response = line.get("request") or {}, line.get("response") or {}
    return {
        "endpoint": f"{request.get('method')} {request.get('url', '').split('?')[0]}",
        "request": request.get("body"),
        "http_status": response.get("statusCode"),
        "body": response.get("body"),
        "at": line.get("startedAt"),
    }


def _evidence(rule: str, lines: list[dict], proposal: str) -> dict[str, Any]:
    first = _sample(lines[0])
    dates = sorted(str(line.get("startedAt", ""))[:10] for line in lines)
    return {
        "rule": rule,
        "proposal": proposal,
        "spec_says": evidence.production_status(rule),
        "count": len(lines),
        "models": sorted({str((line.get("verdict") or {}).get("model")) for line in lines}),
        "statuses": sorted({(line.get("response") or {}).get("statusCode") for line in lines}),
        "first": dates[0],
        "last": dates[-1],
        "example": first,
    }


def samples(found: dict[str, Any]) -> list[dict[str, Any]]:
    """The proposals as entries of fixtures/production/samples.json (ids REC-<rule>-<n>)."""
    out = []
    for kind in ("confirmed", "contradicted"):
        for rule, ev in found[kind].items():
            example = ev["example"]
            verb = (
                "refused (a 4xx) a request that broke only this rule"
                if kind == "confirmed"
                else (
                    "accepted a request that breaks this rule"
                    if example["http_status"] and example["http_status"] < 300
                    else "refused a request the spec allows, naming a parameter of this rule"
                )
            )
            out.append(
                {
                    "id": f"REC-{rule}-{ev['last'].replace('-', '')}",
                    "source": "recorded",
                    "kind": "error" if (example["http_status"] or 0) >= 400 else "behaviour",
                    "endpoint": example["endpoint"],
                    "model": ", ".join(ev["models"]),
                    "http_status": example["http_status"],
                    "body": example["body"],
                    "request": example["request"],
                    "dated": ev["last"],
                    "count": ev["count"],
                    "rule": rule,
                    "proposal": kind,
                    "note": f"Recorded by the proxy/tap: production {verb} {ev['count']} time(s) between "
                    f"{ev['first']} and {ev['last']}; the spec says {ev['spec_says']}.",
                }
            )
    return out


def summary_text(found: dict[str, Any]) -> str:
    lines = [f"{found['exchanges']} recorded exchanges", ""]
    for kind, label in (("confirmed", "CONFIRMED"), ("contradicted", "CONTRADICTED")):
        for rule, ev in found[kind].items():
            change = (
                ""
                if ev["spec_says"] == ("confirmed" if kind == "confirmed" else "unconfirmed")
                else " (a change)"
            )
            lines.append(
                f"{label:13} {rule}: {ev['count']} exchange(s), status {ev['statuses']}, models "
                f"{', '.join(ev['models'])}; the spec says {ev['spec_says']}{change}"
            )
    if found["unattributed_refusals"]:
        lines.append(
            f"UNATTRIBUTED  {len(found['unattributed_refusals'])} refusal(s) of requests the spec allows, "
            "naming no single rule's parameter (see evidence-proposal.json)"
        )
    for model, d in found["durations"].items():
        lines.append(
            f"DURATION      {model}: {d['jobs']} job(s), median {d['median']} s (min {d['min']}, max {d['max']})"
        )
    for m in found["unknown_members"]:
        lines.append(f"MEMBER        {m['operation']}: `{m['member']}` not in the spec ({m['count']}x)")
    for reason, n in found["incidents"].items():
        lines.append(f"INCIDENT      {reason}: {n}x (says nothing about the rules)")
    if len(lines) == 2:
        lines.append("nothing to propose")
    return "\n".join(lines)


def write(directory: str | Path, found: dict[str, Any], out: str | Path | None = None) -> Path:
    path = Path(out) if out else Path(directory) / "evidence-proposal.json"
    path.write_text(
        json.dumps({"samples": samples(found), **found}, indent=1, ensure_ascii=False, default=str), "utf-8"
    )
    return path
