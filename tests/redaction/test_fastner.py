"""Tests of the fused NER layers: same vectors and entities as spaCy, or no change at all."""

from __future__ import annotations

import sys

import numpy
import pytest
import spacy
from thinc.api import Linear, NumpyOps

from service.redaction.fastner import FusedTok2Vec, single_threaded_numpy_ops, speed_up_ner
from service.redaction.nlp import SPACY_MODEL_PACKAGE

TEXTS = [
    "Hi, I'm Sarah Johnson from Manchester. Call me on +44 7700 900123 before Friday.",
    "RT @acme: Barack Obama met Angela Merkel in Berlin on 12 March 2019 #politics",
    "Hoi, mijn naam is Jan de Vries en ik woon in Utrecht.",
    "ok",
    "   ",
    "Name: Emidio P. Lombardo\nAddress: 781 Elm Street, Springfield, IL 62704",
]


@pytest.fixture(scope="module")
def stock_nlp() -> spacy.language.Language:
    """The model's NER pipeline as spaCy ships it."""
    return spacy.load(
        SPACY_MODEL_PACKAGE, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer"]
    )


@pytest.fixture(scope="module")
def fused_nlp() -> spacy.language.Language:
    """The same pipeline with the fused NER layers."""
    nlp = spacy.load(
        SPACY_MODEL_PACKAGE, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer"]
    )
    assert speed_up_ner(nlp)
    return nlp


def entities(doc) -> list[tuple[str, str]]:
    return [(entity.text, entity.label_) for entity in doc.ents]


def test_fused_pipeline_finds_the_same_entities_as_spacy(stock_nlp, fused_nlp):
    for text in TEXTS:
        assert entities(fused_nlp(text)) == entities(stock_nlp(text))
    batched = [entities(doc) for doc in fused_nlp.pipe(TEXTS, batch_size=4)]
    assert batched == [entities(stock_nlp(text)) for text in TEXTS]
    assert ("Sarah Johnson", "PERSON") in entities(fused_nlp(TEXTS[0]))


def test_fused_layers_give_thincs_vectors_for_one_doc_and_for_a_batch(stock_nlp):
    tok2vec = stock_nlp.get_pipe("ner").model.layers[0]
    fused = FusedTok2Vec(tok2vec, NumpyOps())
    docs = [stock_nlp.make_doc(text) for text in TEXTS]

    for doc in docs:
        assert numpy.array_equal(fused([doc]), tok2vec.predict([doc]))
    together = fused(docs)
    assert together.shape == (sum(len(doc) for doc in docs), fused.width)
    assert numpy.array_equal(together, tok2vec.predict(docs))


def test_fused_layers_refuse_another_architecture():
    with pytest.raises(ValueError, match="layers"):
        FusedTok2Vec(Linear(4, 4), NumpyOps())


def test_a_pipeline_with_another_architecture_is_left_unchanged():
    nlp = spacy.blank("en")
    nlp.add_pipe("tok2vec")
    listener_ner = {
        "model": {
            "@architectures": "spacy.TransitionBasedParser.v2",
            "state_type": "ner",
            "extra_state_tokens": False,
            "hidden_width": 64,
            "maxout_pieces": 2,
            "use_upper": True,
            "tok2vec": {"@architectures": "spacy.Tok2VecListener.v1", "width": 96},
        }
    }
    nlp.add_pipe("ner", config=listener_ner).add_label("PERSON")
    nlp.initialize()
    layers_before = list(nlp.get_pipe("ner").model.layers)

    assert speed_up_ner(nlp) is False
    assert list(nlp.get_pipe("ner").model.layers) == layers_before
    nlp("Sarah Johnson lives here.")  # still runs


def test_numpy_blas_is_used_only_on_one_thread():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    ops = single_threaded_numpy_ops()

    assert ops.use_blis is False
    assert {
        pool["num_threads"]
        for pool in threadpoolctl.threadpool_info()
        if pool["user_api"] == "blas"
    } == {1}


def test_without_threadpoolctl_the_model_keeps_thincs_blis(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)

    assert single_threaded_numpy_ops().use_blis is True


def test_our_person_model_runs_fused_before_the_english_ner():
    from service.redaction.nlp import (
        PERSON_COMPONENT,
        PERSON_MODEL_DIR,
        PLAIN_WORD_FILTER,
        WEAK_NAMES,
        load_ner_pipeline,
    )

    nlp = load_ner_pipeline(SPACY_MODEL_PACKAGE)
    plain = spacy.load(PERSON_MODEL_DIR)  # the shipped model as spaCy runs it

    assert nlp.pipe_names == [PERSON_COMPONENT, PLAIN_WORD_FILTER, "ner", WEAK_NAMES]
    for text in [*TEXTS, "lol me and jessica kowalski were at the game"]:
        # The names our model finds are kept as they are; the English NER adds around them.
        assert set(entities(plain(text))) <= set(entities(nlp(text)))
