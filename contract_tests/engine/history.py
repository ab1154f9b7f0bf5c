"""The drift report's history page: one static HTML file (drift.html, beside drift.md) with the
runs kept under a history folder, `<history>/<night>/drift.json`, and this run. No server, no
script: inline SVG plots of drifts, incidents, not sent and not checked per night, and of each
operation × model's state per night, with the newest run's causes. Opens from disk in any browser.

    python -m contract_tests.engine.history keep reports/drift.json --history reports/history --keep 30 \
        --with reports/free/changes.md
    python -m contract_tests.engine.history html --history reports/history --out reports/drift.html

`keep` copies a run's drift.json (and each `--with` file) to `<history>/<its date>/` and removes
all but the newest `--keep` nights; `html` writes the page from the kept runs alone.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

#: what the per-night plot stacks, bottom up, and each state's colour (also the grid's)
PLOTTED = ("drift", "incident", "not sent", "not checked")
COLOURS = {
    "drift": "#d62728",
    "incident": "#ff7f0e",
    "known": "#9467bd",
    "conforms": "#2ca02c",
    "not sent": "#7f7f7f",
    "not checked": "#c7c7c7",
}
#: each verdict of a run, as drift.md's title and this page's say it
VERDICTS = {
    "drift": "DRIFTED",
    "incident": "INCIDENTS (could not check everything)",
    "conforms": "CONFORMS",
}
#: states a run written before "not sent" existed spelled otherwise
OLD_SPELLINGS = {"not_checked": "not checked", "incidents": "incident"}


def load(history: Path) -> list[dict[str, Any]]:
    """Every readable `<history>/*/drift.json`, oldest first (by its `generated_at`)."""
    runs = []
    if history.is_dir():
        for path in sorted(history.glob("*/drift.json")):
            try:
                run = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(run, dict) and isinstance(run.get("counts"), dict):
                run["_path"] = path
                runs.append(run)
    return sorted(runs, key=lambda r: str(r.get("generated_at") or r["_path"].parent.name))


def _night(run: dict[str, Any]) -> str:
    stamp = str(run.get("generated_at") or "")
    return stamp[:10] if stamp else run["_path"].parent.name


def _count(run: dict[str, Any], state: str) -> int:
    counts = {OLD_SPELLINGS.get(k, k): v for k, v in run.get("counts", {}).items()}
    return int(counts.get(state, 0) or 0)


def keep(drift_json: Path, history: Path, nights: int, extra: list[Path] | tuple[Path, ...] = ()) -> Path:
    """Copy one run's drift.json (and `extra` files, e.g. the free watch's changes.md) into the
    history (one folder per night; a second run the same night replaces the first) and keep only
    the newest `nights` folders."""
    run = json.loads(drift_json.read_text("utf-8"))
    night = str(run.get("generated_at") or "")[:10] or "undated"
    target = history / night / "drift.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(drift_json, target)
    for path in extra:
        shutil.copyfile(path, target.parent / path.name)
    folders = sorted(p for p in history.iterdir() if (p / "drift.json").is_file())
    for old in folders[: max(0, len(folders) - nights)]:
        shutil.rmtree(old)
    return target


# ------------------------------------------------------------------------------------ the page
def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _code(text: str) -> str:
    """Escaped, with Markdown's `code` spans as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _e(text))


