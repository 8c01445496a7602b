"""One engine shared by the threads of a threaded server gives each caller its own answer."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from service.redaction import get_engine

TEXTS = [
    f"Hi {name}, call me on 07700 900{index:03d} or mail {name.lower()}@example.com about "
    f"order #A{index:06d}. I live at {index} Church Street."
    for index, name in enumerate(
        ["Sarah Jones", "Pieter de Vries", "Liam Brown", "Emma Smith"] * 10
    )
]
OPERATORS = {"DEFAULT": {"type": "pseudonymize"}}


def test_concurrent_calls_match_sequential_ones():
    engine = get_engine(b"thread-test-secret-0123456789abcdef")
    expected = [engine.redact(text, language="en", operators=OPERATORS) for text in TEXTS]
    batches = [[(str(i), t, "en") for i, t in enumerate(TEXTS[k::4])] for k in range(4)]

    def one_by_one(offset: int):
        return [engine.redact(t, language="en", operators=OPERATORS) for t in TEXTS[offset::4]]

    with ThreadPoolExecutor(max_workers=4) as pool:
        singles = list(pool.map(one_by_one, range(4)))
        batched = list(pool.map(lambda b: engine.redact_batch(b, operators=OPERATORS), batches))

    for offset in range(4):
        want = expected[offset::4]
        assert [r.text for r in singles[offset]] == [r.text for r in want]
        assert [r.findings for r in singles[offset]] == [r.findings for r in want]
        assert [r.findings for r in batched[offset]] == [r.findings for r in want]
