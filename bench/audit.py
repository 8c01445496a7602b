"""Audit log benchmark: appends, commit-to-signature delay, proofs and verification at 1M events.

    .venv/bin/python -m bench.audit [--events 1000000] [--writers 8] [--append-seconds 10]
        [--commit-delay US] [--append-only] [--pgbench SECONDS [--pgbench-only]]

Runs in a scratch database on the embedded PostgreSQL (`.data/bench`), or on the server of
DATABASE_URL, and drops it afterwards (unless --keep). Figures:

- bulk load and integration: events copied in, then given tree positions and signed by the
  signer (its own throughput);
- append: `--writers` processes each appending one event per transaction (`record_event`, as
  actions do, each with its own request id) while the signer runs beside them; events/s, CPU
  per event summed over the writers and their backends, events per WAL flush (group commit);
  again with `--commit-delay` if given, and without waiting for the WAL flush;
- CPU per transaction of one writer, client and server backend, for an audit event and for an
  empty transaction: what bounds the append rate on a small machine;
- commit-to-signature delay: for every appended event, from its `occurred_at` (just before its
  commit) to the `signed_at` of the first checkpoint covering it; p50/p99/max;
- proofs at the loaded size: inclusion and consistency proofs over HTTP (the API's view code,
  test client) and in-process; p50/p99 in ms;
- verification: the whole log (`verify_log` from 0) and 10,000 events appended after a
  checkpoint (`from_size`);
- with `--pgbench SECONDS`: the same one-event transactions sent by pgbench (a C client, prepared
  statements, `--writers` connections on 2 threads) in a scratch database of their own, beside
  an empty one-statement transaction, durable and without waiting for the WAL flush: the rate
  this server and machine allow whatever the client, the bound for the append figure above.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from bench.queries import bench_queries
from bench.scratch import BENCH_DATA, create_scratch_database, drop_scratch_database
from service import create_app
from service.audit import Actor, record_event
from service.audit.canonical import canonical_json, format_timestamp
from service.audit.events import LEAF_FIELDS, leaf_bytes
from service.audit.log import verify_log
from service.audit.signer import AuditSigner, integrate_now, run_signer
from service.audit.signing import load_signer_settings
from service.audit.store import consistency_proof, inclusion_proof
from service.auth import create_key

ACTIONS = ("key.created", "auth.denied", "redact.performed", "dsr.created", "archive.stored")
COPY_NULL = "\\N"


def _copy_text(value: object) -> str:
    """Escape one value for PostgreSQL's text COPY format."""
    if value is None:
        return COPY_NULL
    text = canonical_json(value).decode() if isinstance(value, dict) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def bulk_load(url: str, count: int) -> float:
    """Copy `count` synthetic events in; return the seconds taken."""
    actors = [str(uuid.uuid4()) for _ in range(20)]
    start = datetime.now(UTC) - timedelta(milliseconds=count)
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        with conn.cursor().copy(bench_queries()["copy_bench_audit_events"]) as copy:
            buffer = []
            for n in range(count):
                event = {
                    "occurred_at": format_timestamp(start + timedelta(milliseconds=n)),
                    "actor_type": "key",
                    "actor_key_id": actors[n % len(actors)],
                    "actor_role": "moderator",
                    "action": ACTIONS[n % len(ACTIONS)],
                    "target_type": "item",
                    "target_id": str(n),
                    "subject_ref": None,
                    "request_id": f"bench{n:012d}",
                    "outcome": "success",
                    "details": {"entities": n % 7, "language": "en"},
                }
                values = [_copy_text(event[name]) for name in LEAF_FIELDS]
                values.append("\\\\x" + leaf_bytes(event).hex())
                buffer.append("\t".join(values) + "\n")
                if len(buffer) >= 10_000:
                    copy.write("".join(buffer))
                    buffer.clear()
            copy.write("".join(buffer))
        conn.commit()
    return time.perf_counter() - started


