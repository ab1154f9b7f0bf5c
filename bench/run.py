"""make bench: the mock against a bare-Starlette baseline, in one run, on loopback.

Server pinned to core 0, load generator (wrk, or a Python one where wrk is missing) on core 1.
Prints a table and writes bench/RESULTS.md, ratios first: absolute figures vary between machines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MOCK = str(Path(PY).with_name("aihubmix-mock"))
UVICORN = str(Path(PY).with_name("uvicorn"))
TWO_CORES = (os.cpu_count() or 1) > 1
SERVER_CPU, LOAD_CPU = "0", ("1" if TWO_CORES else "0")
AUTH = "Bearer sk-bench"
PNG = (ROOT / "fixtures" / "reference.png").read_bytes()

TARGETS = {"polls": 0.6, "creates_json": 0.4, "creates_multipart": 0.4, "content": 0.8}
#: The mock started with no options at all (access log, timeouts, caps and guards as shipped),
#: against the same baseline (issue 12: defaults must not halve throughput).
DEFAULT_TARGETS = {"polls": 0.8, "creates_json": 0.5, "creates_multipart": 0.5}
#: Polls in a named session (X-Mock-Session) against polls in the default one, each against the
#: baseline at the same time: sessions must cost the hot path little (issue 19).
SESSION_TARGET = 0.95
SESSION = {"X-Mock-Session": "bench-session"}
#: Keys the default-settings creates rotate through: many clients, as a shared mock sees them,
#: and each stays far below the per-key job cap.
ROTATE_KEYS = 1000


def pin(cmd: list[str], cpu: str) -> list[str]:
    return ["taskset", "-c", cpu, *cmd] if shutil.which("taskset") else cmd


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class Server:
    def __init__(self, cmd: list[str], health: str, env: dict | None = None) -> None:
        start = time.perf_counter()
        self.proc = subprocess.Popen(
            pin(cmd, SERVER_CPU),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
        )
        while True:
            try:
                if httpx.get(health, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stderr.read().decode())
            if time.perf_counter() - start > 30:
                raise RuntimeError("server did not start in 30 s")
            time.sleep(0.002)
        self.startup = time.perf_counter() - start

    @property
    def rss(self) -> int:
        return rss_bytes(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=15)
        self.proc.stderr.close()


def startup(cmd: list[str], health: str, env: dict | None = None, starts: int = 5) -> list[float]:
    """Seconds from exec to the first 200, over several starts: one start is a noisy sample."""
    times = []
    for _ in range(starts):
        server = Server(cmd, health, env)
        times.append(server.startup)
        server.stop()
    return times


# ------------------------------------------------------------------------------------ load
def lua_string(data: bytes) -> str:
    return (
        '"' + "".join(chr(b) if 32 <= b < 127 and chr(b) not in '"\\' else f"\\{b:03d}" for b in data) + '"'
    )


def wrk_script(
    method: str,
    body: bytes | None = None,
    content_type: str | None = None,
    rotate: bool = False,
    headers: dict | None = None,
) -> str:
    lines = [f'wrk.method = "{method}"', f'wrk.headers["Authorization"] = "{AUTH}"']
    lines += [f'wrk.headers["{name}"] = "{value}"' for name, value in (headers or {}).items()]
    if body is not None:
        lines.append(f"wrk.body = {lua_string(body)}")
    if content_type:
        lines.append(f'wrk.headers["Content-Type"] = "{content_type}"')
    if rotate:
        lines += [
            "request = function()",
            f'  wrk.headers["Authorization"] = "{AUTH}-" .. math.random({ROTATE_KEYS})',
            "  return wrk.format()",
            "end",
        ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write("\n".join(lines) + "\n")
    return handle.name


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s)", text)
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def _bytes(text: str) -> float:
    match = re.match(r"([\d.]+)([KMG]?B)", text)
    return float(match.group(1)) * {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}[match.group(2)]


#: One load run: the target URL, connections, then optionally method, body, content type, rotate
#: (keys), extra headers.
Load = tuple


def _wrk_result(out: str) -> dict:
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99_ms": _ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "bytes_per_s": _bytes(re.search(r"Transfer/sec:\s+(\S+)", out).group(1)),
        "errors": int(non2xx.group(1)) if non2xx else 0,
    }


def load_many(seconds: float, runs: list[Load]) -> list[dict]:
    """Runs loads at the same time, one load generator each (all on the load core); the results
    in the same order. Two servers under load at once share the server core equally, so the ratio
    of their throughputs is the ratio of their costs per request, whatever the machine is doing
    meanwhile (sequential runs on this VM moved by +-30% from one run to the next)."""
    if not shutil.which("wrk"):
        return asyncio.run(_python_loads(seconds, runs))
    procs = []
    for url, connections, *rest in runs:
        script = wrk_script(
            *(rest[:3] or ["GET", None, None]),
            rotate=bool(rest[3:] and rest[3]),
            headers=rest[4] if len(rest) > 4 else None,
        )
        cmd = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-s",
            script,
            url,
        ]
        procs.append((script, subprocess.Popen(pin(cmd, LOAD_CPU), stdout=subprocess.PIPE, text=True)))
    results = []
    for script, proc in procs:
        out, _ = proc.communicate()
        os.unlink(script)
        if proc.returncode:
            raise RuntimeError(f"wrk failed ({proc.returncode}): {out[-500:]}")
        results.append(_wrk_result(out))
    return results


def load(url: str, seconds: float, connections: int, *rest) -> dict:
    """One load run on its own."""
    return load_many(seconds, [(url, connections, *rest)])[0]


async def _python_loads(seconds: float, runs: list[Load]) -> list[dict]:
    return list(
        await asyncio.gather(*(_python_load(url, seconds, conns, *rest) for url, conns, *rest in runs))
    )


async def _python_load(
    url, seconds, connections, method="GET", body=None, content_type=None, rotate=False, extra=None
) -> dict:
    latencies: list[float] = []
    received = errors = 0
    headers = {
        "Authorization": AUTH,
        **({"Content-Type": content_type} if content_type else {}),
        **(extra or {}),
    }
    deadline = time.perf_counter() + seconds

    async def worker(client):
        nonlocal received, errors
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            sent = headers
            if rotate:
                sent = {**headers, "Authorization": f"{AUTH}-{random.randint(1, ROTATE_KEYS)}"}
            response = await client.request(method, url, content=body, headers=sent)
            latencies.append(time.perf_counter() - start)
            received += len(response.content)
            errors += response.status_code >= 300

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=connections), timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(connections)))
    latencies.sort()
    return {
        "rps": len(latencies) / seconds,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "bytes_per_s": received / seconds,
        "errors": errors,
    }


def multipart(fields: dict, files: list) -> tuple[bytes, str]:
    from urllib3 import encode_multipart_formdata

    return encode_multipart_formdata(list(fields.items()) + files)


async def _fill(base: str, count: int, concurrency: int = 64) -> None:
    body = json.dumps({"model": "sora-2", "prompt": "A paper boat on a puddle, close-up", "seconds": "4"})
    async with httpx.AsyncClient(
        base_url=base, timeout=60, headers={"Authorization": AUTH, "Content-Type": "application/json"}
    ) as client:
        left = count

        async def worker():
            nonlocal left
            while left > 0:
                left -= 1
                response = await client.post("/v1/videos", content=body)
                assert response.status_code == 200, response.text

        await asyncio.gather(*(worker() for _ in range(concurrency)))


# ------------------------------------------------------------------------------------ run
def _figure(route: str, run: dict) -> float:
    """What a route's ratio compares: bytes/s for downloads, requests/s for the rest."""
    return run["bytes_per_s"] if route == "content" else run["rps"]


