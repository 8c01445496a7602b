"""Speed benchmark: texts per second of our engine against stock Presidio, on one core."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.accuracy import (  # noqa: E402
    SCORE_THRESHOLD,
    SYNTH_FILE,
    _offline_tldextract,
    default_data_dir,
    load_synth,
)

#: Thread-count variables of the numeric libraries spaCy and numpy may load.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "TORCH_NUM_THREADS",
)

Runner = Callable[[Sequence[str]], None]

#: Each of our modes and the mode it is compared with: stock Presidio, or (``--zones``) our
#: engine without spaCy memory zones.
COMPARISONS = (
    ("ours analyze", "stock analyze"),
    ("ours redact", "stock redact"),
    ("ours redact_batch", "stock batch"),
    ("ours analyze", "ours analyze, no zone"),
    ("ours redact", "ours redact, no zone"),
    ("ours redact_batch", "ours redact_batch, no zone"),
)


def pin_to_one_core(cpu: int) -> None:
    """Run this process on one CPU with single-threaded numeric libraries.

    Must run before numpy, spaCy or Presidio are imported (they are imported lazily
    in ``build_runners``), so both engines get the same single core and no BLAS
    thread pool can spread work over others.
    """
    for variable in THREAD_VARIABLES:
        os.environ[variable] = "1"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


def build_runners(*, auto_language: bool = False) -> dict[str, Runner]:
    """Return the measured modes: per-call analyze and redact, and batch, ours and stock.

    Per-call modes call the engine once per text, as an API request for one comment
    does; batch modes hand a whole chunk over at once. ``auto_language`` adds a mode
    in which our engine detects the language itself (what a caller gets when it
    sends no language).
    """
    _offline_tldextract()
    from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine

    from bench.accuracy import STOCK_MODEL_CONFIG
    from service.redaction import get_engine

    ours = get_engine(b"k" * 32)
    nlp_engine = NlpEngineProvider(nlp_configuration=STOCK_MODEL_CONFIG).create_engine()
    stock = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
    stock_batch = BatchAnalyzerEngine(analyzer_engine=stock)
    stock_anonymizer = AnonymizerEngine()

    def ours_analyze(texts: Sequence[str]) -> None:
        for text in texts:
            ours.analyze(text, language="en", score_threshold=SCORE_THRESHOLD)

    def ours_analyze_detect(texts: Sequence[str]) -> None:
        for text in texts:
            ours.analyze(text, score_threshold=SCORE_THRESHOLD)

    def stock_analyze(texts: Sequence[str]) -> None:
        for text in texts:
            stock.analyze(text, language="en", score_threshold=SCORE_THRESHOLD)

    def ours_redact(texts: Sequence[str]) -> None:
        for text in texts:
            ours.redact(text, language="en", score_threshold=SCORE_THRESHOLD)

    def stock_redact(texts: Sequence[str]) -> None:
        for text in texts:
            results = stock.analyze(text, language="en", score_threshold=SCORE_THRESHOLD)
            stock_anonymizer.anonymize(text=text, analyzer_results=results)

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

    runners = {
        "ours analyze": ours_analyze,
        "stock analyze": stock_analyze,
        "ours redact": ours_redact,
        "stock redact": stock_redact,
        "ours redact_batch": ours_batch,
        "stock batch": stock_batch_run,
    }
    if auto_language:
        runners["ours analyze, detect"] = ours_analyze_detect
    return runners


def build_zone_runners() -> dict[str, Runner]:
    """Return our modes twice: with spaCy memory zones (as served) and without.

    Each side has an engine (and pipeline, vocabulary and tokenizer cache) of its own, so
    the words the side without zones keeps do not speed up the side with them.
    """
    _offline_tldextract()
    from service.redaction import RedactionEngine

    zoned = RedactionEngine(b"k" * 32)
    unzoned = RedactionEngine(b"k" * 32)
    unzoned.memory_zones = False
    runners: dict[str, Runner] = {}
    for suffix, engine in (("", zoned), (", no zone", unzoned)):

        def analyze(texts: Sequence[str], engine=engine) -> None:
            for text in texts:
                engine.analyze(text, language="en", score_threshold=SCORE_THRESHOLD)

        def redact(texts: Sequence[str], engine=engine) -> None:
            for text in texts:
                engine.redact(text, language="en", score_threshold=SCORE_THRESHOLD)

        def batch(texts: Sequence[str], engine=engine) -> None:
            engine.redact_batch(
                [(str(i), text, "en") for i, text in enumerate(texts)],
                score_threshold=SCORE_THRESHOLD,
            )

        runners[f"ours analyze{suffix}"] = analyze
        runners[f"ours redact{suffix}"] = redact
        runners[f"ours redact_batch{suffix}"] = batch
    return runners


def measure(
    runners: dict[str, Runner], texts: Sequence[str], rounds: int, chunk: int
) -> dict[str, dict]:
    """Time every runner over the texts in interleaved rounds; return texts/second each.

    Each round walks the texts in chunks and, per chunk, runs every runner once, in
    an order that rotates from chunk to chunk, so drift (thermal, other load) hits
    all runners alike. The seconds of every chunk are kept for paired comparisons.
    """
    names = list(runners)
    chunk_seconds: dict[str, list[float]] = {name: [] for name in names}
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
                chunk_seconds[name].append(time.perf_counter() - started)
                counts[name] += len(part)
    return {
        name: {
            "texts": counts[name],
            "seconds": sum(chunk_seconds[name]),
            "texts_per_second": counts[name] / sum(chunk_seconds[name]),
            "ms_per_text": 1000 * sum(chunk_seconds[name]) / counts[name],
            "chunk_seconds": chunk_seconds[name],
        }
        for name in names
    }


def speed_ups(results: dict[str, dict]) -> dict[str, dict[str, float]]:
    """Return our speed-up over stock per comparison: overall, and median/min over chunks.

    The per-chunk ratios pair each of our chunks with the stock run of the same texts
    at nearly the same time, so their median shrugs off bursts of load from elsewhere.
    """
    figures = {}
    for ours, stock in COMPARISONS:
        if ours not in results or stock not in results:
            continue
        ratios = [
            stock_seconds / ours_seconds
            for ours_seconds, stock_seconds in zip(
                results[ours]["chunk_seconds"], results[stock]["chunk_seconds"], strict=True
            )
        ]
        figures[f"{ours} vs {stock}"] = {
            "overall": results[ours]["texts_per_second"] / results[stock]["texts_per_second"],
            "median_chunk": statistics.median(ratios),
            "min_chunk": min(ratios),
        }
    return figures


def format_report(results: dict[str, dict]) -> str:
    """Return a table of throughput per mode and our speed-ups over stock."""
    lines = [f"{'mode':<24}{'texts':>8}{'seconds':>10}{'texts/s':>10}{'ms/text':>10}", "-" * 62]
    for name, row in results.items():
        lines.append(
            f"{name:<24}{int(row['texts']):>8}{row['seconds']:>10.2f}"
            f"{row['texts_per_second']:>10.1f}{row['ms_per_text']:>10.3f}"
        )
    lines += ["", f"{'speed-up':<42}{'overall':>9}{'median':>9}{'min':>9}", "-" * 69]
    for label, figure in speed_ups(results).items():
        lines.append(
            f"{label:<42}{figure['overall']:>8.2f}x{figure['median_chunk']:>8.2f}x"
            f"{figure['min_chunk']:>8.2f}x"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the speed benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=None, help="benchmark data folder")
    parser.add_argument("--limit", type=int, default=None, help="first N synth texts")
    parser.add_argument("--rounds", type=int, default=2, help="passes over the texts")
    parser.add_argument("--chunk", type=int, default=50, help="texts per interleaved chunk")
    parser.add_argument(
        "--detect-language",
        action="store_true",
        help="also time our analyze without a language (detection included)",
    )
    parser.add_argument(
        "--zones",
        action="store_true",
        help="compare our engine with and without spaCy memory zones instead of with stock",
    )
    parser.add_argument("--json", type=Path, default=None, help="write results as JSON here")
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin the process to")
    args = parser.parse_args(argv)
    pin_to_one_core(args.cpu)

    texts = [s.text for s in load_synth((args.data or default_data_dir()) / SYNTH_FILE)]
    texts = [t for t in texts if t.strip()][: args.limit]
    if args.zones:
        runners = build_zone_runners()
    else:
        runners = build_runners(auto_language=args.detect_language)
    warm_up = texts[:20]
    for runner in runners.values():
        runner(warm_up)
    results = measure(runners, texts, args.rounds, args.chunk)
    affinity = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "n/a"
    print(f"{len(texts)} synth texts, {args.rounds} round(s), CPU affinity {affinity}")
    print(format_report(results))
    if args.json:
        summary = {
            "modes": {
                name: {key: value for key, value in row.items() if key != "chunk_seconds"}
                for name, row in results.items()
            },
            "speed_ups": speed_ups(results),
        }
        args.json.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
