"""Speed benchmark: texts per second of our engine against stock Presidio, on one core."""

from __future__ import annotations

import os

# Pin threads and the CPU before any numeric library is imported, so both engines
# run on the same single core and BLAS/torch cannot spread work over others.
for _variable in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "TORCH_NUM_THREADS",
):
    os.environ[_variable] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {0})

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.accuracy import (  # noqa: E402
    SCORE_THRESHOLD,
    SYNTH_FILE,
    _offline_tldextract,
    default_data_dir,
    load_synth,
)

Runner = Callable[[Sequence[str]], None]


def build_runners() -> dict[str, Runner]:
    """Return the four measured modes: single-call and batch, ours and stock."""
    _offline_tldextract()
    from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    from bench.accuracy import STOCK_MODEL_CONFIG
    from service.redaction import get_engine

    ours = get_engine(b"k" * 32)
    nlp_engine = NlpEngineProvider(nlp_configuration=STOCK_MODEL_CONFIG).create_engine()
    stock = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
    stock_batch = BatchAnalyzerEngine(analyzer_engine=stock)

    def ours_single(texts: Sequence[str]) -> None:
        for text in texts:
            ours.analyze(text, language="en", score_threshold=SCORE_THRESHOLD)

    def stock_single(texts: Sequence[str]) -> None:
        for text in texts:
            stock.analyze(text, language="en", score_threshold=SCORE_THRESHOLD)

    def ours_batch(texts: Sequence[str]) -> None:
        ours.redact_batch(
            [(str(i), text, "en") for i, text in enumerate(texts)],
            score_threshold=SCORE_THRESHOLD,
        )

    def stock_batch_run(texts: Sequence[str]) -> None:
        list(
            stock_batch.analyze_iterator(
                list(texts), language="en", score_threshold=SCORE_THRESHOLD, batch_size=32
            )
        )

    return {
        "ours analyze": ours_single,
        "stock analyze": stock_single,
        "ours redact_batch": ours_batch,
        "stock batch": stock_batch_run,
    }


def measure(
    runners: dict[str, Runner], texts: Sequence[str], rounds: int, chunk: int
) -> dict[str, dict[str, float]]:
    """Time every runner over the texts in interleaved rounds; return texts/second each.

    Each round walks the texts in chunks and, per chunk, runs every runner once, in
    an order that rotates from chunk to chunk, so drift (thermal, other load) hits
    all runners alike.
    """
    names = list(runners)
    seconds = dict.fromkeys(names, 0.0)
    counts = dict.fromkeys(names, 0)
    step = 0
    for _ in range(rounds):
        for offset in range(0, len(texts), chunk):
            part = texts[offset : offset + chunk]
            order = names[step % len(names) :] + names[: step % len(names)]
            step += 1
            for name in order:
                started = time.perf_counter()
                runners[name](part)
                seconds[name] += time.perf_counter() - started
                counts[name] += len(part)
    return {
        name: {
            "texts": counts[name],
            "seconds": seconds[name],
            "texts_per_second": counts[name] / seconds[name],
        }
        for name in names
    }


def format_report(results: dict[str, dict[str, float]]) -> str:
    """Return a table of throughput per mode and our speed-up over stock."""
    lines = [f"{'mode':<22}{'texts':>8}{'seconds':>10}{'texts/s':>10}", "-" * 50]
    for name, row in results.items():
        lines.append(
            f"{name:<22}{int(row['texts']):>8}{row['seconds']:>10.2f}{row['texts_per_second']:>10.1f}"
        )
    single = (
        results["ours analyze"]["texts_per_second"] / results["stock analyze"]["texts_per_second"]
    )
    batch = (
        results["ours redact_batch"]["texts_per_second"]
        / results["stock analyze"]["texts_per_second"]
    )
    batch_vs_batch = (
        results["ours redact_batch"]["texts_per_second"]
        / results["stock batch"]["texts_per_second"]
    )
    lines.append("")
    lines.append(f"speed-up, analyze vs stock analyze:          {single:5.2f}x")
    lines.append(f"speed-up, redact_batch vs stock analyze:     {batch:5.2f}x")
    lines.append(f"speed-up, redact_batch vs stock batch:       {batch_vs_batch:5.2f}x")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the speed benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=None, help="benchmark data folder")
    parser.add_argument("--limit", type=int, default=None, help="first N synth texts")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the texts")
    parser.add_argument("--chunk", type=int, default=100, help="texts per interleaved chunk")
    parser.add_argument("--json", type=Path, default=None, help="write results as JSON here")
    args = parser.parse_args(argv)

    texts = [s.text for s in load_synth((args.data or default_data_dir()) / SYNTH_FILE)]
    texts = [t for t in texts if t.strip()][: args.limit]
    runners = build_runners()
    warm_up = texts[:20]
    for runner in runners.values():
        runner(warm_up)
    results = measure(runners, texts, args.rounds, args.chunk)
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "n/a"
    print(f"{len(texts)} synth texts, {args.rounds} round(s), CPU affinity {affinity}")
    print(format_report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