def ratios(r: dict, name: str, route: str) -> list[float]:
    """One ratio per round: the server's figure over the baseline's, both under load at once."""
    return [_figure(route, p["server"]) / _figure(route, p["baseline"]) for p in r["pairs"][name][route]]


def measure(seconds: float, connections: int, jobs: int, rounds: int) -> dict:
    results: dict = {
        "load_generator": "wrk "
        + subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1]
        if shutil.which("wrk")
        else "python asyncio + httpx (wrk not found)",
        "pinned": shutil.which("taskset") is not None and TWO_CORES,
        # The Python load generator runs both loads in one event loop, which then sets the pace
        # of both: the ratios say nothing about the servers.
        "ratios_valid": shutil.which("wrk") is not None,
    }
    json_body = json.dumps(
        {"model": "sora-2", "prompt": "A paper boat", "seconds": "8", "size": "1280x720"}
    ).encode()
    mp_body, mp_type = multipart(
        {"model": "sora-2", "prompt": "A paper boat", "seconds": "8"},
        [("input_reference", ("ref.png", PNG, "image/png"))],
    )

    # -- start-up: the mock with its default settings, and the baseline, several starts each
    port = free_port()
    mock_starts = startup([MOCK, "serve", "--port", str(port)], f"http://127.0.0.1:{port}/__mock/health")
    base_starts = startup(
        [UVICORN, "bench.baseline_app:app", "--port", str(port), "--log-level", "warning", "--no-access-log"],
        f"http://127.0.0.1:{port}/health",
    )

    # -- the three servers, all up at once, all pinned to the same core (idle when not under load)
    port = free_port()
    mock = Server(
        [
            MOCK,
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--job-seconds",
            "0",
            "--max-jobs",
            str(jobs * 3),
            "--max-jobs-per-key",
            str(jobs * 3),
        ],
        f"http://127.0.0.1:{port}/__mock/health",
    )
    url = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=url, headers={"Authorization": AUTH}, timeout=120)
    rss_idle = mock.rss
    poll_job = client.post(
        "/v1/videos", json={"model": "sora-2", "prompt": "p"}, headers={"X-Mock-Policy": "time=86400"}
    ).json()["id"]
    session_job = client.post(
        "/v1/videos",
        json={"model": "sora-2", "prompt": "p"},
        headers={"X-Mock-Policy": "time=86400", **SESSION},
    ).json()["id"]
    video = client.post(
        "/v1/videos", json={"model": "wan2.6-t2v", "prompt": "p", "seconds": "8", "size": "1920x1080"}
    ).json()["id"]
    assert client.get(f"/v1/videos/{video}").json()["status"] == "completed"
    start = time.perf_counter()
    first = client.get(f"/v1/videos/{video}/content")
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    client.get(f"/v1/videos/{video}/content")
    second_s = time.perf_counter() - start
    renders_before = client.get("/__mock/health").json()["media_renders"]
    results["mock"] = {
        "startup_s": statistics.median(mock_starts),
        "startup_runs": mock_starts,
        "rss_idle": rss_idle,
        "content_bytes": len(first.content),
        "first_download_s": first_s,
        "cached_download_s": second_s,
    }
    # The baseline serves the very bytes the mock served (x264 output differs a little between runs).
    with tempfile.NamedTemporaryFile(suffix=".mp4", delete=False) as content_file:
        content_file.write(first.content)
    port = free_port()
    base = Server(
        [UVICORN, "bench.baseline_app:app", "--port", str(port), "--log-level", "warning", "--no-access-log"],
        f"http://127.0.0.1:{port}/health",
        env={"BASELINE_CONTENT": content_file.name},
    )
    base_url = f"http://127.0.0.1:{port}"
    results["baseline"] = {
        "startup_s": statistics.median(base_starts),
        "startup_runs": base_starts,
        "rss_idle": base.rss,
    }
    # The mock with its default settings (nothing but the port): as `make mock` users run it.
    port = free_port()
    defaults = Server([MOCK, "serve", "--port", str(port)], f"http://127.0.0.1:{port}/__mock/health")
    defaults_url = f"http://127.0.0.1:{port}"
    # in progress for the whole bench, as the other mock's poll job: a finished job is the
    # cheapest poll, and a poll loop sees it only once
    defaults_job = httpx.post(
        f"{defaults_url}/v1/videos",
        json={"model": "sora-2", "prompt": "p"},
        headers={"Authorization": AUTH, "X-Mock-Policy": "time=86400"},
    ).json()["id"]

    # -- the load. Ratios: the baseline and one mock under the same load at the same time (see
    # load_many), `rounds` times; a ratio is the median of the rounds'. Absolute figures
    # (requests/s, latency): each server once on its own. Reads before creates: creates grow the
    # store (a full store is measured on its own below). The default-settings mock starts each
    # create run from an empty store, or its default caps (100 000 jobs) would answer 429.
    routes: dict[str, dict[str, Load]] = {
        "polls": {
            # the baseline gets the very same paths: a longer id costs the URL parser and the
            # router more, and the poll body echoes it
            "baseline": (f"{base_url}/v1/videos/{poll_job}", connections),
            "mock": (f"{url}/v1/videos/{poll_job}", connections),
            "defaults": (f"{defaults_url}/v1/videos/{defaults_job}", connections),
        },
        "polls_session": {
            "baseline": (f"{base_url}/v1/videos/{poll_job}", connections),
            "mock": (f"{url}/v1/videos/{session_job}", connections, "GET", None, None, False, SESSION),
        },
        "content": {
            "baseline": (f"{base_url}/v1/videos/{video}/content", 8),
            "mock": (f"{url}/v1/videos/{video}/content", 8),
        },
        "creates_json": {
            "baseline": (f"{base_url}/v1/videos", connections, "POST", json_body, "application/json"),
            "mock": (f"{url}/v1/videos", connections, "POST", json_body, "application/json"),
            "defaults": (
                f"{defaults_url}/v1/videos",
                connections,
                "POST",
                json_body,
                "application/json",
                True,
            ),
        },
        "creates_multipart": {
            "baseline": (f"{base_url}/v1/videos", connections, "POST", mp_body, mp_type),
            "mock": (f"{url}/v1/videos", connections, "POST", mp_body, mp_type),
            "defaults": (f"{defaults_url}/v1/videos", connections, "POST", mp_body, mp_type, True),
        },
    }

    def fresh(name: str, route: str) -> None:
        if name == "defaults" and route.startswith("creates"):
            httpx.post(f"{defaults_url}/__mock/reset").raise_for_status()

    pairs: dict[str, dict[str, list[dict]]] = {"mock": {}, "defaults": {}}
    alone: dict[str, dict[str, dict]] = {"baseline": {}, "mock": {}, "defaults": {}}
    for route, servers in routes.items():
        for name in (n for n in servers if n != "baseline"):
            for round_ in range(rounds):
                fresh(name, route)
                if round_ % 2 == 0:  # who starts first alternates
                    server, baseline = load_many(seconds, [servers[name], servers["baseline"]])
                else:
                    baseline, server = load_many(seconds, [servers["baseline"], servers[name]])
                pairs[name].setdefault(route, []).append({"server": server, "baseline": baseline})
                print(f"  {route}: {name} and baseline at once, round {round_ + 1}/{rounds}", file=sys.stderr)
        for name, (target, conns, *rest) in servers.items():
            fresh(name, route)
            alone[name][route] = load(target, seconds, conns, *rest)
        print(f"  {route}: each server alone", file=sys.stderr, flush=True)
    results["pairs"] = pairs
    for name, key in (("baseline", "baseline"), ("mock", "mock"), ("defaults", "mock_defaults")):
        results.setdefault(key, {}).update(alone[name])
    results["mock"]["renders_during_load"] = (
        client.get("/__mock/health").json()["media_renders"] - renders_before
    )
    defaults.stop()
    base.stop()
    os.unlink(content_file.name)

    # -- the mock with a full store
    held = client.get("/__mock/health").json()["jobs"]
    if held < jobs:
        asyncio.run(_fill(url, jobs - held))
    held = client.get("/__mock/health").json()["jobs"]
    results["mock"]["jobs_retained"] = held
    results["mock"]["rss_with_jobs"] = mock.rss
    results["mock"]["bytes_per_job"] = (mock.rss - rss_idle) / held
    results["mock"]["polls_full_store"] = load(f"{url}/v1/videos/{poll_job}", seconds, connections)
    results["mock"]["content_full_store"] = load(f"{url}/v1/videos/{video}/content", seconds, 8)
    client.close()
    mock.stop()

    # -- the in-process contract suite, as make test runs it
    start = time.perf_counter()
    suite = subprocess.run(
        [PY, "-m", "pytest", "contract_tests", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    results["suite_s"] = time.perf_counter() - start
    results["suite_summary"] = (
        suite.stdout.strip().splitlines()[-1] if suite.stdout.strip() else suite.stderr[-300:]
    )
    return results


def report(r: dict) -> str:
    m, b = r["mock"], r["baseline"]
    rounds = len(r["pairs"]["mock"]["polls"])

    def ratio(name: str, key: str) -> float:
        return statistics.median(ratios(r, name, key))

    def spread(name: str, key: str) -> str:
        values = ratios(r, name, key)
        return f"{min(values):.2f}-{max(values):.2f}"

    def ok(flag):
        return "yes" if flag else "**NO**"

    def met(value: float, target: float) -> str:
        return ok(value >= target) if r.get("ratios_valid", True) else "n/a (no wrk)"

    lines = [
        "# Benchmark results",
        "",
        f"Load generator: {r['load_generator']}; servers pinned to core {SERVER_CPU}, load to core {LOAD_CPU}"
        + ("" if r["pinned"] else " (not pinned: one core or no taskset)")
        + ". All servers: uvicorn with "
        "uvloop + httptools, one worker, no access log (the mock's default since issue 12). "
        "**How the ratios are measured:** the mock and the baseline run under the same load *at the "
        f"same time* ({rounds} rounds of {r['seconds']:g} s per route), pinned to the same core, which "
        "they then share equally: the ratio of their throughputs is the ratio of their costs per "
        "request, and whatever the machine does meanwhile slows both alike (on this VM, the same "
        "server run alone moved by up to +-30% from one run to the next). A ratio is the median of "
        "the rounds'; the range shows how far they spread. The absolute figures come from each "
        "server run alone, once. Regenerate with `make bench`.",
        "",
        "## Ratios to the bare-Starlette baseline",
        "",
        "| route | mock / baseline | rounds' range | target | met |",
        "|---|---|---|---|---|",
    ]
    for key, target in TARGETS.items():
        value = ratio("mock", key)
        lines.append(
            f"| {key.replace('_', ' ')} | {value:.2f}x | {spread('mock', key)} | >= {target}x "
            f"| {met(value, target)} |"
        )
    lines += [
        "",
        "## The mock with its default settings (`aihubmix-mock serve --port N`, nothing else)",
        "",
        "Timeouts, job caps (creates rotate through "
        f"{ROTATE_KEYS} keys, as many clients would), the Host and control-plane guard and the bounded "
        "journal as shipped; the access log is off by default. Each create run starts from an empty "
        "store (`POST /__mock/reset`), as the default caps (100 000 jobs) would otherwise answer 429.",
        "",
        "| route | mock / baseline | rounds' range | target | met | non-2xx |",
        "|---|---|---|---|---|---|",
    ]
    d = r["mock_defaults"]
    for key, target in DEFAULT_TARGETS.items():
        value = ratio("defaults", key)
        lines.append(
            f"| {key.replace('_', ' ')} | {value:.2f}x | {spread('defaults', key)} | >= {target}x "
            f"| {met(value, target)} | "
            f"{sum(p['server']['errors'] for p in r['pairs']['defaults'][key]) + d[key]['errors']} |"
        )
    if "polls_session" in r["pairs"]["mock"]:
        session_ratios = [
            s / d
            for s, d in zip(ratios(r, "mock", "polls_session"), ratios(r, "mock", "polls"), strict=False)
        ]
        value = ratio("mock", "polls_session") / ratio("mock", "polls")
        lines += [
            "",
            "## Sessions (`X-Mock-Session`, docs/sessions.md)",
            "",
            "Polls of a job in a named session, the header sent on every request, against polls in the "
            "default session: each measured against the baseline at the same time, the ratio of the two "
            "ratios (per round: round i of each). `python bench/ab.py main --session NAME` measures the "
            "same against another revision directly.",
            "",
            "| route | session / default session | rounds' range | target | met |",
            "|---|---|---|---|---|",
            f"| polls in a session | {value:.2f}x | {min(session_ratios):.2f}-{max(session_ratios):.2f} "
            f"| >= {SESSION_TARGET}x | {met(value, SESSION_TARGET)} |",
        ]
    lines += [
        "",
        "## Other targets",
        "",
        "| figure | value | target | met |",
        "|---|---|---|---|",
        f"| start-up to first 200 (median of {len(m.get('startup_runs', [0]))} starts) | {m['startup_s']:.3f} s "
        f"| <= 0.5 s | {ok(m['startup_s'] <= 0.5)} |",
        f"| memory per retained job | {m['bytes_per_job']:.0f} B ({m['jobs_retained']} jobs) | <= 2048 B | {ok(m['bytes_per_job'] <= 2048)} |",
        f"| encodes during the content load | {m['renders_during_load']} | 0 | {ok(m['renders_during_load'] == 0)} |",
        "",
        "## Absolute figures (this machine; each server alone)",
        "",
        "| figure | mock | baseline |",
        "|---|---|---|",
    ]
    for key in TARGETS:
        mk, bk = m[key], b[key]
        lines.append(f"| {key.replace('_', ' ')}: req/s | {mk['rps']:.0f} | {bk['rps']:.0f} |")
        lines.append(
            f"| {key.replace('_', ' ')}: p50 / p99 latency | {mk['p50_ms']:.2f} / {mk['p99_ms']:.2f} ms "
            f"| {bk['p50_ms']:.2f} / {bk['p99_ms']:.2f} ms |"
        )
        if mk["errors"] or bk["errors"]:
            lines.append(f"| {key.replace('_', ' ')}: non-2xx | {mk['errors']} | {bk['errors']} |")
    lines += [
        f"| content MiB/s (1080p 8 s MP4, {m['content_bytes']} B) | {m['content']['bytes_per_s'] / 2**20:.1f} "
        f"| {b['content']['bytes_per_s'] / 2**20:.1f} |",
        f"| first (uncached) download of that MP4 | {m['first_download_s'] * 1000:.0f} ms | - |",
        f"| repeated (cached) download | {m['cached_download_s'] * 1000:.1f} ms | - |",
        f"| start-up to first 200 | {m['startup_s']:.3f} s | {b['startup_s']:.3f} s |",
        f"| resident memory idle | {m['rss_idle'] / 2**20:.1f} MiB | {b['rss_idle'] / 2**20:.1f} MiB |",
        f"| resident memory with {m['jobs_retained']} jobs | {m['rss_with_jobs'] / 2**20:.1f} MiB | - |",
        f"| polls with {m['jobs_retained']} jobs retained: req/s | {m['polls_full_store']['rps']:.0f} | - |",
        f"| content with {m['jobs_retained']} jobs retained: MiB/s | "
        f"{m['content_full_store']['bytes_per_s'] / 2**20:.1f} | - |",
        f"| in-process contract suite (make test's) | {r['suite_s']:.1f} s ({r['suite_summary']}) | - |",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3, help="seconds per load run")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved runs per route and server")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--jobs", type=int, default=100_000, help="jobs to retain for the memory figure")
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()
    results = measure(args.seconds, args.connections, args.jobs, args.rounds)
    results["seconds"] = args.seconds
    text = report(results)
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        text += "\n" + notes.read_text("utf-8")
    Path(args.out).write_text(text, "utf-8")
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2), "utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