def _bars(runs: list[dict[str, Any]]) -> str:
    """Stacked bars per night: drift, incident, not sent, not checked (counts of results)."""
    width, height, left, bottom, top = 860, 260, 48, 40, 16
    step = (width - left - 10) / max(len(runs), 1)
    peak = max([sum(_count(r, s) for s in PLOTTED) for r in runs] + [1])
    scale = (height - bottom - top) / peak
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="results per night">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#333"/>',
        f'<text x="4" y="{top + 4}" font-size="11">{peak}</text>',
        f'<text x="4" y="{height - bottom}" font-size="11">0</text>',
    ]
    for n, run in enumerate(runs):
        x = left + n * step + step * 0.15
        y: float = height - bottom
        for state in PLOTTED:
            value = _count(run, state)
            if not value:
                continue
            h = value * scale
            y -= h
            parts.append(
                f'<rect class="bar" data-state="{_e(state)}" x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[state]}"><title>{_e(_night(run))}: {value} {_e(state)}'
                "</title></rect>"
            )
        parts.append(
            f'<text x="{x + step * 0.35:.1f}" y="{height - bottom + 14}" font-size="10" '
            f'text-anchor="middle">{_e(_night(run)[5:])}</text>'
        )
    for n, state in enumerate(PLOTTED):
        parts.append(
            f'<rect x="{left + n * 140}" y="{height - 14}" width="10" height="10" fill="{COLOURS[state]}"/>'
            f'<text x="{left + n * 140 + 14}" y="{height - 5}" font-size="11">{_e(state)}</text>'
        )
    return "\n".join(parts + ["</svg>"])


def _grid(runs: list[dict[str, Any]]) -> tuple[str, int]:
    """One row per operation × model, one column per night, each cell the row's state that night.
    Rows that conformed, or had no result, every night they appear are left out (counted); returns
    (svg, left out)."""
    states: dict[tuple[str, str], dict[int, str]] = {}
    for n, run in enumerate(runs):
        for row in run.get("by_operation_and_model") or []:
            key = (row.get("operation", "?"), row.get("model", "-"))
            results = sum(v for k, v in row.items() if isinstance(v, int))
            state = OLD_SPELLINGS.get(row.get("state"), row.get("state") or "?")
            states.setdefault(key, {})[n] = state if results else "no result"
    shown = {k: v for k, v in sorted(states.items()) if set(v.values()) - {"conforms", "no result"}}
    cell, label = 14, 330
    width = label + cell * len(runs) + 10
    height = cell * len(shown) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="state of each operation and model per night">'
    ]
    for n, run in enumerate(runs):
        parts.append(
            f'<text x="{label + n * cell + cell / 2}" y="12" font-size="9" text-anchor="middle">'
            f"{_e(_night(run)[8:])}</text>"
        )
    for i, ((op, model), by_night) in enumerate(shown.items()):
        y = 20 + i * cell
        name = op if model == "-" else f"{op} · {model}"
        parts.append(
            f'<text x="{label - 6}" y="{y + cell - 3}" font-size="11" text-anchor="end">{_e(name)}</text>'
        )
        for n in range(len(runs)):
            state = by_night.get(n)
            fill = COLOURS.get(state or "", "#ffffff")
            parts.append(
                f'<rect x="{label + n * cell}" y="{y}" width="{cell - 1}" height="{cell - 1}" fill="{fill}" '
                f'stroke="#eee"><title>{_e(name)}, {_e(_night(runs[n]))}: {_e(state or "no row")}</title></rect>'
            )
    return "\n".join(parts + ["</svg>"]), len(states) - len(shown)


def _nights_table(runs: list[dict[str, Any]], page: Path) -> str:
    states = ("conforms", "drift", "known", "incident", "not sent", "not checked")
    head = "".join(f"<th>{_e(s)}</th>" for s in states)
    rows = []
    for run in reversed(runs):
        path = run.get("_path")
        link = ""
        if path is not None:
            try:
                link = f' (<a href="{_e(Path(path).resolve().relative_to(page.parent.resolve()))}">drift.json</a>)'
            except ValueError:
                link = ""
        cells = "".join(f"<td>{_count(run, s)}</td>" for s in states)
        rows.append(
            f"<tr><td>{_e(run.get('generated_at') or _night(run))}{link}</td>"
            f"<td>{_e(run.get('verdict', '?'))}</td>{cells}</tr>"
        )
    return f"<table><tr><th>run</th><th>verdict</th>{head}</tr>{''.join(rows)}</table>"


