"""The drift report: every result in one of five states (conforms, drift, known, incident, not
checked), one entry per distinct drift grouped across models and examples, the exchange that
failed, the rule's document line and production evidence, and what changed since a baseline run.
Written as reports/drift.md and reports/drift.json.

Exit codes of a run (set by the suite's conftest):
  0  nothing drifted (known differences, unconfirmed rules and skipped checks do not fail a run)
  1  drift (with `--fail-on new` and a baseline: drift that the baseline did not have)
  3  no drift, but incidents (balance, throttling, outages, transport errors) kept checks from running
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from . import evidence, generate
from .api import operation_of
from .classify import STATES

EXIT_OK, EXIT_DRIFT, EXIT_INCIDENT = 0, 1, 3
# a row's state is its most telling result's
PRECEDENCE = ("drift", "incident", "known", "conforms", "not checked", "not sent")

__all__ = ["DriftReport", "operation_of", "EXIT_OK", "EXIT_DRIFT", "EXIT_INCIDENT", "drift_id"]


def drift_id(operation: str, model: str, rule: str | None, check: str | None) -> str:
    """A drift's stable identity across runs: operation, model, and the rule or check."""
    return f"{operation} · {model} · {('rule ' + rule) if rule else (check or '-')}"


def _models() -> set[str]:
    out: set[str] = set()
    for name, body in (("aihubmix", "CreateVideoRequest"), ("apimart", "GenerationRequest")):
        out.update(generate.variants(name, body))
    return out


def _normalise(message: str) -> str:
    """The message with what varies between examples taken out, for grouping."""
    text = message or ""
    for model in sorted(_models(), key=len, reverse=True):
        text = text.replace(model, "{model}")
    text = re.sub(r"eyJ[\w\-=.]+|task_\w+|video_\w+", "{id}", text)
    text = re.sub(r"\d+", "N", text)
    return text.split("\n")[0][:300]


def _operation_rows() -> list[tuple[str, str]]:
    """Every operation × model the specs define (create operations per model, the others once)."""
    rows: list[tuple[str, str]] = []
    for name, create, body in (
        ("aihubmix", "createVideo", "CreateVideoRequest"),
        ("apimart", "apimartCreateGeneration", "GenerationRequest"),
    ):
        for item in generate.document(name).get("paths", {}).values():
            for op in item.values():
                if not isinstance(op, dict) or "operationId" not in op:
                    continue
                if op["operationId"] == create:
                    rows += [(create, model) for model in sorted(generate.variants(name, body))]
                else:
                    rows.append((op["operationId"], "-"))
    return rows


