"""HTTP load benchmark with wrk: our API against stock Presidio, both served the same way.

Both servers run on loopback under gunicorn with the same number of workers (ours on the worker
class we ship, gevent, unless `--worker-class sync`; stock on sync workers); wrk (a C load
generator, so the client costs little CPU) sends real bodies from a Lua script, in interleaved
rounds, so drift in the machine's load hits both alike. Per mode and server it prints req/s, p50,
p99 and non-2xx answers, the workers' CPU milliseconds per request (user + system, from /proc:
unlike req/s it holds when other work shares the machine), our ratios to stock, and each
worker's resident memory before and after.

    .venv/bin/python bench/load.py                          # redact, comment and batch modes
    .venv/bin/python bench/load.py --modes redact --seconds 60 --rounds 3
    .venv/bin/python bench/load.py --modes redact --only ours --seconds 1800   # memory soak

Modes:
- `redact`: `POST /v1/redact` with one synth text per request (stock: `POST /redact`);
- `comment`: the same with 280-character comments full of personal data;
- `batch`: `POST /v1/redact/batch` with 50 synth texts per request (stock: Presidio's
  `BatchAnalyzerEngine` behind `POST /redact/batch`).

wrk comes from Debian's package (installed here when missing and running as root). Our server
runs against its own embedded PostgreSQL in a scratch data folder (or DATABASE_URL).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from bench.accuracy import default_data_dir  # noqa: E402

BATCH_SIZE = 50

TEMPLATES = [
    "Hi @brandcare, I'm {first} {last} and my order #{order} never arrived. Call me on {phone} or "
    "mail {email}. I live at {num} {street} Street, {city}. This is the third time I ask!!",
    "honestly the worst service ever. {first} from your team promised a refund for booking ref "
    "{order} weeks ago. my number is {phone}, email {email}. fix this please @{handle}",
    "Thanks so much {first}! The replacement arrived today at {num} {street} Ave. Loving it. "
    "Tagging my sister @{handle} who wants one too. Order {order} was perfect this time :)",
    "Hoi, ik ben {first} {last}. Mijn bestelling {order} is nog steeds niet binnen. Bel me op "
    "06-{digits} of mail naar {email}. Adres: {street}straat {num}, 1234 AB {city}.",
]
FIRST = ["sarah", "John", "EMMA", "liam", "Sanne", "Pieter", "olivia", "Noah", "Mia", "lucas"]
LAST = ["Jones", "smith", "de Vries", "Jansen", "BROWN", "Taylor", "Bakker", "Wilson"]
STREETS = ["Oak", "Maple", "Church", "Kerk", "High", "Station", "Mill"]
CITIES = ["Leeds", "Utrecht", "Boston", "Amsterdam", "Bristol"]

# wrk runs this in each of its threads: bodies come from a file, one JSON body per line; each
# thread starts at its own offset and walks the list. `done` prints one JSON line for us to read.
LUA = r"""
local bodies = {}
local counter = 0
local path = "/"

