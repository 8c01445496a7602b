"""Tests of the speed benchmark's bookkeeping: interleaved timing and paired speed-ups."""

from __future__ import annotations

import pytest

from bench.speed import format_report, measure, speed_ups


def test_measure_runs_every_mode_on_every_chunk_and_counts_texts():
    calls: list[tuple[str, int]] = []
    runners = {
        "ours analyze": lambda texts: calls.append(("ours", len(texts))),
        "stock analyze": lambda texts: calls.append(("stock", len(texts))),
    }

    results = measure(runners, [f"text {i}" for i in range(5)], rounds=2, chunk=2)

    assert sorted(calls) == sorted(
        [("ours", 2), ("ours", 2), ("ours", 1)] * 2 + [("stock", 2), ("stock", 2), ("stock", 1)] * 2
    )
    assert calls[0][0] != calls[2][0]  # the order rotates from chunk to chunk
    assert results["ours analyze"]["texts"] == 10
    assert len(results["stock analyze"]["chunk_seconds"]) == 6


def row(chunk_seconds: list[float], texts: int) -> dict:
    seconds = sum(chunk_seconds)
    return {
        "texts": texts,
        "seconds": seconds,
        "texts_per_second": texts / seconds,
        "ms_per_text": 1000 * seconds / texts,
        "chunk_seconds": chunk_seconds,
    }


def test_speed_ups_pair_chunks_and_report_overall_median_and_minimum():
    results = {
        "ours analyze": row([1.0, 1.0, 2.0], 300),
        "stock analyze": row([3.0, 4.0, 2.0], 300),
    }

    figures = speed_ups(results)["ours analyze vs stock analyze"]

    assert figures["overall"] == pytest.approx(9.0 / 4.0)
    assert figures["median_chunk"] == pytest.approx(3.0)
    assert figures["min_chunk"] == pytest.approx(1.0)
    assert "ours analyze vs stock analyze" in format_report(results)