class DriftReport:
    def __init__(self) -> None:
        self.results: list[dict[str, Any]] = []

    def add(
        self,
        nodeid: str,
        state: str,
        *,
        operation: str | None,
        model: str | None,
        message: str | None,
        exchange: dict | None = None,
        exchanges: int = 0,
        rule: str | None = None,
        check: str | None = None,
        difference: str | None = None,
    ) -> None:
        assert state in STATES, state
        self.results.append(
            {
                "test": nodeid,
                "state": state,
                "operation": operation or "(no call made)",
                "model": model or "-",
                "rule": rule,
                "check": check,
                "message": message,
                "exchange": exchange,
                "exchanges": exchanges,
                "difference": difference,
                "id": drift_id(operation or "(no call made)", model or "-", rule, check),
            }
        )

    # ------------------------------------------------------------------------------- summary
    def summary(
        self,
        target_label: str,
        billing: dict[str, Any],
        baseline: dict | None = None,
        baseline_path: str | None = None,
    ) -> dict[str, Any]:
        by_state = {s: [r for r in self.results if r["state"] == s] for s in STATES}
        rows: dict[tuple[str, str], dict[str, int]] = {k: defaultdict(int) for k in _operation_rows()}
        for r in self.results:
            rows.setdefault((r["operation"], r["model"]), defaultdict(int))[r["state"]] += 1
        table = []
        for (op, model), counts in sorted(rows.items()):
            state = next((s for s in PRECEDENCE if counts.get(s)), "not checked")
            table.append(
                {"operation": op, "model": model, "state": state, **{s: counts.get(s, 0) for s in STATES}}
            )
        drifts = self._groups(by_state["drift"])
        drift_ids = sorted({r["id"] for r in by_state["drift"]})
        verdict = "drift" if drifts else ("incident" if by_state["incident"] else "conforms")
        out: dict[str, Any] = {
            "verdict": verdict,
            "target": target_label,
            "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "counts": {s: len(by_state[s]) for s in STATES},
            "billable_jobs": billing,
            "drift_ids": drift_ids,
            "drifts": drifts,
            "known": self._groups(by_state["known"], by_reason=True),
            "incidents": self._groups(by_state["incident"], by_reason=True),
            "not_checked": self._groups(by_state["not checked"], by_reason=True),
            "not_sent": self._groups(by_state["not sent"], by_reason=True),
            "by_operation_and_model": table,
        }
        if baseline is not None:
            before = set(
                baseline.get("drift_ids") or [i for d in baseline.get("drifts", []) for i in d.get("ids", [])]
            )
            now = set(drift_ids)
            out["baseline"] = {
                "path": baseline_path,
                "generated_at": baseline.get("generated_at"),
                "verdict": baseline.get("verdict"),
            }
            out["new"] = sorted(now - before)
            out["resolved"] = sorted(before - now)
            out["persisting"] = sorted(now & before)
        return out

    @staticmethod
    def _groups(results: list[dict], by_reason: bool = False) -> list[dict[str, Any]]:
        """One entry per distinct finding: same operation, same rule or check, same message once the
        model, ids and numbers are taken out. Counted, with every model it was seen for."""
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for r in results:
            if by_reason:
                key = (
                    r["operation"] if r["state"] != "not checked" else "",
                    r.get("difference") or r["rule"] or "",
                    _normalise(r["message"] or ""),
                )
            else:
                key = (r["operation"], r["rule"] or r["check"] or "", _normalise(r["message"] or ""))
            groups[key].append(r)
        out = []
        for _key, rs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            first = rs[0]
            rule = first["rule"]
            entry = {
                "operation": first["operation"],
                "models": sorted({r["model"] for r in rs}),
                "count": len(rs),
                "rule": rule,
                "check": first["check"],
                "message": (first["message"] or "")[:2000],
                "exchange": first["exchange"],
                "tests": [r["test"] for r in rs][:5],
                "ids": sorted({r["id"] for r in rs}),
            }
            if first.get("difference"):
                entry["difference"] = first["difference"]
            provenance = evidence.provenance(rule)
            if provenance:
                entry["evidence"] = provenance
            out.append(entry)
        return out

    # ------------------------------------------------------------------------------- files
    def write(self, directory: Path, summary: dict[str, Any]) -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        json_path = directory / "drift.json"
        json_path.write_text(json.dumps(summary, indent=2, default=str), "utf-8")
        md_path = directory / "drift.md"
        md_path.write_text(markdown(summary), "utf-8")
        return md_path, json_path


def _exchange_lines(ex: dict | None) -> list[str]:
    if not ex:
        return []
    auth = "with" if ex.get("authorization_sent") else "**without**"
    sent = f"- sent `{ex.get('method')} {ex.get('path') or ex.get('url')}` ({auth} an Authorization header)"
    if ex.get("request") not in (None, "", {}):
        sent += f" with `{_inline(ex['request'], 500)}`"
    if ex.get("error") or ex.get("status") is None:  # (a free check's exchange may carry only its url)
        got = f"  - no answer: `{(ex.get('error') or 'not sent, or no answer recorded')[:300]}`"
    else:
        got = f"  - got **{ex['status']}** `{_inline(ex.get('response', ex.get('body')), 500)}`"
    attempts = f" (after {ex['attempts']} attempts)" if (ex.get("attempts") or 1) > 1 else ""
    return [sent, got + attempts]


