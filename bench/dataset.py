"""Dataset redaction benchmark: rows per second on Dask with 1 and 2 workers, against in-process.

    .venv/bin/python -m bench.dataset [--rows 100000] [--partition-rows 2000] [--workers 1,2]
                                      [--baseline-rows N] [--json FILE]

Generates ``--rows`` synthetic social-media comments with Faker (seeded: the same rows every
run) in threads of 1 to 8 comments, about half of them with personal data (names, handles,
e-mail addresses, phone numbers, order numbers, street addresses), and writes them as JSON
lines. Then measures, in this order:

1. the in-process engine: ``RedactionEngine.redact_batch`` over the texts in chunks of
   ``--partition-rows``, in this process on one thread (the first ``--baseline-rows`` rows;
   default all): the ceiling a worker can reach;
2. ``redact-dataset``'s job (``prepare_job`` + ``run_job``, reading, redacting and writing
   every partition) on a new LocalCluster of N worker processes for each N in ``--workers``;
   the clock starts once every worker has built its engine (cluster start and engine build
   are reported apart).

It prints rows per second for each, the speed-up of the most workers over one worker, one
worker against the in-process engine, and the load average before and after each phase: on a
shared machine the scaling figure is only as good as the cores that were free.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

# One thread per process for the numeric libraries, before numpy or spaCy are imported.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_name] = "1"

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SECRET = "dataset-benchmark-secret-0123456789abcdef"  # noqa: S105 - a benchmark key


def synthetic_comments(count: int, seed: int = 11) -> list[dict]:
    """Return ``count`` comments in threads; about half carry personal data."""
    from faker import Faker

    fake = Faker(["en_GB", "en_US"])
    fake.seed_instance(seed)
    rng = random.Random(seed)

    def with_personal_data() -> str:
        shape = rng.randrange(6)
        if shape == 0:
            return f"{fake.sentence(nb_words=10)} You can reach me on {fake.phone_number()}."
        if shape == 1:
            return f"@{fake.user_name()} {fake.sentence(nb_words=14)}"
        if shape == 2:
            return f"This is {fake.name()}, {fake.sentence(nb_words=9)} Email: {fake.email()}"
        if shape == 3:
            number = rng.randint(1_000_000, 9_999_999)
            return f"Order #{number} still not here. {fake.sentence(nb_words=8)}"
        if shape == 4:
            return f"Deliver to {fake.street_address()}, {fake.city()} please. {fake.sentence()}"
        return f"{fake.first_name()} from your shop was great! {fake.sentence(nb_words=12)}"

    rows: list[dict] = []
    thread = 0
    while len(rows) < count:
        thread += 1
        for _ in range(rng.randint(1, 8)):
            if len(rows) == count:
                break
            text = (
                with_personal_data()
                if rng.random() < 0.5
                else fake.paragraph(nb_sentences=rng.randint(1, 3))
            )
            rows.append({"comment_id": f"b{len(rows)}", "thread_id": f"t{thread}", "text": text})
    return rows


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def in_process_rate(texts: list[str], chunk: int) -> float:
    """Return texts per second of the engine's batch call in this process (after warm-up)."""
    from service.redaction import get_engine

    engine = get_engine(SECRET.encode())
    engine.redact_batch([("", text, None) for text in texts[:50]])  # warm caches
    started = time.perf_counter()
    for start in range(0, len(texts), chunk):
        engine.redact_batch([("", text, None) for text in texts[start : start + chunk]])
    return len(texts) / (time.perf_counter() - started)


def cluster_rate(source: Path, workers: int, partition_rows: int, scratch: Path) -> dict:
    """Run the dataset job on a new local cluster of ``workers`` processes; return its figures."""
    from service.datasets import DatasetSettings, key_id
    from service.datasets.cluster import dask_client, warm_up
    from service.datasets.job import prepare_job, run_job

    settings = DatasetSettings(
        text_field="text",
        key_id=key_id(SECRET.encode()),
        id_field="comment_id",
        group_field="thread_id",
        partition_rows=partition_rows,
    )
    output = scratch / f"out-{workers}"
    shutil.rmtree(output, ignore_errors=True)
    started = time.perf_counter()
    with dask_client(workers=workers, environment={"PRIVACY_SECRET_KEY": SECRET}) as client:
        warm_up(client, settings)
        ready = time.perf_counter() - started
        load_before = _load()
        job = prepare_job(str(source), str(output), settings)
        report = run_job(job, client)
    if not report.complete:
        raise SystemExit(f"the {workers}-worker run did not complete: {report.failed}")
    return {
        "workers": workers,
        "rows": report.rows_read,
        "findings": sum(report.findings_by_type.values()),
        "seconds": round(report.seconds, 2),
        "rows_per_second": round(report.rows_per_second, 1),
        "cluster_start_and_engine_build_seconds": round(ready, 1),
        "load_before": load_before,
        "load_after": _load(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--partition-rows", type=int, default=2000)
    parser.add_argument("--workers", default="1,2", help="Comma-separated worker counts.")
    parser.add_argument("--baseline-rows", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]

    scratch = Path(tempfile.mkdtemp(prefix="dataset-bench-"))
    try:
        print(f"generating {args.rows:,} comments ...", flush=True)
        rows = synthetic_comments(args.rows)
        source = scratch / "comments.jsonl"
        source.write_text("".join(json.dumps(row) + "\n" for row in rows))

        texts = [row["text"] for row in rows[: args.baseline_rows or len(rows)]]
        load_before = _load()
        baseline = in_process_rate(texts, args.partition_rows)
        results = {
            "rows": args.rows,
            "partition_rows": args.partition_rows,
            "cpus": os.cpu_count(),
            "in_process": {
                "texts": len(texts),
                "texts_per_second": round(baseline, 1),
                "load_before": load_before,
                "load_after": _load(),
            },
            "clusters": [],
        }
        print(f"in-process engine: {baseline:,.1f} texts/s on {len(texts):,} texts", flush=True)
        for workers in counts:
            figures = cluster_rate(source, workers, args.partition_rows, scratch)
            results["clusters"].append(figures)
            print(
                f"{workers} worker(s): {figures['rows_per_second']:,.1f} rows/s "
                f"({figures['rows']:,} rows in {figures['seconds']:,.1f} s; cluster start and "
                f"engine build {figures['cluster_start_and_engine_build_seconds']} s; load "
                f"{figures['load_before']} -> {figures['load_after']})",
                flush=True,
            )
        by_workers = {c["workers"]: c["rows_per_second"] for c in results["clusters"]}
        if 1 in by_workers:
            share = by_workers[1] / baseline
            results["one_worker_vs_in_process"] = round(share, 3)
            print(f"1 worker / in-process engine: {share:.2f} (goal >= 0.85)")
            most = max(by_workers)
            if most > 1:
                speedup = by_workers[most] / by_workers[1]
                results[f"speedup_{most}_workers"] = round(speedup, 2)
                print(f"{most} workers / 1 worker: {speedup:.2f}x (goal >= 1.8x for 2)")
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
