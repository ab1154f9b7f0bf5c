"""A/B the mock at two revisions: both servers under the same load at the same time.

`python bench/ab.py REV [--route polls|content] [--rounds 6] [--session NAME]` serves the mock from `mock/` and
`openapi/` as they are in the work tree (A) and as they were at git revision REV (B), both with
default settings and pinned to the same core, loads both at once (bench/run.py's load_many), and
prints the per-round and median A/B throughput ratios. Loaded together, the two share the core
equally, so the ratio is the ratio of their costs per request, whatever the machine does
meanwhile: a change worth a few percent shows here, where runs one after the other on this VM
moved by +-30%. Two copies of the same revision read 0.98-1.02.

`--session NAME`: the work tree's job lives in that session (X-Mock-Session) and its load sends
the header, where REV's does not: what sessions cost the poll path (docs/sessions.md).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402 (bench/ is not a package)

ROOT = Path(__file__).resolve().parent.parent


def checkout(rev: str, into: Path) -> Path:
    """The package at `rev`, importable as aihubmix_mock from the returned folder."""
    data = subprocess.run(
        ["git", "archive", rev, "mock", "openapi"], cwd=ROOT, capture_output=True, check=True
    )
    with tarfile.open(fileobj=io.BytesIO(data.stdout)) as archive:
        archive.extractall(into / "src", filter="data")
    package = into / "path" / "aihubmix_mock"
    package.parent.mkdir()
    package.symlink_to(into / "src" / "mock")
    (into / "src" / "mock" / "openapi").symlink_to(into / "src" / "openapi")
    return package.parent


def serve(route: str, env: dict[str, str], session: str | None = None) -> tuple[bench.Server, tuple]:
    port = bench.free_port()
    server = bench.Server(
        [bench.PY, "-m", "aihubmix_mock.cli", "serve", "--port", str(port)],
        f"http://127.0.0.1:{port}/__mock/health",
        env=env,
    )
    url, auth = f"http://127.0.0.1:{port}", {"Authorization": bench.AUTH}
    extra = {"X-Mock-Session": session} if session else {}
    auth.update(extra)
    if route == "content":
        body = {"model": "wan2.6-t2v", "prompt": "p", "seconds": "8", "size": "1920x1080"}
        job = httpx.post(f"{url}/v1/videos", json=body, headers={**auth, "X-Mock-Policy": "polls=1"}).json()[
            "id"
        ]
        httpx.get(f"{url}/v1/videos/{job}", headers=auth)
        httpx.get(f"{url}/v1/videos/{job}/content", headers=auth, timeout=120).raise_for_status()
        return server, (f"{url}/v1/videos/{job}/content", 8, "GET", None, None, False, extra)
    body = {"model": "sora-2", "prompt": "p"}
    job = httpx.post(f"{url}/v1/videos", json=body, headers={**auth, "X-Mock-Policy": "time=86400"}).json()[
        "id"
    ]
    return server, (f"{url}/v1/videos/{job}", 32, "GET", None, None, False, extra)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("rev", help="the git revision to compare the work tree with (B)")
    parser.add_argument("--route", choices=("polls", "content"), default="polls")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--session", help="the work tree's load polls in this session (X-Mock-Session)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old_path = checkout(args.rev, Path(tmp))
        a, a_load = serve(args.route, {}, args.session)
        b, b_load = serve(
            args.route, {"PYTHONPATH": f"{old_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        )
        ratios = []
        try:
            for round_ in range(args.rounds):
                # who starts first alternates
                if round_ % 2 == 0:
                    ra, rb = bench.load_many(args.seconds, [a_load, b_load])
                else:
                    rb, ra = bench.load_many(args.seconds, [b_load, a_load])
                ratios.append(ra["rps"] / rb["rps"])
                print(f"round {round_ + 1}: A {ra['rps']:.0f}/s  B {rb['rps']:.0f}/s  A/B {ratios[-1]:.3f}")
        finally:
            a.stop()
            b.stop()
    where = f" (work tree in session {args.session})" if args.session else ""
    print(
        f"{args.route}{where}: work tree / {args.rev} = {statistics.median(ratios):.3f} "
        f"(median of {args.rounds}; range {min(ratios):.3f}-{max(ratios):.3f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
