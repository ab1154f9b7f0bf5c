"""`aihubmix-mock serve`: run the mock under uvicorn."""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys

from . import __version__
from .config import MockConfig


def _keys(args: argparse.Namespace) -> list[str] | None:
    keys = list(args.key or [])
    if args.keys_file:
        with open(args.keys_file, encoding="utf-8") as handle:
            keys += [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    env = os.environ.get("AIHUBMIX_MOCK_KEYS")
    if env:
        keys += [k.strip() for k in env.split(",") if k.strip()]
    return keys or None


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Each default said once: argparse's `(default: X)` only where the help does not say it already
    and there is one; the epilog keeps its line breaks."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or action.default in (None, False, argparse.SUPPRESS):
            return text
        return text + " (default: %(default)s)"


SERVE_EPILOG = """\
per request (headers on any API call):
  X-Mock-Policy: time=2 | polls=1 | manual   this job's lifecycle policy
  X-Mock-Outcome: failed                     the job ends failed (or put [mock:fail] in the prompt)
  X-Mock-Fault: balance | no-channel | 503 … this request answers production's gateway fault
                                             (a name from the spec's catalogue, or 429/500/502/503)

control plane (no key; described in openapi/control-plane.yaml):
  GET  /__mock/health                        status, jobs, clock
  POST /__mock/reset                         forget jobs, journal and faults; the clock goes back
  POST /__mock/clock/advance {"seconds": 30} move time on: jobs progress, downloads expire
  POST /__mock/jobs/{id}/advance {"to": "completed"|"failed"|"in_progress"}
  POST /__mock/faults {"fault": "balance", "count": 2}   answer the next requests with a gateway
                                             fault (or {"status": 503})
  GET  /__mock/journal?method=POST           what clients sent (keys redacted)
  POST /__mock/seed {"seed": 42}             reproducible ids

example: aihubmix-mock serve --port 4010 --job-seconds 0 --key sk-test
         curl -s localhost:4010/v1/videos -H 'Authorization: Bearer sk-test'
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aihubmix-mock", description=(
        "Stateful mock of the AIHubMix / APIMart video APIs, validated by the spec in openapi/."))
    parser.add_argument("--version", action="version", version=f"aihubmix-mock {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the mock server", formatter_class=_HelpFormatter, epilog=SERVE_EPILOG,
                           description="Run the mock server on HOST:PORT until interrupted (Ctrl-C or SIGTERM).")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", 4010)), help="port (env PORT)")
    serve.add_argument("--job-seconds", type=float, default=5.0,
                       help="time policy: seconds from creation to completed (0: completed on the first poll)")
    serve.add_argument("--policy", choices=["time", "polls", "manual"], default="time",
                       help="how jobs progress; a request may override it with X-Mock-Policy")
    serve.add_argument("--polls", type=int, default=3, help="polls policy: status polls until completed")
    serve.add_argument("--key", action="append", metavar="KEY",
                       help="accept only this bearer key (repeatable); without any, every key is accepted that "
                            "is 1-512 visible ASCII characters without spaces")
    serve.add_argument("--keys-file", help="file with one accepted key per line (also env AIHUBMIX_MOCK_KEYS=k1,k2)")
    serve.add_argument("--max-jobs", type=int, default=100_000, help="jobs kept at most (then 429)")
    serve.add_argument("--max-body-mb", type=float, default=25.0, help="largest request body in MiB (then 413)")
    serve.add_argument("--state-file", help="SQLite file that keeps jobs across restarts (default: memory only)")
    serve.add_argument("--media-cache-dir", help="folder that keeps rendered MP4s across restarts")
    serve.add_argument("--seed", type=int, help="make ids reproducible: the same seed and requests give the same ids")
    serve.add_argument("--fps", type=int, default=1, help="frame rate of rendered MP4s")
    serve.add_argument("--rules", choices=["production", "documents"], default="production",
                       help="production: reject only what production is known to reject, accept the rest with "
                            "X-Mock-Unconfirmed-Rules; documents: reject every documented rule "
                            "(per request: header X-Mock-Rules)")
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
                       help="uvicorn's log level (keys never appear in the log)")
    serve.add_argument("--no-access-log", action="store_true", help="do not log each request")
    return parser


def config_from(args: argparse.Namespace) -> MockConfig:
    return MockConfig(
        policy=args.policy, job_seconds=args.job_seconds, polls=args.polls, keys=_keys(args),
        max_jobs=args.max_jobs, max_body_bytes=int(args.max_body_mb * 1024 * 1024), channel=args.port or 4010,
        state_file=args.state_file, media_cache_dir=args.media_cache_dir, fps=args.fps, seed=args.seed,
        rules=args.rules,
    )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    if not (sys.argv[1:] if argv is None else argv):
        parser.print_help()  # a bare `aihubmix-mock`: say what it can do
        return 0
    args = parser.parse_args(argv)
    try:
        config = config_from(args)
    except (ValueError, OSError) as exc:
        print(f"aihubmix-mock: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    from .app import create_app

    app = create_app(config)
    # What start-up built (the parsed specs, compiled validators, modules) lives as long as the
    # process: move it out of the collector's way, so full collections walk only the jobs.
    gc.collect()
    gc.freeze()
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it under the handler that was there
    # before: make that one a clean exit, so the state file is closed and the exit code is 0.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"aihubmix-mock {__version__} on http://{args.host}:{args.port} "
          f"(policy {config.policy}, job {config.job_seconds}s, rules {config.rules}, "
          f"{'keys: ' + str(len(config.keys)) if config.keys else 'any key'}, control plane /__mock)", flush=True)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                    access_log=not args.no_access_log, server_header=False)
    finally:
        app.state.mock.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
