"""`python -m aihubmix_mock.healthcheck [PID]`: exit 0 when the mock that process runs answers
`/__mock/health`, 1 otherwise (the container image's HEALTHCHECK). Without a PID: PID 1 if it is the
mock, else the first `aihubmix-mock serve` process (PID 1 is an init under `docker run --init`).

Where to probe comes from the server's own command line (`/proc/PID/cmdline`) and this process's env
(`AIHUBMIX_MOCK_ARGS`, `PORT`: a container's health check runs with the container's env), parsed by
the CLI's own parser: a port given by `--port`, by `AIHUBMIX_MOCK_ARGS` or by `PORT` is the one probed,
with no second copy of the options here. A server bound to every address is probed on loopback.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from pathlib import Path

from .cli import build_parser, with_env_args

WILDCARDS = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}


def health_url(cmdline: list[str]) -> str:
    """The health URL of a server started with this command line (the program's name first)."""
    if "serve" not in cmdline:
        raise ValueError(f"not an `aihubmix-mock serve` command line: {' '.join(cmdline)}")
    args = build_parser().parse_args(with_env_args(cmdline[cmdline.index("serve") :]))
    host = WILDCARDS.get(args.host, args.host)
    return f"http://{f'[{host}]' if ':' in host else host}:{args.port}/__mock/health"


def _cmdline(pid: str) -> list[str]:
    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _is_mock(cmdline: list[str]) -> bool:
    return "serve" in cmdline and any(
        Path(part).name in ("aihubmix-mock", "aihubmix_mock") for part in cmdline
    )


def find_mock() -> list[str]:
    """The command line of PID 1 if it runs the mock, else of the first process that does."""
    pids = sorted((p.name for p in Path("/proc").iterdir() if p.name.isdigit()), key=int)
    for pid in pids:
        try:
            cmdline = _cmdline(pid)
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if _is_mock(cmdline):
            return cmdline
    raise ValueError("no `aihubmix-mock serve` process found")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        url = health_url(_cmdline(argv[0]) if argv else find_mock())
        with urllib.request.urlopen(url, timeout=2) as response:
            ok = response.status == 200
    except (OSError, ValueError, urllib.error.URLError) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    except SystemExit:  # argparse said what it could not parse
        return 1
    print(f"{'healthy' if ok else 'unhealthy'}: {url}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