def integrate_all(url: str, settings) -> float:
    """Integrate and sign everything pending; return the seconds taken."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        signer = AuditSigner(conn, settings)
        signer.lock()
        while signer.integrate():
            pass
        conn.execute(bench_queries()["analyze_bench_audit_tables"])
    return time.perf_counter() - started


def _writer(
    url: str, index: int, seconds: float, ready, start, counts, cpu, durable: bool, delay: int
) -> None:
    key_id = uuid.uuid4()
    done = 0
    with psycopg.connect(url, autocommit=True) as conn:
        if not durable:
            conn.execute("SET synchronous_commit = off")
        if delay:
            conn.execute(f"SET commit_delay = {int(delay)}")
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        ready.release()
        start.wait()
        client, server = time.process_time(), _backend_cpu(pid)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            # What an API action does: its own request id, one event in its transaction.
            actor = Actor(key_id=key_id, role="moderator", request_id=uuid.uuid4().hex)
            with conn.transaction():
                record_event(conn, actor, "bench.appended", target_type="item", details={"n": 1})
            done += 1
        cpu[2 * index] = time.process_time() - client
        cpu[2 * index + 1] = _backend_cpu(pid) - server
    counts[index] = done


def _wal_syncs(url: str) -> int:
    """Return how many times the server has flushed its WAL to disk (all processes)."""
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT wal_sync FROM pg_stat_wal").fetchone()[0]


def append_rate(
    url: str, settings, writers: int, seconds: float, *, durable: bool = True, delay: int = 0
) -> tuple[int, float, float, float, float]:
    """Append from `writers` processes with the signer running.

    Returns (events, events/s, client and server CPU microseconds per event over all writers
    and their backends, events per WAL flush). `durable=False` commits without waiting for the
    WAL flush: the cost of the append itself. `delay` sets the writers' `commit_delay`
    (microseconds, group commit).
    """
    stop = threading.Event()
    signer = threading.Thread(target=run_signer, args=(url, settings, stop), daemon=True)
    signer.start()
    time.sleep(1.0)  # the signer has its lock and is polling
    context = multiprocessing.get_context("spawn")
    counts = context.Array("q", writers)
    cpu = context.Array("d", 2 * writers)
    ready, start = context.Semaphore(0), context.Event()
    processes = [
        context.Process(
            target=_writer, args=(url, i, seconds, ready, start, counts, cpu, durable, delay)
        )
        for i in range(writers)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.acquire()  # every writer is connected: start them together
    syncs = _wal_syncs(url)
    start.set()
    for process in processes:
        process.join()
    syncs = _wal_syncs(url) - syncs
    elapsed = seconds  # every writer appends for exactly this long
    time.sleep(settings.audit.max_delay * 2 + 1.0)  # the last events get signed
    stop.set()
    signer.join()
    total = sum(counts)
    client = sum(cpu[0::2]) / max(total, 1) * 1e6
    server = sum(cpu[1::2]) / max(total, 1) * 1e6
    return total, total / elapsed, client, server, total / max(syncs, 1)


def _backend_cpu(pid: int) -> float:
    """Return the CPU seconds a PostgreSQL backend (a local process) has used (NaN if remote)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:  # a server on another machine (DATABASE_URL)
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def append_cpu(url: str, count: int) -> dict[str, tuple[float, float]]:
    """Return CPU microseconds per transaction, (client, server backend), of one writer.

    Two kinds of transaction: one audit event (`record_event`, as actions do) and an empty one
    (`SELECT 1`): what any one-statement transaction from Python costs before the audit adds
    anything. CPU time, unlike wall time, barely depends on what else the machine runs, and
    2 cores / (client + server) bounds the rate of such transactions.
    """

    def event(conn: psycopg.Connection, n: int) -> None:
        actor = Actor(None, "system", request_id=uuid.uuid4().hex)  # as a request has its own
        record_event(conn, actor, "bench.cpu", target_type="item", target_id=n, details={"n": n})

    def empty(conn: psycopg.Connection, n: int) -> None:
        Actor(None, "system", request_id=uuid.uuid4().hex)
        conn.execute("SELECT 1")

    kinds = {"audit event": event, "empty transaction": empty}
    figures = {}
    with psycopg.connect(url, row_factory=dict_row) as conn:
        pid = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
        for kind, run in kinds.items():
            for n in range(200):  # warm: prepared statements, caches
                with conn.transaction():
                    run(conn, n)
            server, client = _backend_cpu(pid), time.process_time()
            for n in range(count):
                with conn.transaction():
                    run(conn, n)
            client, server = time.process_time() - client, _backend_cpu(pid) - server
            figures[kind] = (client / count * 1e6, server / count * 1e6)
    return figures


