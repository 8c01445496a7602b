"""Tests of the numpy NER decoder: spaCy's entities exactly, or spaCy's own loop."""

from __future__ import annotations

import numpy
import pytest
import spacy

from service.redaction import greedyner
from service.redaction.fastner import speed_up_ner
from service.redaction.greedyner import (
    GreedyNerComponent,
    GreedyNerDecoder,
    speed_up_decoding,
)
from service.redaction.nlp import (
    PERSON_COMPONENT,
    SPACY_MODEL_PACKAGE,
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


@pytest.fixture(scope="module")
def spacy_nlp() -> spacy.language.Language:
    """Our NER pipeline (person model, then English NER) decoded by spaCy's own loop."""
    nlp = spacy.load(
        SPACY_MODEL_PACKAGE, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer"]
    )
    nlp.remove_pipe("tok2vec")
    speed_up_ner(nlp)
    assert add_person_model(nlp)
    return nlp


@pytest.fixture(scope="module")
def greedy_nlp() -> spacy.language.Language:
    """The same pipeline as the engine loads it, with the numpy decoder."""
    nlp = load_ner_pipeline(SPACY_MODEL_PACKAGE)
    assert all(isinstance(nlp.get_pipe(name), GreedyNerComponent) for name in nlp.pipe_names)
    return nlp


def annotations(doc) -> numpy.ndarray:
    return greedyner._annotations(doc)


def test_the_decoder_gives_spacys_entities_one_by_one_and_in_batches(spacy_nlp, greedy_nlp):
    assert greedy_nlp.pipe_names == spacy_nlp.pipe_names == [PERSON_COMPONENT, "ner"]
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
    monkeypatch.setattr(GreedyNerDecoder, "_decode", lambda self, doc, features: [])

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
