"""`aihubmix-mock proxy`, `aihubmix-mock export-har`, `aihubmix-mock evidence` (dispatched here by
the mock's CLI, which imports this module only when one of them is asked for)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

COMMANDS = ("proxy", "export-har", "evidence")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aihubmix-mock")
    sub = parser.add_subparsers(dest="command", required=True)
    proxy = sub.add_parser(
        "proxy",
        help="forward to a real API, judge every exchange against the spec, record it",
        description="Forward every request to --upstream and every answer back unchanged and streamed; "
        "judge each exchange against the spec (drift report in --report, live at /__proxy/report); "
        "record it in --record.",
    )
    proxy.add_argument(
        "--upstream", required=True, help="base URL of the real API, e.g. https://aihubmix.com"
    )
    proxy.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    proxy.add_argument("--port", type=int, default=4020, help="port (default: %(default)s)")
    proxy.add_argument("--record", metavar="DIR", help="append each exchange to DIR/exchanges-*.ndjson")
    proxy.add_argument(
        "--report",
        metavar="DIR",
        default="reports/proxy",
        help="where drift.md / drift.json go (default: %(default)s)",
    )
    proxy.add_argument("--redact-prompts", action="store_true", help="record prompts as hash and length only")
    proxy.add_argument(
        "--violations-header",
        action="store_true",
        help="add X-Contract-Violations to JSON answers (the answer is read whole before it is sent)",
    )
    proxy.add_argument(
        "--queue-size",
        type=int,
        default=1000,
        help="exchanges waiting to be judged at most; beyond, dropped and counted",
    )
    proxy.add_argument("--timeout", type=float, default=600.0, help="seconds the upstream may take to answer")
    proxy.add_argument(
        "--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"]
    )
    har = sub.add_parser("export-har", help="write a recording folder as HAR 1.2")
    har.add_argument("dir", help="the folder given to --record")
    har.add_argument("--out", help="the HAR file (default: DIR/exchanges.har)")
    ev = sub.add_parser("evidence", help="propose what recordings show about each rule")
    ev.add_argument("dir", help="the folder given to --record")
    ev.add_argument("--out", help="the proposal file (default: DIR/evidence-proposal.json)")
    ev.add_argument("--json", action="store_true", help="print the findings as JSON instead of the summary")
    return parser


def _folder(path: str) -> bool:
    if Path(path).is_dir():
        return True
    print(f"aihubmix-mock: {path} is not a folder (give the folder passed to --record)", file=sys.stderr)
    return False


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "export-har":
        from .recorder import export_har

        if not _folder(args.dir):
            return 2
        path, entries = export_har(args.dir, args.out)
        print(f"{entries} exchanges written to {path}")
        return 0
    if args.command == "evidence":
        from .learn import learn, summary_text, write

        if not _folder(args.dir):
            return 2
        found = learn(args.dir)
        path = write(args.dir, found, args.out)
        print(json.dumps(found, indent=1, default=str) if args.json else summary_text(found))
        print(f"\nproposal written to {path}; review it, then copy what holds into fixtures/production/")
        return 0
    return serve(args)


def serve(args: argparse.Namespace) -> int:
    import httpx
    import uvicorn

    from .server import Proxy
    from .session import Session

    try:
        upstream = httpx.URL(args.upstream)
        if upstream.scheme not in ("http", "https") or not upstream.host:
            raise ValueError
    except (ValueError, httpx.InvalidURL):
        print(f"aihubmix-mock: --upstream {args.upstream!r} is not an http(s) URL", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535 or args.queue_size < 1:
        print("aihubmix-mock: --port must be 0-65535 and --queue-size at least 1", file=sys.stderr)
        return 2
    session = Session(
        args.upstream,
        record=args.record,
        report=args.report,
        redact_prompts=args.redact_prompts,
        queue_size=args.queue_size,
    )
    app = Proxy(args.upstream, session, violations_header=args.violations_header, timeout=args.timeout)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # The worker thread judges while the event loop forwards: hand the GIL back to the loop after
    # 1 ms rather than Python's 5 ms, so that judging never holds an answer up for long.
    sys.setswitchinterval(0.001)
    print(
        f"aihubmix-mock proxy on http://{args.host}:{args.port} -> {args.upstream} "
        f"(report {args.report}, live at /__proxy/report"
        + (f"; recording to {args.record}" if args.record else "")
        + ")",
        flush=True,
    )
    try:
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            server_header=False,
            date_header=False,
            ws="none",
        )
    finally:
        session.close()
    return 0