def page(summary: dict[str, Any], runs: list[dict[str, Any]], out: Path) -> str:
    """The HTML of the history page: `runs` oldest first, the newest being `summary`."""
    verdict = VERDICTS.get(summary.get("verdict", ""), str(summary.get("verdict")))
    grid, conforming = _grid(runs)
    causes = "".join(
        f"<li><b>{_code(c['title'])}</b>: {c['count']} result(s)</li>"
        for c in (summary.get("causes") or [])[:10]
    )
    latest = ", ".join(f"{_count(summary, s)} {s}" for s in COLOURS)
    legend = " ".join(
        f'<span style="display:inline-block;width:10px;height:10px;background:{c};border:1px solid #999"></span> '
        f"{_e(state)}&nbsp;&nbsp;"
        for state, c in [*COLOURS.items(), ("no result", "#ffffff")]
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Contract drift history: {_e(verdict)}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; background: #fff; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 2px 6px; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }} h1 {{ font-size: 22px; }} h2 {{ font-size: 17px; }}
</style></head>
<body>
<h1 id="verdict">Contract drift: {_e(verdict)}</h1>
<p>Target <code>{_e(summary.get("target", "?"))}</code>, latest run {_e(summary.get("generated_at", "?"))}:
{_e(latest)}. {len(runs)} run(s) shown; the details of the latest are in drift.md and drift.json beside
this file.</p>
<h2>Latest causes</h2>
<ol id="causes">{causes or "<li>no drift</li>"}</ol>
<h2>Results per night</h2>
<p>Drift, incidents, not sent (budget spent, no key) and not checked, counted per run.</p>
{_bars(runs)}
<h2>Each operation and model, per night</h2>
<p>A cell is that row's state in that run (its most telling result's); hover for the night.
White: no result spoke of that row.
{conforming} row(s) that conformed (or had no result) in every run are left out.</p>
<p id="legend">{legend}</p>
{grid}
<h2>Runs</h2>
{_nights_table(runs, out)}
</body></html>
"""


def write_html(out: Path, summary: dict[str, Any], history: Path) -> Path:
    """drift.html: the runs kept under `history` followed by this one (unless it is already kept)."""
    runs = load(history)
    stamp = summary.get("generated_at")
    runs = [r for r in runs if not (stamp and r.get("generated_at") == stamp)] + [summary]
    out.write_text(page(summary, runs, out), "utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m contract_tests.engine.history", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    keep_cmd = sub.add_parser("keep", help="copy a drift.json into the history, keep the newest nights")
    keep_cmd.add_argument("drift_json", type=Path)
    keep_cmd.add_argument("--history", type=Path, default=Path("reports/history"))
    keep_cmd.add_argument("--keep", type=int, default=30, help="nights kept (default 30)")
    keep_cmd.add_argument(
        "--with", dest="extra", type=Path, action="append", default=[], help="another file kept that night"
    )
    html_cmd = sub.add_parser("html", help="write the history page from the kept runs")
    html_cmd.add_argument("--history", type=Path, default=Path("reports/history"))
    html_cmd.add_argument("--out", type=Path, default=Path("reports/drift.html"))
    args = parser.parse_args(argv)
    if args.command == "keep":
        if not args.drift_json.is_file():
            parser.error(f"{args.drift_json} does not exist: run the suite first (make contract)")
        missing = [str(p) for p in args.extra if not p.is_file()]
        if missing:
            parser.error(f"--with {', '.join(missing)}: no such file")
        print(f"kept {keep(args.drift_json, args.history, args.keep, args.extra)}")
        return 0
    runs = load(args.history)
    if not runs:
        parser.error(f"no {args.history}/*/drift.json to show: keep a run first (… keep reports/drift.json)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    newest = runs[-1]
    args.out.write_text(page(newest, runs, args.out), "utf-8")
    print(f"wrote {args.out} ({len(runs)} run(s))")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
