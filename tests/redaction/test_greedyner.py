"""Tests of the numpy NER decoder: spaCy's entities exactly, or spaCy's own loop."""

from __future__ import annotations

import numpy
import pytest
import spacy
from spacy.tokens import Span

from service.redaction import greedyner
from service.redaction import nlp as nlp_module
from service.redaction.fastner import speed_up_ner
from service.redaction.greedyner import (
    WEAK_SPANS_KEY,
    GreedyNerComponent,
    GreedyNerDecoder,
    speed_up_decoding,
)
from service.redaction.nlp import (
    PERSON_COMPONENT,
    PERSON_RECALL_MARGIN,
    PLAIN_WORD_FILTER,
    SPACY_MODEL_PACKAGE,
    WEAK_NAMES,
    add_person_model,
    load_ner_pipeline,
)

TEXTS = [
    "Hi, I'm Sarah Johnson from Manchester. Call me on +44 7700 900123 before Friday.",
    "RT @acme: Barack Obama met Angela Merkel in Berlin on 12 March 2019 #politics",
    "Hoi, mijn naam is Jan de Vries en ik woon in Utrecht, bel 06 12345678.",
    "ok",
    "   ",
    "",
    "Name: Emidio P. Lombardo\nAddress: 781 Elm Street, Springfield, IL 62704",
    "omg @dave and maria gonzalez from the london office still havent called back",
    "New York City's mayor Eric Adams spoke at Google's office in Mountain View. "
    "The United Nations General Assembly meets on Tuesday, 14 November 2023.",
    "Sarah.  Johnson\n\n\nTom",
]


def spacy_pipeline() -> spacy.language.Language:
    """Our NER pipeline (person model, then English NER) decoded by spaCy's own loop."""
    nlp = spacy.load(
        SPACY_MODEL_PACKAGE, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer"]
    )
    nlp.remove_pipe("tok2vec")
    speed_up_ner(nlp)
    assert add_person_model(nlp)
    return nlp


@pytest.fixture(scope="module")
def spacy_nlp() -> spacy.language.Language:
    """The engine's pipeline with spaCy's own loop (so no recall margin)."""
    return spacy_pipeline()


def greedy_pipeline(margin: float) -> spacy.language.Language:
    """The engine's pipeline with the numpy decoder and the given recall margin."""
    nlp = load_ner_pipeline(SPACY_MODEL_PACKAGE)
    nlp.get_pipe(PERSON_COMPONENT).decoder.margin = margin
    return nlp


@pytest.fixture(scope="module")
def greedy_nlp() -> spacy.language.Language:
    """The same pipeline as the engine loads it, with the numpy decoder, at margin 0."""
    nlp = greedy_pipeline(0.0)
    assert all(
        isinstance(nlp.get_pipe(name), GreedyNerComponent) for name in (PERSON_COMPONENT, "ner")
    )
    return nlp


def annotations(doc) -> numpy.ndarray:
    return greedyner._annotations(doc)


def test_the_decoder_gives_spacys_entities_one_by_one_and_in_batches(spacy_nlp, greedy_nlp):
    expected = [PERSON_COMPONENT, PLAIN_WORD_FILTER, "ner", WEAK_NAMES]
    assert greedy_nlp.pipe_names == spacy_nlp.pipe_names == expected
    for text in TEXTS:
        assert numpy.array_equal(annotations(greedy_nlp(text)), annotations(spacy_nlp(text)))
    batched = list(greedy_nlp.pipe(TEXTS, batch_size=3))
    for doc, text in zip(batched, TEXTS, strict=True):
        assert numpy.array_equal(annotations(doc), annotations(spacy_nlp(text)))
    doc = greedy_nlp(TEXTS[0])
    assert ("Sarah Johnson", "PERSON") in {(ent.text, ent.label_) for ent in doc.ents}


def test_entities_set_before_the_ner_are_kept_as_spacy_keeps_them(spacy_nlp, greedy_nlp):
    text = "we met Acme Industries and sarah at the Berlin office last week"
    results = []
    for nlp in (spacy_nlp, greedy_nlp):
        doc = nlp.make_doc(text)
        doc.set_ents([doc.char_span(7, 22, label="ORG"), doc.char_span(27, 32, label="PERSON")])
        doc = nlp.get_pipe("ner")(doc)
        results.append(annotations(doc))
        assert ("Acme Industries", "ORG") in {(ent.text, ent.label_) for ent in doc.ents}
    assert numpy.array_equal(*results)


