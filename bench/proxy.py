"""make bench-proxy: what the proxy costs (issue 18's targets), on loopback, recording on.

- added latency per JSON exchange: p50 of sequential polls through the proxy minus direct
  (target <= 2 ms)
- throughput: polls/s through the proxy over polls/s direct, with concurrent clients (target >= 0.5);
  the mock on one core, the proxy on the other (in use, the upstream is another machine)
- a 100 MB MP4 streamed through the proxy: the proxy's RSS growth while it passes (target <= 20 MB),
  and what the probe read from it (moov at the end, after 100 MB of mdat)

Bounded: every loop has a count and a time limit. Absolute figures vary between machines, and on a
shared machine between runs: the targets are judged on the ratios and the differences.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import LOAD_CPU, MOCK, Server, free_port, pin, rss_bytes  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"added_p50_ms": 2.0, "throughput_ratio": 0.5, "download_growth_mb": 20.0}
AUTH = {"Authorization": "Bearer sk-bench"}
BIG = 100 * 1024 * 1024


# ------------------------------------------------------------------------------------ a big MP4
def big_mp4_parts(moov: bytes) -> tuple[bytes, int]:
    """(head, mdat body size): ftyp, a 100 MB mdat header; the body is zeros, then `moov`."""
    ftyp = struct.pack(">I4s", 24, b"ftyp") + b"isom" + struct.pack(">I", 512) + b"isomavc1"
    return ftyp + struct.pack(">I4s", 8 + BIG, b"mdat"), BIG


def moov_of(data: bytes) -> bytes:
    at = 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if kind == b"moov":
            return data[at : at + size]
        at += size
    raise ValueError("no moov")


def serve_big(port: int, moov_file: str) -> None:
    """A loopback upstream whose /v1/videos/{id}/content is a 100 MB MP4 (moov last), streamed."""
    import uvicorn

    moov = Path(moov_file).read_bytes()
    head, body = big_mp4_parts(moov)
    chunk = bytes(1024 * 1024)

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        if scope["path"] == "/health":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
            return
        total = len(head) + body + len(moov)
        headers = [(b"content-type", b"video/mp4"), (b"content-length", str(total).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": head, "more_body": True})
        for _ in range(body // len(chunk)):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": moov})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


# ------------------------------------------------------------------------------------ measures
def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def latencies(url: str, path: str, count: int) -> list[float]:
    out = []
    with httpx.Client(base_url=url, headers=AUTH) as client:
        client.get(path)
        for _ in range(count):
            start = time.perf_counter()
            client.get(path)
            out.append((time.perf_counter() - start) * 1000)
    return out


async def _throughput(url: str, path: str, seconds: float, workers: int) -> float:
    done = 0
    stop = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal done
        while time.perf_counter() < stop:
            response = await client.get(path)
            if response.status_code == 200:
                done += 1

    limits = httpx.Limits(max_connections=workers)
    async with httpx.AsyncClient(base_url=url, headers=AUTH, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(workers)))
        return done / (time.perf_counter() - started)


def download(url: str, pid: int) -> dict:
    before = rss_bytes(pid)
    peak = [before]
    running = [True]

    def sample() -> None:
        while running[0]:
            peak[0] = max(peak[0], rss_bytes(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start, size = time.perf_counter(), 0
    with httpx.stream("GET", f"{url}/v1/videos/big/content", headers=AUTH, timeout=120) as response:
        for chunk in response.iter_raw():
            size += len(chunk)
    seconds = time.perf_counter() - start
    time.sleep(0.2)
    running[0] = False
    sampler.join()
    return {
        "bytes": size,
        "seconds": round(seconds, 2),
        "mb_per_s": round(size / seconds / 1e6, 1),
        "rss_before_mb": round(before / 1e6, 1),
        "rss_growth_mb": round((peak[0] - before) / 1e6, 1),
    }


def measure(count: int, seconds: float, workers: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-proxy-"))
    mock_port, proxy_port, big_port, big_proxy_port = (free_port() for _ in range(4))
    mock = Server(
        [MOCK, "serve", "--port", str(mock_port), "--job-seconds", "0", "--no-access-log"],
        f"http://127.0.0.1:{mock_port}/__mock/health",
    )
    direct = f"http://127.0.0.1:{mock_port}"
    servers = [mock]
    try:
        created = httpx.post(
            f"{direct}/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers=AUTH
        ).json()
        path = f"/v1/videos/{created['id']}"
        httpx.get(f"{direct}{path}", headers=AUTH)
        mp4 = httpx.get(f"{direct}{path}/content", headers=AUTH).content
        (tmp / "moov").write_bytes(moov_of(mp4))
        proxy_cmd = [
            MOCK,
            "proxy",
            "--port",
            str(proxy_port),
            "--record",
            str(tmp / "rec"),
            "--report",
            str(tmp / "rep"),
        ]
        # the proxy on the other core than the mock: in use, the upstream is another machine
        proxy = Server(
            pin([*proxy_cmd, "--upstream", direct], LOAD_CPU), f"http://127.0.0.1:{proxy_port}/__proxy/health"
        )
        servers.append(proxy)
        via = f"http://127.0.0.1:{proxy_port}"
        # sequential latency, in alternating blocks so that both see the same machine
        direct_ms: list[float] = []
        proxy_ms: list[float] = []
        cpu = {"proxy": 0.0, "mock_direct": 0.0}
        for _ in range(max(1, count // 100)):
            before = cpu_seconds(mock.proc.pid)
            direct_ms += latencies(direct, path, 100)
            cpu["mock_direct"] += cpu_seconds(mock.proc.pid) - before
            before = cpu_seconds(proxy.proc.pid)
            proxy_ms += latencies(via, path, 100)
            cpu["proxy"] += cpu_seconds(proxy.proc.pid) - before
        p50_direct, p50_proxy = statistics.median(direct_ms), statistics.median(proxy_ms)
        rps_direct = asyncio.run(_throughput(direct, path, seconds, workers))
        rps_proxy = asyncio.run(_throughput(via, path, seconds, workers))
        health = httpx.get(f"{via}/__proxy/health").json()
        big = Server(
            [sys.executable, __file__, "--serve-big", str(big_port), str(tmp / "moov")],
            f"http://127.0.0.1:{big_port}/health",
        )
        servers.append(big)
        big_proxy = Server(
            [
                *proxy_cmd[:2],
                "--port",
                str(big_proxy_port),
                "--report",
                str(tmp / "rep-big"),
                "--record",
                str(tmp / "rec-big"),
                "--upstream",
                f"http://127.0.0.1:{big_port}",
            ],
            f"http://127.0.0.1:{big_proxy_port}/__proxy/health",
        )
        servers.append(big_proxy)
        through = download(f"http://127.0.0.1:{big_proxy_port}", big_proxy.proc.pid)
        deadline = time.monotonic() + 20  # the record is written once the last byte has passed
        while time.monotonic() < deadline:
            if httpx.get(f"http://127.0.0.1:{big_proxy_port}/__proxy/health").json()["recorded"] >= 1:
                break
            time.sleep(0.05)
        recorded = [json.loads(line) for p in (tmp / "rec-big").glob("*.ndjson") for line in p.open()]
        through["probe"] = recorded[0].get("media") if recorded else None
    finally:
        for server in reversed(servers):
            server.stop()
    return {
        # CPU per exchange holds better than latency on a shared machine (the worker's judging and
        # recording of the last blocks' polls may spill past a block: an approximation)
        "proxy_cpu_ms_per_poll": round(cpu["proxy"] / len(proxy_ms) * 1000, 3),
        "mock_cpu_ms_per_poll": round(cpu["mock_direct"] / len(direct_ms) * 1000, 3),
        "p50_direct_ms": round(p50_direct, 3),
        "p50_proxy_ms": round(p50_proxy, 3),
        "added_p50_ms": round(p50_proxy - p50_direct, 3),
        "rps_direct": round(rps_direct),
        "rps_proxy": round(rps_proxy),
        "throughput_ratio": round(rps_proxy / rps_direct, 2),
        "recorded": health,
        "download": through,
        "download_growth_mb": through["rss_growth_mb"],
        "settings": {"sequential": len(direct_ms), "seconds": seconds, "workers": workers},
    }


def report(r: dict) -> str:
    def met(key: str, value: float) -> str:
        target = TARGETS[key]
        ok = value >= target if key == "throughput_ratio" else value <= target
        return "met" if ok else "**missed**"

    d = r["download"]
    probe = d.get("probe") or {}
    return "\n".join(
        [
            "# The proxy's cost (bench/proxy.py)",
            "",
            "| what | direct | through the proxy | figure | target | |",
            "|---|---|---|---|---|---|",
            f"| p50 per JSON poll (sequential, {r['settings']['sequential']} each) | {r['p50_direct_ms']} ms | "
            f"{r['p50_proxy_ms']} ms | +{r['added_p50_ms']} ms | <= {TARGETS['added_p50_ms']} ms | "
            f"{met('added_p50_ms', r['added_p50_ms'])} |",
            f"| CPU per poll (the proxy process: forwarding, judging, recording) | {r['mock_cpu_ms_per_poll']} ms "
            f"(the mock) | {r['proxy_cpu_ms_per_poll']} ms | | | |",
            f"| polls/s ({r['settings']['workers']} clients, {r['settings']['seconds']} s) | {r['rps_direct']} | "
            f"{r['rps_proxy']} | x{r['throughput_ratio']} | >= x{TARGETS['throughput_ratio']} | "
            f"{met('throughput_ratio', r['throughput_ratio'])} |",
            f"| 100 MB MP4 streamed: proxy RSS growth | | {d['rss_before_mb']} MB at start, {d['mb_per_s']} MB/s | "
            f"+{d['rss_growth_mb']} MB | <= {TARGETS['download_growth_mb']} MB | "
            f"{met('download_growth_mb', d['rss_growth_mb'])} |",
            "",
            f"The probe read the 100 MB file's index after its media: {probe.get('width')}x{probe.get('height')}, "
            f"{probe.get('seconds')} s, sound {probe.get('sound')}, {probe.get('bytes')} bytes.",
            f"Recorder: {r['recorded']['recorded']} recorded, {r['recorded']['dropped']} dropped.",
            "",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve-big", nargs=2, metavar=("PORT", "MOOV"), help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=1000, help="sequential polls each way")
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds of each throughput run")
    parser.add_argument("--workers", type=int, default=16, help="concurrent clients of the throughput runs")
    parser.add_argument("--out", default=str(ROOT / "bench" / "PROXY_RESULTS.md"))
    args = parser.parse_args()
    if args.serve_big:
        serve_big(int(args.serve_big[0]), args.serve_big[1])
        return 0
    results = measure(args.count, args.seconds, args.workers)
    text = report(results)
    print(text)
    print(json.dumps(results, indent=1))
    Path(args.out).write_text(text + "\n```json\n" + json.dumps(results, indent=1) + "\n```\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