def signature_delays(url: str) -> list[float]:
    """Return, per appended event, seconds from its occurred_at to its first covering signature."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        rows = conn.execute(bench_queries()["list_bench_audit_signature_delays"]).fetchall()
    return sorted(float(row["delay"]) for row in rows)


def _percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, int(fraction * len(values)))]


def _ms(values: list[float]) -> str:
    values = sorted(values)
    return (
        f"p50 {statistics.median(values) * 1000:.2f} ms, "
        f"p99 {_percentile(values, 0.99) * 1000:.2f} ms"
    )


def proof_latency(app, url: str, headers: dict, size: int, samples: int) -> None:
    """Print inclusion and consistency proof latency at `size`, over HTTP and in-process."""
    client = app.test_client()
    rng = random.Random(7)
    http_inclusion, http_consistency, direct_inclusion, direct_consistency = [], [], [], []
    with psycopg.connect(url) as conn:
        for _ in range(samples):
            seq = rng.randint(1, size)
            first = rng.randint(1, size - 1)
            started = time.perf_counter()
            response = client.get(
                f"/v1/audit/proof/inclusion?seq={seq}&tree_size={size}", headers=headers
            )
            http_inclusion.append(time.perf_counter() - started)
            assert response.status_code == 200, response.get_json()
            started = time.perf_counter()
            response = client.get(
                f"/v1/audit/proof/consistency?first={first}&second={size}", headers=headers
            )
            http_consistency.append(time.perf_counter() - started)
            assert response.status_code == 200, response.get_json()
            started = time.perf_counter()
            inclusion_proof(conn, seq, size)
            direct_inclusion.append(time.perf_counter() - started)
            started = time.perf_counter()
            consistency_proof(conn, first, size)
            direct_consistency.append(time.perf_counter() - started)
            conn.rollback()
    print(
        f"inclusion proof at {size:,} events: HTTP {_ms(http_inclusion)}; "
        f"in-process {_ms(direct_inclusion)}"
    )
    print(
        f"consistency proof at {size:,} events: HTTP {_ms(http_consistency)}; "
        f"in-process {_ms(direct_consistency)}"
    )


# One audit event per transaction as `record_event` writes it (same columns, a fresh request id
# each), and an empty one-statement transaction to compare with.
PGBENCH_SCRIPTS = {
    "audit event": (
        "\\set n random(1, 1000000000)\n"
        "INSERT INTO audit_events (occurred_at, actor_type, actor_key_id, actor_role, action, "
        "target_type, target_id, subject_ref, request_id, outcome, details, leaf) VALUES "
        "(now(), 'system', NULL, NULL, 'bench.pgbench', 'item', :n, NULL, "
        "gen_random_uuid()::text, 'success', '{}', "
        'convert_to(\'{"action":"bench.pgbench","target_id":"\' || :n || \'"}\', '
        "'UTF8')) RETURNING id;\n"
    ),
    "empty transaction": "SELECT 1;\n",
}


def _pgbench_binary() -> str | None:
    """pgbench of the embedded server's installation, or the one on PATH."""
    try:
        import pgserver

        bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pgbench"
        if bundled.exists():
            return str(bundled)
    except ImportError:
        pass
    return shutil.which("pgbench")