def test_documents_the_decoder_does_not_handle_go_to_spacys_loop(spacy_nlp, greedy_nlp):
    text = "Sarah Johnson visited Paris with Tom"
    results = []
    for nlp in (spacy_nlp, greedy_nlp):
        doc = nlp.make_doc(text)
        doc.set_ents([], blocked=[doc[0:2]])  # tokens no entity may cover
        results.append(annotations(nlp.get_pipe("ner")(doc)))
    assert numpy.array_equal(*results)
    assert results[0][0][0] == 3  # the blocked span is kept as spaCy keeps it


def test_a_decoder_that_disagrees_with_spacy_is_not_used(monkeypatch):
    nlp = spacy.load(
        SPACY_MODEL_PACKAGE, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer"]
    )
    original = nlp.get_pipe("ner")
    monkeypatch.setattr(GreedyNerDecoder, "_decode", lambda self, doc, features: ([], []))

    assert speed_up_decoding(nlp, ["ner"]) == []
    assert nlp.get_pipe("ner") is original
    assert "Sarah Johnson" in {ent.text for ent in nlp("I'm Sarah Johnson.").ents}


def test_beam_search_components_keep_spacys_decoder():
    nlp = spacy.load(
        SPACY_MODEL_PACKAGE, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer"]
    )
    nlp.get_pipe("ner").cfg["beam_width"] = 4
    with pytest.raises(ValueError, match="beam"):
        GreedyNerDecoder(nlp.get_pipe("ner"))
    assert speed_up_decoding(nlp, ["ner"]) == []


def test_the_engine_runs_the_person_model_with_its_recall_margin():
    assert PERSON_RECALL_MARGIN > 0
    nlp = load_ner_pipeline(SPACY_MODEL_PACKAGE)
    assert nlp.get_pipe(PERSON_COMPONENT).decoder.margin == PERSON_RECALL_MARGIN
    with pytest.raises(ValueError, match="negative"):
        GreedyNerDecoder(nlp.get_pipe(PERSON_COMPONENT).original, margin=-1.0)


def test_the_margin_opens_names_the_model_alone_misses(greedy_nlp):
    # A listed given name: lower-case weak names need one (see the next tests).
    text = "cant wait to see ginny and the others at the show"
    shipped = greedy_pipeline(PERSON_RECALL_MARGIN)
    people = [
        {ent.text for ent in nlp(text).ents if ent.label_ == "PERSON"}
        for nlp in (greedy_nlp, shipped)
    ]
    assert "ginny" not in people[0]
    assert "ginny" in people[1]
    assert WEAK_SPANS_KEY not in shipped(text).spans  # handed over, not left behind


def test_a_larger_margin_never_finds_fewer_names(greedy_nlp):
    texts = [*TEXTS, "went to the match w jamie and priya yesterday lol"]
    shipped = greedy_pipeline(PERSON_RECALL_MARGIN)
    found = [
        {
            (text, token.i)
            for text in texts
            for ent in nlp(text).ents
            if ent.label_ == "PERSON"
            for token in ent
        }
        for nlp in (greedy_nlp, shipped)
    ]
    assert found[0] < found[1]


def test_one_word_names_that_are_plain_words_are_dropped(greedy_nlp):
    doc = greedy_nlp.make_doc("that goal was legend , Legend and Sarah and rose said")
    doc.set_ents(
        [Span(doc, i, i + 1, label="PERSON") for i in (3, 5, 7, 9)] + [Span(doc, 0, 1, label="ORG")]
    )
    kept = {(ent.text, ent.label_) for ent in nlp_module.drop_plain_word_names(doc).ents}
    # A lower-case dictionary word goes; a capitalised one, listed names and other
    # labels stay.
    assert kept == {("Legend", "PERSON"), ("Sarah", "PERSON"), ("rose", "PERSON"), ("that", "ORG")}