function init(args)
  path = args[2]
  for line in io.lines(args[1]) do
    bodies[#bodies + 1] = line
  end
  counter = math.random(#bodies)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[3] ~= nil and args[3] ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. args[3]
  end
end

function request()
  counter = counter + 1
  if counter > #bodies then counter = 1 end
  return wrk.format(nil, path, nil, bodies[counter])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT {\"requests\": %d, \"duration_us\": %d, \"non_2xx\": %d, \"connect\": %d, " ..
    "\"read\": %d, \"write\": %d, \"timeout\": %d, \"p50_us\": %d, \"p90_us\": %d, " ..
    "\"p99_us\": %d, \"max_us\": %d}\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def make_comment(rng: random.Random) -> str:
    """Return a ~280-character synthetic comment full of personal data."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    text = rng.choice(TEMPLATES).format(
        first=first,
        last=last,
        order=f"A{rng.randint(100000, 999999)}",
        phone=f"07700 9{rng.randint(10000, 99999)}",
        digits=rng.randint(10000000, 99999999),
        email=f"{first.lower()}.{last.lower().replace(' ', '')}@example.com",
        num=rng.randint(1, 300),
        street=rng.choice(STREETS),
        city=rng.choice(CITIES),
        handle=f"{first.lower()}_{rng.randint(1, 99)}",
    )
    return (text + " " + "x" * 280)[:280] if len(text) < 280 else text[:280]


def synth_texts(data_dir: Path) -> list[str]:
    """Return the synth set's texts (only the texts: the benchmark needs no labels)."""
    records = json.loads((data_dir / "presidio_synth_dataset_v2.json").read_text("utf-8"))
    return [record["full_text"] for record in records]


def ensure_wrk() -> str:
    """Return wrk's path, installing Debian's package first when it is missing (as root)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk") or "wrk"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ok(port: int, path: str, seconds: float) -> None:
    """Wait until GET path answers 200."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"server on port {port} did not answer {path}")


def worker_pids(master_pid: int) -> list[int]:
    """Return the pids of the gunicorn workers (children of the master)."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def rss_mb(pid: int) -> float:
    """Return a process's resident memory now, in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except FileNotFoundError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """Return a process's CPU time so far (user + system), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Target:
    """One server under test: how to reach each mode, and its worker processes."""

    def __init__(self, name: str, process: subprocess.Popen, port: int, key: str, paths: dict):
        self.name, self.process, self.port, self.key, self.paths = name, process, port, key, paths

    def rss(self) -> dict[int, float]:
        return {pid: rss_mb(pid) for pid in worker_pids(self.process.pid)}

    def cpu(self) -> dict[int, float]:
        return {pid: cpu_seconds(pid) for pid in worker_pids(self.process.pid)}

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_ours(args, data_dir: Path, env: dict[str, str] | None = None) -> Target:
    """Serve our API on a scratch data folder (`env` adds settings); return it with a key."""
    env = {
        **os.environ,
        "PRIVACY_DATA_DIR": str(data_dir),
        "PRIVACY_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    cli = [sys.executable, "-m", "service.cli"]
    port = free_port()
    process = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", str(args.workers)]
        + ["--worker-class", args.worker_class],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_ok(port, "/ready", 180)
    created = subprocess.run(
        [*cli, "keys", "create", "--role", "moderator", "--name", "load"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = created.stdout.strip().splitlines()[-1]
    paths = {"redact": "/v1/redact", "comment": "/v1/redact", "batch": "/v1/redact/batch"}
    return Target("ours", process, port, key, paths)


def start_stock(args) -> Target:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(args.workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            "bench.stock_server:create_app()",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_ok(port, "/health", 180)
    paths = {"redact": "/redact", "comment": "/redact", "batch": "/redact/batch"}
    return Target("stock", process, port, "", paths)


def write_bodies(folder: Path, args) -> dict[str, Path]:
    """Write one file of request bodies per mode."""
    rng = random.Random(7)
    texts = synth_texts(args.data)
    rng.shuffle(texts)
    language = {} if args.detect_language else {"language": "en"}
    bodies = {
        "redact": [json.dumps({"text": t, **language}) for t in texts],
        "comment": [json.dumps({"text": make_comment(rng), **language}) for _ in range(500)],
        "batch": [
            json.dumps(
                {
                    "items": [
                        {"id": str(n), "text": t} for n, t in enumerate(texts[i : i + BATCH_SIZE])
                    ],
                    **language,
                }
            )
            for i in range(0, len(texts) - BATCH_SIZE + 1, BATCH_SIZE)
        ],
    }
    paths = {}
    for mode, lines in bodies.items():
        paths[mode] = folder / f"{mode}.jsonl"
        paths[mode].write_text("\n".join(lines) + "\n")
    return paths


def run_wrk(wrk: str, script: Path, target: Target, mode: str, bodies: Path, args, seconds):
    """Run wrk against one target's mode; return its figures."""
    connections = args.batch_connections if mode == "batch" else args.connections
    command = [
        wrk,
        "--threads",
        str(args.wrk_threads),
        "--connections",
        str(connections),
        "--duration",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "--script",
        str(script),
        f"http://127.0.0.1:{target.port}",
        "--",
        str(bodies),
        target.paths[mode],
        target.key,
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    out = done.stdout
    line = next((x for x in out.splitlines() if x.startswith("WRK_RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    raw = json.loads(line.removeprefix("WRK_RESULT "))
    seconds_run = raw["duration_us"] / 1e6
    socket_errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    return {
        "requests": raw["requests"],
        "seconds": round(seconds_run, 1),
        "req_per_s": round(raw["requests"] / seconds_run, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p90_ms": round(raw["p90_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "non_2xx": raw["non_2xx"],
        "socket_errors": socket_errors,
        "connections": connections,
    }


def cpu_ms(cpu_s: float, requests: int) -> float:
    """Return milliseconds of worker CPU per request."""
    return round(cpu_s * 1000 / requests, 3) if requests else 0.0


def combine(runs: list[dict]) -> dict:
    """Merge rounds: totals for counts; the worst round's latencies (honest, not averaged)."""
    requests = sum(r["requests"] for r in runs)
    seconds = sum(r["seconds"] for r in runs)
    return {
        "requests": requests,
        "req_per_s": round(requests / seconds, 1) if seconds else 0.0,
        "cpu_ms_per_request": cpu_ms(
            sum(r["cpu_ms_per_request"] * r["requests"] for r in runs) / 1000, requests
        ),
        "p50_ms": max(r["p50_ms"] for r in runs),
        "p99_ms": max(r["p99_ms"] for r in runs),
        "non_2xx": sum(r["non_2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "rounds": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="redact,comment,batch")
    parser.add_argument("--only", choices=("both", "ours", "stock"), default="both")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--batch-connections", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=30, help="per round, mode and server")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, both servers")
    parser.add_argument("--worker-class", choices=("gevent", "sync"), default="gevent")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--detect-language", action="store_true", help="send no language")
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - {"redact", "comment", "batch"}
    if unknown:
        parser.error(f"unknown modes: {sorted(unknown)}")

    wrk = ensure_wrk()
    (ROOT / ".data").mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="load-", dir=ROOT / ".data"))
    script = scratch / "bodies.lua"
    script.write_text(LUA)
    bodies = write_bodies(scratch, args)
    targets: list[Target] = []
    try:
        if args.only in ("both", "ours"):
            targets.append(start_ours(args, scratch / "data"))
        if args.only in ("both", "stock"):
            targets.append(start_stock(args))
        for target in targets:
            for mode in modes:
                run_wrk(wrk, script, target, mode, bodies[mode], args, args.warmup)
        rss_start = {t.name: t.rss() for t in targets}
        runs: dict[tuple[str, str], list[dict]] = {}
        for round_no in range(args.rounds):
            for mode in modes:
                # Alternate who goes first, so neither always runs on a cooler machine.
                order = targets if round_no % 2 == 0 else list(reversed(targets))
                for target in order:
                    before = target.cpu()
                    result = run_wrk(wrk, script, target, mode, bodies[mode], args, args.seconds)
                    after = target.cpu()
                    # How the work split between the workers: an uneven split means some
                    # connections queue behind a busier worker.
                    spent = [after[pid] - before.get(pid, 0.0) for pid in sorted(after)]
                    result["worker_cpu_s"] = [round(s, 1) for s in spent]
                    # Worker CPU per request: unlike req/s, it holds when other work shares
                    # the machine (wrk's and the master's CPU are not in it).
                    result["cpu_ms_per_request"] = cpu_ms(sum(spent), result["requests"])
                    runs.setdefault((mode, target.name), []).append(result)
                    print(f"round {round_no + 1} {mode:8} {target.name:6} {json.dumps(result)}")
        rss_end = {t.name: t.rss() for t in targets}
        report = {
            "load_average": os.getloadavg(),
            "cpus": os.cpu_count(),
            "workers": args.workers,
            "seconds_per_round": args.seconds,
            "rounds": args.rounds,
            "modes": {},
            "rss_mb": {
                t.name: {
                    "start": list(rss_start[t.name].values()),
                    "end": list(rss_end[t.name].values()),
                }
                for t in targets
            },
        }
        print()
        print(
            f"{'mode':8} {'server':6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}"
            f" {'CPU ms/req':>10}"
        )
        for mode in modes:
            report["modes"][mode] = {}
            for target in targets:
                combined = combine(runs[(mode, target.name)])
                report["modes"][mode][target.name] = combined
                print(
                    f"{mode:8} {target.name:6} {combined['req_per_s']:8.1f} "
                    f"{combined['p50_ms']:8.1f} {combined['p99_ms']:8.1f} "
                    f"{combined['non_2xx'] + combined['socket_errors']:8d}"
                    f" {combined['cpu_ms_per_request']:10.2f}"
                )
            if len(targets) == 2:
                ours = report["modes"][mode]["ours"]["req_per_s"]
                stock = report["modes"][mode]["stock"]["req_per_s"]
                ratio = round(ours / stock, 2) if stock else None
                report["modes"][mode]["ratio"] = ratio
                ours_cpu = report["modes"][mode]["ours"]["cpu_ms_per_request"]
                stock_cpu = report["modes"][mode]["stock"]["cpu_ms_per_request"]
                cpu_ratio = round(stock_cpu / ours_cpu, 2) if ours_cpu else None
                report["modes"][mode]["cpu_ratio"] = cpu_ratio
                print(f"{mode:8} ratio  {ratio}x req/s, {cpu_ratio}x less CPU per request")
        for target in targets:
            rss = report["rss_mb"][target.name]
            print(f"RSS per worker, {target.name}: start {rss['start']} MiB, end {rss['end']} MiB")
        print(f"load average at the end: {report['load_average']}")
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))
    finally:
        for target in targets:
            target.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
