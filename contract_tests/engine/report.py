"""The drift report: every result in one of six states (conforms, drift, known, incident, not sent,
not checked); the drifts grouped by their *cause*, the server's answer before the rule (one entry
for "21 models answer 404", one for "operation remixVideo is not served", one for "every refusal is
the same 400"), each with the rules, models and checks it explains and one example exchange; the
rule's document line and production evidence; what changed since a baseline run. Written as
reports/drift.md (the verdict and at most ten causes on the first screen, the per-model table
folded), reports/drift.json (every detail, for tools) and reports/drift.html (history.py: the kept
runs as a plot).

Exit codes of a run (set by the suite's conftest):
  0  nothing drifted (known differences, unconfirmed rules and checks not made do not fail a run)
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
from .classify import STATES as CLASSIFIED_STATES
from .history import VERDICTS, write_html

EXIT_OK, EXIT_DRIFT, EXIT_INCIDENT = 0, 1, 3
#: the six states, spelled once in classify.py (drift.json's `counts`, `groups` and table columns)
STATES = CLASSIFIED_STATES
#: states where nothing was checked: `not sent` (budget spent, no key: no request went out) and
#: `not checked` (the target cannot do it, the time limit, a request not re-sent)
UNCHECKED = ("not sent", "not checked")
# a row's state is its most telling result's
PRECEDENCE = ("drift", "incident", "known", "conforms", "not sent", "not checked")
#: causes shown on the first screen of drift.md, and in detail below it
FIRST_SCREEN = 10
#: checks about an answer's headers (conform.py): a 404 without its request id is the header's drift,
#: not a route that is not served
HEADER_CHECKS = ("request-id", "headers")
#: statuses that say "there is no such thing here" (a route, a method, an operation)
NOT_SERVED = (404, 405, 501)

__all__ = [
    "DriftReport",
    "operation_of",
    "EXIT_OK",
    "EXIT_DRIFT",
    "EXIT_INCIDENT",
    "STATES",
    "drift_id",
    "markdown",
]


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


def _answer_text(exchange: dict[str, Any] | None) -> str:
    """The server's answer as one line of text (JSON compact), for grouping and titles."""
    if not exchange:
        return ""
    body = exchange.get("response", exchange.get("body"))
    if isinstance(body, str):
        return body
    return json.dumps(body, default=str, ensure_ascii=False)


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
        exchange: dict[str, Any] | None = None,
        exchanges: int = 0,
        rule: str | None = None,
        check: str | None = None,
        difference: str | None = None,
    ) -> None:
        assert state in STATES, f"{state!r} is not one of {STATES}"
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
        baseline: dict[str, Any] | None = None,
        baseline_path: str | None = None,
    ) -> dict[str, Any]:
        by_state = {s: [r for r in self.results if r["state"] == s] for s in STATES}
        rows: dict[tuple[str, str], dict[str, int]] = {k: defaultdict(int) for k in _operation_rows()}
        for r in self.results:
            rows.setdefault((r["operation"], r["model"]), defaultdict(int))[r["state"]] += 1
        table = []
        for (op, model), counts in sorted(rows.items()):
            # a row no result speaks of was not checked: its counts are all 0
            state = next((s for s in PRECEDENCE if counts.get(s)), "not checked")
            table.append(
                {
                    "operation": op,
                    "model": model,
                    "state": state,
                    **{str(s): counts.get(s, 0) for s in STATES},
                }
            )
        drifts = self._groups(by_state["drift"])
        drift_ids = sorted({r["id"] for r in by_state["drift"]})
        verdict = "drift" if drifts else ("incident" if by_state["incident"] else "conforms")
        out: dict[str, Any] = {
            "verdict": verdict,
            "target": target_label,
            "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "states": list(STATES),
            "counts": {s: len(by_state[s]) for s in STATES},
            "rows": {s: sum(1 for row in table if row["state"] == s) for s in STATES},
            "billable_jobs": billing,
            "drift_ids": drift_ids,
            "causes": causes(self.results),
            "drifts": drifts,
            "groups": {
                s: self._groups(by_state[s], by_reason=True) for s in STATES if s not in ("conforms", "drift")
            },
            "by_operation_and_model": table,
            "results": [_result_line(r) for r in self.results],
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
    def _groups(results: list[dict[str, Any]], by_reason: bool = False) -> list[dict[str, Any]]:
        """One entry per distinct finding: same operation, same rule or check, same message once the
        model, ids and numbers are taken out. Counted, with every model it was seen for."""
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
        for r in results:
            if by_reason:
                key = (
                    r["operation"] if r["state"] not in UNCHECKED else "",
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
    def write(
        self, directory: Path, summary: dict[str, Any], *, history: Path | None = None
    ) -> tuple[Path, Path]:
        """drift.md and drift.json in `directory`, and drift.html beside them: this run with the
        runs kept under `history` (default `<directory>/history/*/drift.json`) as a plot."""
        directory.mkdir(parents=True, exist_ok=True)
        json_path = directory / "drift.json"
        json_path.write_text(json.dumps(summary, indent=2, default=str), "utf-8")
        md_path = directory / "drift.md"
        md_path.write_text(markdown(summary), "utf-8")
        write_html(
            directory / "drift.html", summary, history if history is not None else directory / "history"
        )
        return md_path, json_path


def _result_line(r: dict[str, Any]) -> dict[str, Any]:
    """One result for drift.json's `results`: what it was about and the status it got (the exchange
    itself is kept once per group and per cause)."""
    ex = r.get("exchange") or {}
    line = {k: r[k] for k in ("test", "state", "operation", "model", "rule", "check", "difference", "id")}
    line["status"] = ex.get("status")
    line["exchanges"] = r["exchanges"]
    line["message"] = (r["message"] or "")[:500] or None
    return line


# ----------------------------------------------------------------------------------- causes
def _cause_key(r: dict[str, Any]) -> tuple[Any, ...]:
    """What a drift result is grouped by: the server's answer where it refused or failed (status and
    body, models, ids and numbers taken out), what it accepted where a rejection was due, and the
    failed check where it answered 2xx but wrong."""
    ex = r.get("exchange") or {}
    status = ex.get("status")
    body = ex.get("response")
    api_shaped = not (isinstance(status, int) and status >= 400) or (
        isinstance(body, dict) and isinstance(body.get("error"), dict)
    )
    if r.get("check") in HEADER_CHECKS and api_shaped:
        # an answer in the API's own shape (a 404 for an unknown id is right): what is missing is
        # in its headers. A foreign answer (a framework's {"detail": "Not Found"}) stays the cause.
        return ("check", r["operation"], r["rule"] or r["check"] or "", _normalise(r["message"] or ""))
    if isinstance(status, int) and status >= 400:
        text = _answer_text(ex)
        sent = (ex.get("request") or {}).get("model") if isinstance(ex.get("request"), dict) else None
        if isinstance(sent, str) and sent:  # the model it was asked for, whatever it is, as quoted
            for quoted in {repr(sent), json.dumps(sent), json.dumps(repr(sent))[1:-1], f"'{sent}'"}:
                text = text.replace(quoted, "'{model}'")
        return ("answer", status, _normalise(text)[:200])
    if isinstance(status, int) and r.get("check") == "rejected":
        return ("accepts", r["operation"], status)
    return ("check", r["operation"], r["rule"] or r["check"] or "", _normalise(r["message"] or ""))


def _cause(kind: str, title: str, rs: list[dict[str, Any]], answer: dict[str, Any] | None) -> dict[str, Any]:
    first = rs[0]
    rules = sorted({r["rule"] for r in rs if r["rule"]})
    return {
        "kind": kind,
        "title": title,
        "count": len(rs),
        "answer": answer,
        "operations": sorted({r["operation"] for r in rs}),
        "models": sorted({r["model"] for r in rs} - {"-"}),
        "rules": rules,
        "checks": sorted({r["check"] for r in rs if r["check"]}),
        "message": (first["message"] or "")[:2000],
        "exchange": first["exchange"],
        "tests": [r["test"] for r in rs][:5],
        "ids": sorted({r["id"] for r in rs}),
        **(
            {"evidence": evidence.provenance(rules[0])}
            if len(rules) == 1 and evidence.provenance(rules[0])
            else {}
        ),
    }


def _short(text: str, limit: int = 100) -> str:
    text = text.replace("`", "'").replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


def causes(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The drifts grouped by cause, most results first. An answer that names no model and says
    "no such thing" (404/405/501) to the failing checks of an operation that has nothing conforming,
    or that several operations give alike, is that operation not being served; an answer naming the
    model is the models not being served; one answer to many different checks is one canned answer;
    a 2xx to requests that must be rejected is the operation accepting them; the rest is the check."""
    drifts = [r for r in results if r["state"] == "drift"]
    conforming_ops = {r["operation"] for r in results if r["state"] == "conforms"}
    by_key: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in drifts:
        by_key[_cause_key(r)].append(r)
    refusals = sum(len(rs) for key, rs in by_key.items() if key[0] == "answer" and 400 <= key[1] < 500)
    out: list[dict[str, Any]] = []
    for key, rs in by_key.items():
        operations = sorted({r["operation"] for r in rs})
        models = sorted({r["model"] for r in rs} - {"-"})
        checks = {r["rule"] or r["check"] for r in rs}
        if key[0] == "answer":
            _, status, body = key
            answer = {"status": status, "body": body}
            shown = f"{status} `{_short(body)}`"
            names_model = "{model}" in body
            if (
                status in NOT_SERVED
                and not names_model
                and (len(operations) > 1 or not (set(operations) & conforming_ops))
            ):
                for op in operations:
                    mine = [r for r in rs if r["operation"] == op]
                    kept = "" if op not in conforming_ops else "; some of its checks conform"
                    out.append(
                        _cause(
                            "operation not served",
                            f"operation `{op}` is not served: {status} on every failing check "
                            f"(`{_short(body, 60)}`{kept})",
                            mine,
                            answer,
                        )
                    )
                continue
            if names_model and len(models) > 1:
                title = f"{len(models)} models answer {shown} ({', '.join(operations)})"
                kind = "models not served" if status in NOT_SERVED else "models answer alike"
            elif len(checks) > 2 and 400 <= status < 500:
                every = "every refusal is" if len(rs) == refusals else "one answer for many refusals:"
                title = f"{every} the same {shown}, whatever was asked ({len(operations)} operation(s))"
                kind = "same answer"
            else:
                about = f"rule {rs[0]['rule']}" if rs[0]["rule"] else str(rs[0]["check"])
                title = f"{', '.join(operations)} answers {shown} to {about}" + (
                    f" and {len(checks) - 1} other check(s)" if len(checks) > 1 else ""
                )
                kind = "answer"
            out.append(_cause(kind, title, rs, answer))
        elif key[0] == "accepts":
            _, op, status = key
            rules = sorted({r["rule"] for r in rs if r["rule"]})
            what = f"rule {rules[0]}" if len(rules) == 1 else f"{len(rules)} rules"
            out.append(
                _cause(
                    "accepts what must be rejected",
                    f"`{op}` accepts ({status}) requests that break {what}",
                    rs,
                    {"status": status, "body": None},
                )
            )
        else:
            _, op, what, message = key
            label = f"rule {what}" if rs[0]["rule"] else what
            out.append(_cause("check", f"{op} · {label}: {_short(message)}", rs, None))
    out.sort(key=lambda c: (-c["count"], c["title"]))
    return out


# ----------------------------------------------------------------------------------- markdown
def _exchange_lines(ex: dict[str, Any] | None) -> list[str]:
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


def _evidence_line(entry: dict[str, Any]) -> list[str]:
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


def _listing(items: list[str], limit: int = 12) -> str:
    more = f" … and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _counts_line(counts: dict[str, int], noun: str) -> str:
    words = {"conforms": "conform", "incident": "incidents"}
    return f"{noun}: " + ", ".join(f"{counts.get(s, 0)} {words.get(s, s)}" for s in STATES)


#: the state sections below the causes, with how many groups each shows in drift.md
SECTIONS = (
    ("incident", "Incidents (the run could not check)", 20),
    ("known", "Known differences and unconfirmed rules", 20),
    ("not sent", "Not sent (the budget was spent, or no key: no request went out)", 15),
    ("not checked", "Not checked (the target cannot do it, the time limit, a request not re-sent)", 15),
)


def markdown(summary: dict[str, Any]) -> str:
    """drift.md: the verdict and at most ten causes first (one screen), then each cause with the
    rules, models and checks it explains and one exchange, then incidents, known differences, not
    sent and not checked, and last the per-operation table, folded. drift.json has everything."""
    counts = summary["counts"]
    billing = summary["billable_jobs"]
    all_causes = summary.get("causes", [])
    lines = [f"# Contract drift report: {VERDICTS[summary['verdict']]}", ""]
    if "new" in summary:
        lines += [
            f"**Since the baseline** ({summary['baseline'].get('generated_at') or summary['baseline'].get('path')}): "
            f"{len(summary['new'])} new, {len(summary['resolved'])} resolved, "
            f"{len(summary['persisting'])} persisting",
            "",
        ]
    lines += [
        f"- target: `{summary['target']}`, run at {summary['generated_at']}",
        "- " + _counts_line(counts, f"{sum(counts.values())} results"),
        f"- billable jobs created: {billing['created']}"
        + (f" of a budget of {billing['budget']}" if billing.get("budget") is not None else "")
        + (
            f", plus {billing['unplanned']} by requests the server should have rejected"
            if billing.get("unplanned")
            else ""
        ),
    ]
    if all_causes:
        lines += [
            f"- {counts['drift']} drift results ({len(summary['drift_ids'])} distinct) come from "
            f"{len(all_causes)} cause(s):",
            "",
        ]
        for n, c in enumerate(all_causes[:FIRST_SCREEN], 1):
            lines.append(f"{n}. **{c['title']}**: {c['count']} result(s){_reach(c)}")
        if len(all_causes) > FIRST_SCREEN:
            lines.append(f"- … and {len(all_causes) - FIRST_SCREEN} more cause(s), listed below")
    lines.append("")
    if "new" in summary:
        for label in ("new", "resolved", "persisting"):
            items = summary[label]
            for item in items[:10]:
                lines.append(f"- {label}: {item}")
            if len(items) > 10:
                lines.append(f"- … {len(items) - 10} more {label} in drift.json")
        lines.append("")
    if all_causes:
        lines += ["## Causes", ""]
        for n, c in enumerate(all_causes[:FIRST_SCREEN], 1):
            lines += _cause_lines(n, c)
        rest = all_causes[FIRST_SCREEN:]
        if rest:
            lines += ["## More causes", ""]
            for n, c in enumerate(rest[:30], FIRST_SCREEN + 1):
                lines.append(f"{n}. {c['title']}: {c['count']} result(s){_reach(c)}")
            if len(rest) > 30:
                lines.append(f"- … and {len(rest) - 30} more in drift.json (`causes`)")
            lines.append("")
    groups = summary.get("groups", {})
    for state, title, limit in SECTIONS:
        found = groups.get(state) or []
        if not found:
            continue
        lines += ["", f"## {title}", ""]
        for g in found[:limit]:
            unchecked = state in UNCHECKED
            where = f"{g['operation']}, first `{g['tests'][0]}`" if unchecked else g["operation"]
            label = f"**{g['difference']}** " if g.get("difference") else ""
            lines.append(
                f"- {label}×{g['count']} ({where}; {_listing(g['models'], 6)}): {_inline(g['message'], 300)}"
            )
            if state in ("incident", "known") and g.get("exchange"):
                lines += ["  " + line for line in _exchange_lines(g["exchange"])]
            if state == "known" and g.get("evidence"):
                prod = g["evidence"].get("production") or {}
                lines.append(
                    f"  - rule {g['rule']}: {g['evidence'].get('docs') or '-'}; production "
                    f"{prod.get('status', 'unconfirmed')}"
                )
        if len(found) > limit:
            lines.append(f"- … and {len(found) - limit} more in drift.json (`groups`)")
    lines += [""] + _table(summary)
    return "\n".join(lines) + "\n"


def _reach(c: dict[str, Any]) -> str:
    bits = []
    for key, noun in (("models", "model"), ("rules", "rule"), ("checks", "check")):
        if len(c[key]) > 1:
            bits.append(f"{len(c[key])} {noun}s")
    return f" ({', '.join(bits)})" if bits else ""


def _cause_lines(n: int, c: dict[str, Any]) -> list[str]:
    """One cause in a dozen lines: what it explains, the first failure's words, one exchange."""
    explains = f"- explains {c['count']} drift result(s) of {_listing(c['operations'])}"
    if c["models"]:
        explains += f"; models ({len(c['models'])}): {_listing(c['models'])}"
    lines = [f"### {n}. {c['title']}", "", explains]
    if c["rules"]:
        lines.append(
            f"- rules ({len(c['rules'])}): "
            + _listing([f"{r} ({evidence.production_status(r)})" for r in c["rules"]])
        )
    if c["checks"]:
        lines.append(
            f"- checks ({len(c['checks'])}): {_listing(c['checks'], 8)}; first test `{c['tests'][0]}`"
        )
    said = [line.strip() for line in c["message"].strip().splitlines() if line.strip()][:3]
    if said:
        lines.append(f"- the first says: `{_inline(' / '.join(said), 400)}`")
    lines += _evidence_line(c)
    if c.get("exchange"):
        lines += ["- one exchange:"] + ["  " + line for line in _exchange_lines(c["exchange"])]
    return lines + [""]


def _table(summary: dict[str, Any]) -> list[str]:
    rows = summary["by_operation_and_model"]
    tally = summary.get("rows") or {s: sum(1 for r in rows if r["state"] == s) for s in STATES}
    header = " | ".join(STATES)
    lines = [
        "## By operation and model",
        "",
        f"{len(rows)} rows (one per operation, create operations per model): "
        + ", ".join(f"{tally.get(s, 0)} {s}" for s in STATES)
        + ". A row's state is its most telling result's; a row no result speaks of is `not checked`.",
        "",
        "<details><summary>the table</summary>",
        "",
        f"| operation | model | state | {header} |",
        "|---|---|---|" + "---|" * len(STATES),
    ]
    for row in rows:
        mark = f"**{row['state']}**" if row["state"] in ("drift", "incident") else row["state"]
        cells = " | ".join(str(row.get(s, 0)) for s in STATES)
        lines.append(f"| {row['operation']} | {row['model']} | {mark} | {cells} |")
    return lines + ["", "</details>"]