def _inline(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    text = text.replace("`", "'").replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


def _evidence_line(entry: dict) -> list[str]:
    ev = entry.get("evidence")
    if not ev:
        return []
    prod = ev.get("production") or {}
    bits = [f"status **{prod.get('status', 'unconfirmed')}**"]
    if prod.get("samples"):
        bits.append("samples " + ", ".join(map(str, prod["samples"])) + " (fixtures/production/samples.json)")
    if prod.get("dated"):
        bits.append(f"dated {prod['dated']}")
    if prod.get("confidence"):
        bits.append(f"confidence {prod['confidence']}")
    lines = [
        f"- rule **{ev['rule']}**: {ev.get('statement') or ''}",
        f"  - documents: {ev.get('docs') or '-'} (openapi/RULES.md)",
        f"  - production: {'; '.join(bits)}" + (f". {prod['note']}" if prod.get("note") else ""),
    ]
    if ev.get("decision"):
        lines.append(f"  - decision: {ev['decision']}")
    return lines


def markdown(summary: dict[str, Any]) -> str:
    verdict = {
        "drift": "DRIFTED",
        "incident": "INCIDENTS (could not check everything)",
        "conforms": "CONFORMS",
    }
    counts = summary["counts"]
    billing = summary["billable_jobs"]
    lines = [f"# Contract drift report: {verdict[summary['verdict']]}", ""]
    if "new" in summary:
        lines += [
            f"**Since the baseline** ({summary['baseline'].get('generated_at') or summary['baseline'].get('path')}): "
            f"{len(summary['new'])} new, {len(summary['resolved'])} resolved, "
            f"{len(summary['persisting'])} persisting",
            "",
        ]
        for label in ("new", "resolved", "persisting"):
            for item in summary[label][:30]:
                lines.append(f"- {label}: {item}")
        lines.append("")
    lines += [
        f"- target: `{summary['target']}`",
        f"- run at: {summary['generated_at']}",
        f"- results: {counts['conforms']} conform, {counts['drift']} drift "
        f"({len(summary['drifts'])} distinct), {counts['known']} known, {counts['incident']} incidents, "
        f"{counts['not checked']} not checked, {counts['not sent']} not sent",
        f"- billable jobs created: {billing['created']}"
        + (f" of a budget of {billing['budget']}" if billing.get("budget") is not None else "")
        + (
            f", plus {billing['unplanned']} by requests the server should have rejected"
            if billing.get("unplanned")
            else ""
        ),
        "",
        "## By operation and model",
        "",
        "| operation | model | state | conforms | drift | known | incident | not checked | not sent |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in summary["by_operation_and_model"]:
        mark = f"**{row['state']}**" if row["state"] in ("drift", "incident") else row["state"]
        lines.append(
            f"| {row['operation']} | {row['model']} | {mark} | {row['conforms']} | {row['drift']} | "
            f"{row['known']} | {row['incident']} | {row['not checked']} | {row['not sent']} |"
        )
    if summary["drifts"]:
        lines += ["", "## Drifts", ""]
        for n, d in enumerate(summary["drifts"], 1):
            what = f"rule {d['rule']}" if d["rule"] else (d["check"] or "")
            lines += [
                f"### {n}. {d['operation']} · {what} · {len(d['models'])} model(s), {d['count']} result(s)",
                "",
                f"- models: {', '.join(d['models'])}",
                f"- first test: `{d['tests'][0]}`",
                "",
                "```",
                d["message"].strip()[:1500],
                "```",
                "",
            ]
            lines += _evidence_line(d)
            lines += ["", "The exchange that failed:", ""] + _exchange_lines(d["exchange"]) + [""]
    for title, key in (
        ("Incidents (the run could not check)", "incidents"),
        ("Known differences and unconfirmed rules", "known"),
        ("Not checked", "not_checked"),
        ("Not sent (budget spent or no key: nothing was asked of the target)", "not_sent"),
    ):
        if not summary[key]:
            continue
        lines += ["", f"## {title}", ""]
        for g in summary[key][:40]:
            where = g["operation"] if key != "not_checked" else f"{g['operation']}, first `{g['tests'][0]}`"
            label = f"**{g['difference']}** " if g.get("difference") else ""
            lines.append(
                f"- {label}×{g['count']} ({where}; {', '.join(g['models'][:6])}"
                f"{'…' if len(g['models']) > 6 else ''}): {_inline(g['message'], 300)}"
            )
            if key == "incidents":
                lines += ["  " + line for line in _exchange_lines(g["exchange"])]
            if key == "known" and g.get("evidence"):
                prod = g["evidence"].get("production") or {}
                lines.append(
                    f"  - rule {g['rule']}: {g['evidence'].get('docs') or '-'}; production "
                    f"{prod.get('status', 'unconfirmed')}"
                )
        if len(summary[key]) > 40:
            lines.append(f"- … and {len(summary[key]) - 40} more in drift.json")
    return "\n".join(lines) + "\n"
