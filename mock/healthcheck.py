"""`python -m aihubmix_mock.healthcheck [PID]`: exit 0 when the mock that process runs answers
`/__mock/health`, 1 otherwise (the container image's HEALTHCHECK; PID 1 by default).

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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    pid = argv[0] if argv else "1"
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        url = health_url([part.decode() for part in raw.split(b"\0") if part])
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
