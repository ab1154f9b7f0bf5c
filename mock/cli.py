"""`aihubmix-mock serve`: run the mock under uvicorn."""

from __future__ import annotations

import argparse
import gc
import math
import os
import shlex
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from . import __version__
from .config import IDLE_TIMEOUT, MockConfig


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

control plane (open unless --control-key; described in openapi/control-plane.yaml):
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


#: subcommands that judge with the contract suite's engine: dispatched to it, imported only then
ENGINE_COMMANDS = {
    "proxy": "forward to a real API, judge every exchange against the spec, record it (docs/proxy.md)",
    "export-har": "write a proxy recording folder as HAR 1.2",
    "evidence": "propose what proxy recordings show about each rule",
}


def _engine_command(argv: list[str]) -> int:
    import importlib

    # by name: the mock's modules never import the contract suite (nor type-check it)
    try:
        engine = importlib.import_module("contract_tests.engine.proxy.cli")
    except ImportError as exc:
        print(
            f"aihubmix-mock: {argv[0]} needs the contract engine's dependencies ({exc.name} is missing): "
            "pip install 'aihubmix-video-mock[proxy]', or `make install` in the repository",
            file=sys.stderr,
        )
        return 2
    result: int = engine.main(argv)
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aihubmix-mock",
        description=(
            "Stateful mock of the AIHubMix / APIMart video APIs, validated by the spec in openapi/."
        ),
    )
    parser.add_argument("--version", action="version", version=f"aihubmix-mock {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    # Listed here for --help; their options live with the contract engine (`aihubmix-mock proxy -h`).
    for name, text in ENGINE_COMMANDS.items():
        sub.add_parser(name, help=text, add_help=False)
    serve = sub.add_parser(
        "serve",
        help="run the mock server",
        formatter_class=_HelpFormatter,
        epilog=SERVE_EPILOG,
        description="Run the mock server on HOST:PORT until interrupted (Ctrl-C or SIGTERM). Options may "
        "also come from env AIHUBMIX_MOCK_ARGS (shell words; the command line wins).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind")
    serve.add_argument("--port", type=int, help="port (default: env PORT, else 4010)")
    serve.add_argument(
        "--job-seconds",
        type=float,
        default=5.0,
        help="time policy: seconds from creation to completed (0: completed on the first poll)",
    )
    serve.add_argument(
        "--policy",
        choices=["time", "polls", "manual"],
        default="time",
        help="how jobs progress; a request may override it with X-Mock-Policy",
    )
    serve.add_argument("--polls", type=int, default=3, help="polls policy: status polls until completed")
    serve.add_argument(
        "--key",
        action="append",
        metavar="KEY",
        help="accept only this bearer key (repeatable); without any, every key is accepted that "
        "is 1-512 visible ASCII characters without spaces",
    )
    serve.add_argument(
        "--keys-file", help="file with one accepted key per line (also env AIHUBMIX_MOCK_KEYS=k1,k2)"
    )
    serve.add_argument("--max-jobs", type=int, default=100_000, help="jobs kept at most (then 429)")
    serve.add_argument(
        "--max-jobs-per-key",
        type=int,
        default=20_000,
        help="jobs one key may hold (then 429 for that key only)",
    )
    serve.add_argument(
        "--max-sessions",
        type=int,
        default=1000,
        help="X-Mock-Session sessions held at once (then 429 for a new one; see docs/sessions.md)",
    )
    serve.add_argument(
        "--max-body-mb", type=float, default=25.0, help="largest request body in MiB (then 413)"
    )
    serve.add_argument(
        "--max-prompt-chars",
        type=int,
        default=100_000,
        help="longest prompt the mock keeps (then 400); a mock cap, not a production rule",
    )
    serve.add_argument(
        "--state-file",
        help="SQLite file that keeps every session's jobs and clock across restarts (default: memory only)",
    )
    serve.add_argument("--media-cache-dir", help="folder that keeps rendered MP4s across restarts")
    serve.add_argument(
        "--seed", type=int, help="make ids reproducible: the same seed and requests give the same ids"
    )
    serve.add_argument("--fps", type=int, default=1, help="frame rate of rendered MP4s")
    serve.add_argument(
        "--rules",
        choices=["production", "documents"],
        default="production",
        help="production: reject structural mistakes (wrong types, missing members, non-images) and "
        "what production is known to reject, accept the rest with X-Mock-Unconfirmed-Rules; "
        "documents: reject every documented rule (per request: header X-Mock-Rules)",
    )
    serve.add_argument("--max-renders", type=int, default=2, help="media encodes at once (others wait)")
    serve.add_argument(
        "--control-key",
        default=os.environ.get("AIHUBMIX_MOCK_CONTROL_KEY"),
        help="require this key in X-Mock-Control-Key on /__mock (except health); "
        "env AIHUBMIX_MOCK_CONTROL_KEY (no default: the control plane is open)",
    )
    serve.add_argument(
        "--allowed-host",
        action="append",
        metavar="NAME",
        help="also accept this Host header (repeatable); bound to loopback, only loopback names "
        "are accepted (DNS-rebinding guard)",
    )
    serve.add_argument(
        "--idle-timeout",
        type=float,
        default=IDLE_TIMEOUT,
        help="seconds an idle keep-alive connection stays open (longer than clients' pool expiry)",
    )
    serve.add_argument(
        "--header-timeout",
        type=float,
        default=10.0,
        help="seconds a client has to send its request headers (then 408)",
    )
    serve.add_argument(
        "--body-timeout",
        type=float,
        default=30.0,
        help="seconds a request body may stall between chunks (then 408)",
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        default=1000,
        help="open connections at most (then 503); idle ones are closed first near the limit",
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn's log level (keys never appear in the log)",
    )
    serve.add_argument(
        "--access-log",
        action="store_true",
        help="log each request (off by default: it costs ~45%% of the throughput; the journal "
        "at /__mock/journal has every request)",
    )
    serve.add_argument(
        "--no-access-log",
        action="store_false",
        dest="access_log",
        help="do not log each request (the default)",
    )
    return parser


LOOPBACK = ("127.0.0.1", "localhost", "::1")
ARGS_ENV = "AIHUBMIX_MOCK_ARGS"


def with_env_args(argv: list[str]) -> list[str]:
    """`serve` options from env AIHUBMIX_MOCK_ARGS (shell words, as a container or CI step sets them),
    put right after `serve`: an option given on the command line as well wins, as argparse keeps the
    last one."""
    extra = shlex.split(os.environ.get(ARGS_ENV, ""))
    if extra and argv[:1] == ["serve"]:
        return ["serve", *extra, *argv[1:]]
    return argv


def _check(args: argparse.Namespace) -> None:
    for name, low, high in (
        ("job_seconds", 0, 10 * 365 * 86400),
        ("max_body_mb", 1 / 1024, 2048),
        ("idle_timeout", 1, 3600),
        ("header_timeout", 0.1, 3600),
    ):
        value = getattr(args, name)
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(
                f"--{name.replace('_', '-')} must be a number from {low:g} to {high:g}, not {value}"
            )
    if args.port is None:
        args.port = _env_port()
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be from 0 to 65535, not {args.port}")
    if not 1 <= args.max_connections <= 1_000_000:
        raise ValueError(f"--max-connections must be from 1 to 1000000, not {args.max_connections}")
    if args.media_cache_dir:
        folder = Path(args.media_cache_dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"--media-cache-dir {folder}: cannot create it ({exc.strerror})") from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ValueError(f"--media-cache-dir {folder}: not writable by this user")


def _env_port() -> int:
    """The port from env PORT (empty or unset: 4010), read only when --port is not given."""
    text = os.environ.get("PORT", "").strip()
    if not text:
        return 4010
    if not (text.isascii() and text.isdigit()) or int(text) > 65535:
        raise ValueError(
            f"env PORT must be a port number from 0 to 65535, not {text[:20]!r} (or pass --port)"
        )
    return int(text)


def _can_listen(host: str, port: int) -> None:
    """Bind HOST:PORT once before the banner, so a port in use is said first, as an error."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ValueError(
                f"cannot listen on {host}:{port}: {exc.strerror} (another server on that port? "
                "pick another with --port)"
            ) from None


def _loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")


def config_from(args: argparse.Namespace) -> MockConfig:
    _check(args)
    hosts = None
    if _loopback(args.host) or args.allowed_host:
        hosts = [*(LOOPBACK if _loopback(args.host) else ()), args.host, *(args.allowed_host or [])]
    return MockConfig(
        policy=args.policy,
        job_seconds=args.job_seconds,
        polls=args.polls,
        keys=_keys(args),
        max_jobs=args.max_jobs,
        max_jobs_per_key=args.max_jobs_per_key,
        max_sessions=args.max_sessions,
        max_body_bytes=int(args.max_body_mb * 1024 * 1024),
        max_prompt_chars=args.max_prompt_chars,
        channel=args.port or 4010,
        state_file=args.state_file,
        media_cache_dir=args.media_cache_dir,
        fps=args.fps,
        max_renders=args.max_renders,
        body_timeout=args.body_timeout,
        control_key=args.control_key,
        allowed_hosts=hosts,
        seed=args.seed,
        rules=args.rules,
    )


def _file_limit(wanted: int) -> int:
    """Raise the open-file limit towards what the connection limit needs; the connections it allows."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        need = wanted + 64  # the mock's own files: state file, media, logs
        if soft != resource.RLIM_INFINITY and soft < need:
            soft = need if hard == resource.RLIM_INFINITY else min(need, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        return wanted if soft == resource.RLIM_INFINITY else max(1, min(wanted, soft - 64))
    except (ImportError, ValueError, OSError):
        return wanted


READY = "aihubmix-mock ready on"


def _ready_server(host: str) -> Any:
    """uvicorn's Server, which also prints `aihubmix-mock ready on http://HOST:PORT` once it listens
    (the real port, also under --port 0), whatever the log level: the line a wait can key on (a
    container's log, testcontainers' Wait.forLogMessage, a CI step's grep)."""
    import uvicorn

    class ReadyServer(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started and self.servers:
                port = self.servers[0].sockets[0].getsockname()[1]
                print(f"{READY} http://{f'[{host}]' if ':' in host else host}:{port}", flush=True)

    return ReadyServer


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        parser.print_help()  # a bare `aihubmix-mock`: say what it can do
        return 0
    if argv[0] in ENGINE_COMMANDS:  # before AIHUBMIX_MOCK_ARGS, which holds serve's options
        return _engine_command(argv)
    try:
        argv = with_env_args(argv)
    except ValueError as exc:
        print(
            f"aihubmix-mock: env {ARGS_ENV}: {exc} (it holds options as a shell would split them)",
            file=sys.stderr,
        )
        return 2
    args = parser.parse_args(argv)
    try:
        config = config_from(args)
        from .app import create_app

        _can_listen(args.host, args.port)
        app = create_app(config)  # opens (and locks) the state file: its problems are start-up errors
    except (ValueError, OSError) as exc:
        print(f"aihubmix-mock: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    from .protocol import protocol_class

    connections = _file_limit(args.max_connections)
    if connections < args.max_connections:
        print(
            f"aihubmix-mock: warning: the open-file limit allows {connections} connections, not "
            f"{args.max_connections} (raise it with ulimit -n)",
            file=sys.stderr,
        )
    if not _loopback(args.host) and config.control_key is None:
        print(
            f"aihubmix-mock: warning: listening on {args.host}, beyond loopback, and the control plane has no "
            "key: anyone who can reach this port can read the journal (every client's prompts), reset the "
            "mock and inject faults. Start it with --control-key KEY (or env AIHUBMIX_MOCK_CONTROL_KEY).",
            file=sys.stderr,
            flush=True,
        )
    # What start-up built (the parsed specs, compiled validators, modules) lives as long as the
    # process: move it out of the collector's way, so full collections walk only the jobs.
    gc.collect()
    gc.freeze()
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it under the handler that was there
    # before: make that one a clean exit, so the state file is closed and the exit code is 0.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(
        f"aihubmix-mock {__version__} on http://{args.host}:{args.port} "
        f"(policy {config.policy}, job {config.job_seconds}s, rules {config.rules}, "
        f"{'keys: ' + str(len(config.keys)) if config.keys else 'any key'}, control plane /__mock"
        f"{' with a key' if config.control_key else ''})",
        flush=True,
    )
    server = _ready_server(args.host)(
        uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            access_log=args.access_log,
            server_header=False,
            ws="none",
            http=protocol_class(
                args.header_timeout, args.body_timeout, 256 * 1024, max(1, connections * 3 // 4)
            ),
            timeout_keep_alive=args.idle_timeout,
            limit_concurrency=connections,
            timeout_graceful_shutdown=15,
        )
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        app.state.mock.close()
    return 0 if server.started else 3  # 3: uvicorn's own code for a server that never started


if __name__ == "__main__":
    raise SystemExit(main())
