"""Engine calls run inside spaCy's memory zone: same findings, and the vocabulary stays put."""

from __future__ import annotations

import dataclasses
import random
import threading

import pytest

import service.redaction.engine as engine_module
from service.redaction import RedactionEngine
from service.redaction.errors import RedactionInputError

SECRET = b"memory-zone-tests-secret-0123456789ab"

FIRST = ("Sarah", "Pieter", "Anouk", "Malik", "Joost", "Emily", "Tomasz", "Fenna", "Ravi", "Lotte")
LAST = ("Jansen", "Okafor", "de Wit", "Kowalski", "Bakker", "Hughes", "Visser", "Nakamura")
STREETS_EN = ("Mill Lane", "Holloway Road", "Station Street", "Crescent Avenue")
STREETS_NL = ("Kerkstraat", "Dorpsweg", "Molenlaan", "Prinsengracht")
TEMPLATES_EN = (
    "Hi, I'm {first} {last}. My {word} order {number} never came, mail me at {email}",
    "@{handle} thanks {first}! Call me on +44 7700 9{digits} about the {word} refund.",
    "{first} {last} from Leeds here, ticket {number} is still open. {word} is broken.",
    "Nobody answers {email}. Booking ref {number}. Tell {first} the {word} is late.",
    "Send the {word} to {house} {street_en}, Bristol BS{house} 4QT, for {first} {last}.",
    "my neighbour {first} {word} keeps getting my parcels, i live at {house} {street_en}",
)
TEMPLATES_NL = (
    "Hoi, ik ben {first} {last}. Mijn {word} bestelling {number} is niet binnen: {email}",
    "Bel me op 06 {digits} over mijn pakket, groet {first} {last}. {word}!",
    "Stuur de {word} naar {street_nl} {house}, 3512 AB Utrecht, t.a.v. {first} {last}.",
    "Mevrouw {last} woont op de {street_nl} {house} en mailt vanaf {email} over {word}.",
)


def made_up_word(rng: random.Random) -> str:
    """A word no pipeline has seen: what grows a process's string store."""
    return "".join(rng.choice("bcdfghjklmnpqrstvwxz") + rng.choice("aeiou") for _ in range(4))


def our_texts(count: int, seed: int) -> list[str]:
    """Comments of our own making (English and Dutch), each with words never seen before."""
    rng = random.Random(seed)
    texts = []
    for n in range(count):
        word = made_up_word(rng)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        template = rng.choice(TEMPLATES_NL if n % 3 == 2 else TEMPLATES_EN)
        texts.append(
            template.format(
                first=first,
                last=last,
                word=word,
                number=f"{rng.randint(10, 99)}-{word[:2].upper()}-{rng.randint(1000, 9999)}",
                email=f"{first.lower()}.{word}@example.com",
                handle=f"{word}_{rng.randint(1, 999)}",
                digits=f"{rng.randint(10_000_000, 99_999_999)}",
                house=rng.randint(1, 299),
                street_en=rng.choice(STREETS_EN),
                street_nl=rng.choice(STREETS_NL),
            )
        )
    return texts


@pytest.fixture(scope="module")
def engine() -> RedactionEngine:
    """An engine of this module's own: its vocabulary is measured and its zones switched."""
    return RedactionEngine(SECRET)


@pytest.fixture
def learning():
    """Let the engine keep the words that recur across calls (its default)."""


@pytest.fixture(autouse=True)
def keep_no_recurring_words(request, engine, monkeypatch):
    """Outside tests that ask for ``learning``, the engine keeps no more recurring words, so
    the vocabulary must not change at all."""
    if "learning" not in request.fixturenames:
        monkeypatch.setattr(engine._recurring, "budget", engine._recurring.kept)


def vocabulary_size(engine: RedactionEngine) -> tuple[int, int]:
    """Strings in the store and lexemes in the vocabulary of the engine's pipelines.

    ``len(nlp.vocab)`` is spaCy's count of lexemes ever added: a memory zone frees the
    transient ones but does not count them down, so the lexemes are counted by walking the
    vocabulary's index, which is what holds them.
    """
    pipelines = engine._nlp.pipelines()
    return (
        sum(len(nlp.vocab.strings) for nlp in pipelines),
        sum(sum(1 for _ in nlp.vocab) for nlp in pipelines),
    )


def in_zone(engine: RedactionEngine) -> bool:
    return any(nlp.vocab.in_memory_zone for nlp in engine._nlp.pipelines())