def test_weak_names_give_way_to_names_places_and_brands_not_to_numbers(greedy_nlp):
    text = "flew to Berlin w kofi and Tom Asante on 3 Oyelaran with Lufthansa , Capital"
    doc = greedy_nlp.make_doc(text)
    words = [token.text for token in doc]
    at = {word: words.index(word) for word in words}
    doc.set_ents(
        [
            Span(doc, at["Berlin"], at["Berlin"] + 1, label="GPE"),
            Span(doc, at["Tom"], at["Tom"] + 1, label="PERSON"),
            Span(doc, at["3"], at["3"] + 1, label="CARDINAL"),
            Span(doc, at["Lufthansa"], at["Lufthansa"] + 1, label="ORG"),
        ]
    )
    doc.spans[WEAK_SPANS_KEY] = [
        Span(doc, at[word], at[word] + length, label="PERSON")
        for word, length in (
            ("Berlin", 1),
            ("kofi", 1),
            ("Tom", 2),
            ("3", 2),
            ("Lufthansa", 1),
            ("Capital", 1),  # a dictionary word
            ("on", 6),  # longer than a name
        )
    ]
    ents = {(ent.text, ent.label_) for ent in nlp_module.add_weak_names(doc).ents}
    assert ents == {
        ("Berlin", "GPE"),
        ("kofi", "PERSON"),
        ("Tom", "PERSON"),
        ("3 Oyelaran", "PERSON"),
        ("Lufthansa", "ORG"),
    }
    assert WEAK_SPANS_KEY not in doc.spans


def weak_names_kept(nlp, text: str, *weak: tuple[str, int]) -> set[str]:
    """Add the given weak names (first word, length in tokens) to the text; return the names."""
    doc = nlp.make_doc(text)
    words = [token.text for token in doc]
    doc.spans[WEAK_SPANS_KEY] = [
        Span(doc, words.index(word), words.index(word) + length, label="PERSON")
        for word, length in weak
    ]
    return {ent.text for ent in nlp_module.add_weak_names(doc).ents if ent.label_ == "PERSON"}


def test_weak_names_lose_the_punctuation_at_their_edges(greedy_nlp):
    text = "lunch w/ ' Okonkwo Adeyemi . today"
    assert weak_names_kept(greedy_nlp, text, ("'", 4)) == {"Okonkwo Adeyemi"}


def test_weak_names_in_hashtags_are_not_taken(greedy_nlp):
    text = "loving the #Brexitcast show and # Gamescom tonight with Okonkwo"
    kept = weak_names_kept(greedy_nlp, text, ("Brexitcast", 1), ("Gamescom", 1), ("Okonkwo", 1))
    assert kept == {"Okonkwo"}


def test_weak_names_lose_a_leading_article_possessive_or_preposition(greedy_nlp):
    text = "The Finale was great , my brother and I waited at Okonkwo Stores"
    kept = weak_names_kept(greedy_nlp, text, ("The", 2), ("my", 2), ("at", 3))
    # What is left of "The Finale" and "my brother" is plain words.
    assert kept == {"Okonkwo Stores"}


def test_drawn_out_words_laughter_and_interjections_are_not_weak_names(greedy_nlp):
    text = "Wheeeee we won , Bwahahaha , Yikes , ask Okonkwo"
    weak = [("Wheeeee", 1), ("Bwahahaha", 1), ("Yikes", 1), ("Okonkwo", 1)]
    assert weak_names_kept(greedy_nlp, text, *weak) == {"Okonkwo"}


def test_a_single_all_caps_weak_name_must_be_a_listed_name(greedy_nlp):
    text = "the QXRT update broke it , ask PRIYA"
    assert weak_names_kept(greedy_nlp, text, ("QXRT", 1), ("PRIYA", 1)) == {"PRIYA"}


def test_lower_case_weak_names_need_a_listed_name_or_a_user_name_shape(greedy_nlp):
    text = "gonna grab smth then ginny , priyasharma , zork_77 then blorptastic"
    weak = [("smth", 1), ("ginny", 1), ("priyasharma", 1), ("zork_77", 1), ("blorptastic", 1)]
    # A listed given name, a given name run into a surname and a user name with digits
    # are kept; lower-case words that are no name are not.
    assert weak_names_kept(greedy_nlp, text, *weak) == {"ginny", "priyasharma", "zork_77"}


def test_an_unlisted_lower_case_weak_name_needs_a_person_cue(greedy_nlp):
    text = "off to blorpville later , went with oluwadamilare today"
    weak = [("blorpville", 1), ("oluwadamilare", 1)]
    assert weak_names_kept(greedy_nlp, text, *weak) == {"oluwadamilare"}