def pgbench_rates(url: str, clients: int, seconds: float) -> dict[tuple[str, bool], float]:
    """Transactions/s pgbench reaches for each script, durable and with synchronous_commit=off."""
    binary = _pgbench_binary()
    if binary is None:
        raise SystemExit("pgbench not found (it ships with the embedded server's wheel)")
    rates: dict[tuple[str, bool], float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind, script in PGBENCH_SCRIPTS.items():
            path = Path(folder) / f"{kind.replace(' ', '_')}.sql"
            path.write_text(script)
            for durable in (True, False):
                env = dict(os.environ)
                if not durable:
                    env["PGOPTIONS"] = "-c synchronous_commit=off"
                done = subprocess.run(
                    [
                        binary,
                        "-n",
                        "-M",
                        "prepared",
                        "-c",
                        str(clients),
                        "-j",
                        "2",
                        "-T",
                        str(max(1, round(seconds))),
                        "-f",
                        str(path),
                        url,
                    ],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=False,
                )
                found = re.search(r"tps = ([0-9.]+)", done.stdout)
                if done.returncode != 0 or found is None:
                    raise SystemExit(f"pgbench failed: {done.stderr.strip()[-500:]}")
                rates[(kind, durable)] = float(found.group(1))
    return rates


def report_pgbench(clients: int, seconds: float) -> None:
    """Run pgbench in a scratch database of its own and print its rates."""
    server_url, name, url = create_scratch_database("audit_pgbench")
    try:
        rates = pgbench_rates(url, clients, seconds)
    finally:
        drop_scratch_database(server_url, name)
    for (kind, durable), tps in rates.items():
        flush = "durable commit" if durable else "synchronous_commit=off"
        print(
            f"pgbench, {kind}, {clients} connections, prepared, {flush}: {tps:,.0f} "
            f"transactions/s (load average {os.getloadavg()[0]:.1f})"
        )


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--append-seconds", type=float, default=10.0)
    parser.add_argument("--proofs", type=int, default=200, help="Proofs of each kind timed.")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    parser.add_argument(
        "--commit-delay",
        type=int,
        default=0,
        help="Also append with this commit_delay (microseconds; needs a superuser connection).",
    )
    parser.add_argument("--append-only", action="store_true", help="Stop after the append figures.")
    parser.add_argument(
        "--pgbench",
        type=float,
        default=0,
        metavar="SECONDS",
        help="First run the same transactions from pgbench for this long per script and mode.",
    )
    parser.add_argument(
        "--pgbench-only", action="store_true", help="Stop after the pgbench figures."
    )
    args = parser.parse_args()

    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if args.pgbench:
        report_pgbench(args.writers, args.pgbench)
        if args.pgbench_only:
            return
    server_url, name, url = create_scratch_database("audit_bench")
    state_dir = BENCH_DATA / f"signer-{os.getpid()}"
    config = {
        "TESTING": True,
        "DATABASE_URL": url,
        "PRIVACY_DATA_DIR": str(BENCH_DATA / "app"),
        "PRIVACY_AUDIT_STATE_FILE": str(state_dir / "audit-signer.state"),
        "PRIVACY_DB_POOL_MIN": 0,
    }
    try:
        app = create_app(config)
        settings = load_signer_settings(config)
        seconds = bulk_load(url, args.events)
        print(f"bulk load: {args.events:,} events in {seconds:.1f} s (COPY)")
        seconds = integrate_all(url, settings)
        print(
            f"integration: {args.events:,} events positioned, hashed and signed in "
            f"{seconds:.1f} s = {args.events / seconds:,.0f} events/s"
        )

        appended, rate, client, server, grouped = append_rate(
            url, settings, args.writers, args.append_seconds
        )
        print(
            f"append: {rate:,.0f} events/s with {args.writers} writer processes, one event per "
            f"transaction, signer running ({appended:,} events in {args.append_seconds:.0f} s, "
            f"load average {os.getloadavg()[0]:.1f}); CPU per event, all writers: client "
            f"{client:.0f} us + server {server:.0f} us = {client + server:.0f} us; "
            f"{grouped:.1f} events per WAL flush"
        )
        delays = signature_delays(url)
        for kind, (client, server) in append_cpu(url, 5000).items():
            print(
                f"CPU per {kind}, one writer: client {client:.0f} us + server {server:.0f} us "
                f"= {client + server:.0f} us (2 cores: at most {2e6 / (client + server):,.0f}/s)"
            )
        if args.commit_delay:
            delayed, delayed_rate, client, server, grouped = append_rate(
                url, settings, args.writers, args.append_seconds, delay=args.commit_delay
            )
            print(
                f"append with commit_delay={args.commit_delay} us (group commit): "
                f"{delayed_rate:,.0f} events/s ({delayed:,} events, load average "
                f"{os.getloadavg()[0]:.1f}); CPU per event: client {client:.0f} us + server "
                f"{server:.0f} us = {client + server:.0f} us; {grouped:.1f} events per WAL flush"
            )
        fast, fast_rate, client, server, _ = append_rate(
            url, settings, args.writers, args.append_seconds, durable=False
        )
        print(
            f"append without waiting for the WAL flush (synchronous_commit=off, breakdown): "
            f"{fast_rate:,.0f} events/s ({fast:,} events, load average "
            f"{os.getloadavg()[0]:.1f}); CPU per event: client {client:.0f} us + server "
            f"{server:.0f} us = {client + server:.0f} us"
        )
        if delays:
            print(
                f"commit-to-signature delay (PRIVACY_AUDIT_MAX_DELAY="
                f"{settings.audit.max_delay:g} s): p50 {statistics.median(delays):.2f} s, "
                f"p99 {_percentile(delays, 0.99):.2f} s, max {delays[-1]:.2f} s "
                f"over {len(delays):,} events"
            )
        if args.append_only:
            app.extensions["privacy"].close()
            return

        with psycopg.connect(url, row_factory=dict_row) as conn:
            _, raw = create_key(conn, Actor(None, "system"), name="bench", role="auditor")
        integrate_now(url, settings)
        headers = {"Authorization": f"Bearer {raw}"}
        with psycopg.connect(url, row_factory=dict_row) as conn:
            size = conn.execute("SELECT max(tree_size) AS n FROM audit_checkpoints").fetchone()["n"]
        proof_latency(app, url, headers, size, args.proofs)

        verifiers = [settings.verifier]
        for check_columns, what in ((False, "leaves, tree, signatures"), (True, "and columns")):
            with psycopg.connect(url) as conn:
                started, cpu = time.perf_counter(), time.process_time()
                report = verify_log(conn, verifiers, check_columns=check_columns)
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(
                f"full verification ({what}): {report.checked:,} events, "
                f"{report.checkpoints_checked} checkpoints in {elapsed:.1f} s "
                f"({cpu:.1f} s CPU here; ok={report.ok})"
            )

        with psycopg.connect(url, row_factory=dict_row) as conn:
            for n in range(10_000):
                record_event(conn, Actor(None, "system"), "bench.late", target_id=n)
        integrate_now(url, settings)
        with psycopg.connect(url) as conn:
            started = time.perf_counter()
            report = verify_log(conn, verifiers, from_size=size)
            elapsed = time.perf_counter() - started
        print(
            f"incremental verification: {report.checked:,} events after the checkpoint of "
            f"{size:,} in {elapsed:.2f} s (ok={report.ok})"
        )
        app.extensions["privacy"].close()
    finally:
        if not args.keep:
            drop_scratch_database(server_url, name)
        for path in state_dir.glob("*"):
            path.unlink()
        if state_dir.exists():
            state_dir.rmdir()
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