def everything(engine: RedactionEngine, texts: list[str]) -> list:
    """Run every engine call over the texts and return what they give, as plain data."""
    analyzed = [engine.analyze(text, return_explanation=True) for text in texts]
    dutch = [engine.analyze(text, language="nl", entities=["PERSON"]) for text in texts[:60]]
    redacted = [engine.redact(text) for text in texts[:100]]
    batched = []
    for start in range(0, len(texts), 50):
        items = [(str(n), text, None) for n, text in enumerate(texts[start : start + 50])]
        batched += engine.redact_batch(items, operators={"PERSON": {"type": "pseudonymize"}})
    return [analyzed, dutch, redacted, batched]


def only_plain_data(value) -> bool:
    """True if the value is made of Python's own types only (nothing of spaCy's)."""
    if dataclasses.is_dataclass(value):
        return only_plain_data(dataclasses.asdict(value))
    if isinstance(value, dict):
        return all(isinstance(k, str) and only_plain_data(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(only_plain_data(item) for item in value)
    return value is None or type(value) in (str, int, float, bool)


def test_findings_are_the_same_inside_and_outside_the_zone(engine, learning):
    texts = our_texts(300, seed=1)
    inside = everything(engine, texts)
    assert not in_zone(engine)
    engine.memory_zones = False
    try:
        outside = everything(engine, texts)
    finally:
        engine.memory_zones = True
    assert inside == outside
    assert only_plain_data(inside)
    found = {f.entity_type for result in inside[0] for f in result.findings}
    assert {"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "LOCATION"} <= found
    assert sum(len(result.findings) for result in inside[0]) > 2 * len(texts)
    assert any(result.language == "nl" for result in inside[0])


def test_the_vocabulary_does_not_grow_over_repeated_calls(engine):
    engine.analyze("Warm up, Sarah, warm up.")
    before = vocabulary_size(engine)
    for seed in (2, 3, 4):
        everything(engine, our_texts(200, seed=seed))
        assert vocabulary_size(engine) == before
        assert not in_zone(engine)
    # What the zone saves: the same calls outside it keep every new word.
    engine.memory_zones = False
    try:
        everything(engine, our_texts(50, seed=5))
    finally:
        engine.memory_zones = True
    grown = vocabulary_size(engine)
    assert grown[0] > before[0] + 50 and grown[1] > before[1] + 50


def test_what_spacy_counts_as_the_vocabulary_length(engine):
    """``len(vocab)`` counts every lexeme made, also those a zone freed; the index does not."""
    nlp = engine._nlp.pipelines()[0]
    before_count, before_index = len(nlp.vocab), sum(1 for _ in nlp.vocab)
    engine.analyze(our_texts(1, seed=10)[0])
    assert len(nlp.vocab) > before_count
    assert sum(1 for _ in nlp.vocab) == before_index


def test_calls_inside_an_open_zone_share_it(engine):
    """A nested call neither opens a second zone nor closes the open one."""
    text = our_texts(1, seed=6)[0]
    before = vocabulary_size(engine)
    assert not in_zone(engine)
    with engine.memory_zone():
        assert in_zone(engine)
        first = engine.analyze(text)
        assert in_zone(engine), "the inner call closed the zone"
        with engine.memory_zone():
            second = engine.redact_batch([("1", text, None)])[0]
        assert in_zone(engine)
    assert not in_zone(engine)
    assert vocabulary_size(engine) == before
    assert first.findings == second.findings


class Exploding:
    """A per-call recognizer that fails half-way through an analysis."""

    supported_language = "en"
    supported_entities = ["PERSON"]
    id = name = "Exploding"
    context: list[str] = []

    def analyze(self, text, entities, nlp_artifacts=None):
        assert nlp_artifacts is not None and len(nlp_artifacts.tokens) > 0
        raise RuntimeError("recognizer failed")


def test_a_call_failing_inside_the_zone_leaves_the_engine_usable(engine):
    texts = our_texts(40, seed=8)
    expected = [engine.analyze(text).findings for text in texts]
    before = vocabulary_size(engine)
    with pytest.raises(RuntimeError, match="recognizer failed"):
        engine.analyze(texts[0], language="en", recognizers=[Exploding()])
    with pytest.raises(RedactionInputError):
        engine.redact_batch([("1", texts[1], None), ("2", texts[2], "klingon")])
    with pytest.raises(KeyError), engine.memory_zone():
        engine.analyze(texts[3])
        raise KeyError("caller failed")
    assert not in_zone(engine)
    assert engine._zone_calls == 0 and engine._zone_open is None
    assert [engine.analyze(text).findings for text in texts] == expected
    assert vocabulary_size(engine) == before


def test_threads_take_turns_in_the_zone(engine):
    texts = our_texts(120, seed=7)
    expected = [engine.analyze(text).findings for text in texts]
    got: dict[int, list] = {}
    errors: list[BaseException] = []

    def work(part: int) -> None:
        try:
            for n in range(part, len(texts), 4):
                got[n] = engine.analyze(texts[n]).findings
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(part,)) for part in range(4)]
    before = vocabulary_size(engine)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert [got[n] for n in range(len(texts))] == expected
    assert vocabulary_size(engine) == before
    assert not in_zone(engine)


def test_a_call_in_another_thread_does_not_wait_for_an_open_zone(engine, monkeypatch):
    """Threads share an open zone; one that has let in its quota of calls closes first."""
    monkeypatch.setattr(engine_module, "MAX_CALLS_PER_ZONE", 3)
    texts = our_texts(4, seed=9)
    expected = [engine.analyze(text).findings for text in texts]
    before = vocabulary_size(engine)
    holding, release = threading.Event(), threading.Event()

    def hold_the_zone_open() -> None:
        with engine.memory_zone():
            engine.analyze(texts[0])
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold_the_zone_open)
    holder.start()
    try:
        assert holding.wait(30)
        # Let in while the holder's call is still running: the zone is shared.
        assert engine.analyze(texts[1]).findings == expected[1]
        assert engine.redact(texts[2]).findings == expected[2]
        assert in_zone(engine)
        # The zone has let in three calls: a fourth waits until it has closed.
        late: list = []
        waiting = threading.Thread(target=lambda: late.append(engine.analyze(texts[3]).findings))
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive() and not late
    finally:
        release.set()
        holder.join(30)
    waiting.join(30)
    assert late == [expected[3]]
    assert not in_zone(engine)
    assert vocabulary_size(engine) == before


def test_common_words_are_kept_for_good_when_the_engine_is_built(engine):
    """Zones keep no new word, so the words most texts are made of are known beforehand."""
    from service.redaction.recognizers.lexicon import common_words, dutch_common_words

    nlp = engine._nlp.pipelines()[0]
    words = sorted(common_words() | dutch_common_words())
    sample = " ".join(
        f"{word} {word.capitalize()}." for word in words[:: max(1, len(words) // 300)]
    )
    with engine.memory_zone():
        tokens = [token.text for token in nlp.make_doc(sample)]
    # Tokens the zone made for the sample are gone now; the warmed-up ones are all there.
    assert len(tokens) > 600 and all(token in nlp.vocab for token in tokens)
    before = vocabulary_size(engine)
    engine.analyze("Thanks, but we have not heard from you since last week.")
    assert vocabulary_size(engine) == before


def test_words_that_recur_are_kept_within_a_budget_and_fresh_ones_never(
    engine, learning, monkeypatch
):
    nlp = engine._nlp.pipelines()[0]
    rng = random.Random(13)
    recurring = [made_up_word(rng) for _ in range(5)]
    fresh = [made_up_word(rng) for _ in range(60)]
    kept_before = engine._recurring.kept
    for n, word in enumerate(fresh):
        engine.analyze(f"Is the {word} still on sale? Ask about {recurring[n % 5]} too.")
    assert all(word in nlp.vocab for word in recurring)
    assert not any(word in nlp.vocab for word in fresh)
    assert engine._recurring.kept > kept_before

    # Once the budget is spent, nothing more is kept however often it recurs.
    monkeypatch.setattr(engine._recurring, "budget", engine._recurring.kept + 2)
    later = [made_up_word(rng) for _ in range(6)]
    for _ in range(3):
        engine.redact_batch([(str(n), f"Did {word} arrive?", "en") for n, word in enumerate(later)])
    assert engine._recurring.kept == engine._recurring.budget
    assert sum(word in nlp.vocab for word in later) <= 2
    before = vocabulary_size(engine)
    engine.redact_batch([(str(n), f"Did {word} arrive?", "en") for n, word in enumerate(later)])
    assert vocabulary_size(engine) == before
