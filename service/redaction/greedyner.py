"""An inference-only greedy decoder for spaCy's NER component, in numpy.

spaCy's NER labels a text one token at a time with a transition system (BILUO moves:
begin, in, last, unit, out). At every step its Cython loop builds a state vector
from three precomputed token features (the next token, the first token of the open
entity, the token before the next one while an entity is open), turns it into
scores with a small matrix product, and takes the best valid move. On short texts
the loop costs more than the neural network: one small matrix product per token on
thinc's bundled BLIS, whose generic kernels are slow on many CPUs.

This module computes the same thing in a handful of array operations. While no
entity is open, the state depends only on the next token, so the scores of all such
steps are computed together for the whole text and the best valid move of each is
known up front; only the tokens inside an entity the model opens need their own
scores, a few at a time. The validity of each move follows spaCy's
``BiluoPushDown`` rules exactly, including entities already set by an earlier
component (which the moves must reproduce) and sentence starts.

:func:`speed_up_decoding` swaps a pipeline's NER components for this decoder only
after it gives spaCy's own entities on sample texts; anything it does not handle
(beam search, unseen classes, post-process hooks, blocked tokens, labels the model
does not know) is left to spaCy, per component or per document.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence

import numpy
from spacy.attrs import ENT_ID, ENT_IOB, ENT_KB_ID, ENT_TYPE, IS_SPACE, SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch

logger = logging.getLogger(__name__)

#: Texts on which the decoder must give spaCy's entities before it is used: names in
#: and out of sentence case, entities at the start and the end, a lone token.
PARITY_TEXTS = (
    "Hi, I'm Sarah Johnson from Manchester; call me on +44 7700 900123 on Friday.",
    "RT @acme: Jan de Vries (Utrecht) ordered #12345 on 12 March 2024!!",
    "lol me and jessica kowalski were at the game with Tom",
    "Barack Obama met Angela Merkel in Berlin",
    "x",
    "Groetjes,\n\nSanne   van der Laan",
    "thanks Verizon, my Ford Focus is at the Paris Hilton hotel. Dear Ryanair, where is Mark?",
)

# Token-level ent_iob values spaCy stores (0 missing, 1 inside, 2 outside, 3 begin).
_IOB_IN, _IOB_BEGIN = 1, 3
_MOVES = {"B": 1, "I": 2, "L": 3, "U": 4, "O": 5}
BEGIN, IN, LAST, UNIT, OUT = (_MOVES[name] for name in "BILUO")
_ENTITY_ROWS = 4  # scores computed per round inside an open entity
#: ``doc.spans`` key of the entities a decoder opened only thanks to its margin.
WEAK_SPANS_KEY = "weak_ents"


class UnsupportedDoc(Exception):
    """A document this decoder does not handle; spaCy decodes it instead."""


class GreedyNerDecoder:
    """spaCy NER inference (greedy, BILUO moves) from the component's weights.

    Raises ValueError for a component it cannot reproduce (beam search, another
    state layout, unseen classes, post-process hooks).

    ``margin`` (default 0: spaCy's entities exactly) is a recall bias: at a step with no
    entity open, the moves that open an entity of the favoured label score ``margin``
    higher. An entity opened only thanks to the margin (OUT was the best move without
    it) is a *weak* entity: it is not set in ``doc.ents`` but kept in
    ``doc.spans[WEAK_SPANS_KEY]``, so later components (the English NER) decide on its
    tokens first and the pipeline adds it where they found nothing (see
    ``service/redaction/nlp.py``). Documents left to spaCy's loop get no weak entities.
    """

    def __init__(self, pipe, margin: float = 0.0, label: str = "PERSON") -> None:
        if pipe.cfg.get("beam_width", 1) != 1:
            raise ValueError("beam search is not supported")
        if pipe.postprocesses:
            raise ValueError("post-process hooks are not supported")
        model = pipe.model
        if not (model.has_ref("lower") and model.has_ref("upper")):
            raise ValueError("the model has no upper layer")
        if model.attrs.get("unseen_classes"):
            raise ValueError("the model has unseen classes")
        lower, upper = model.get_ref("lower"), model.get_ref("upper")
        features, hidden, pieces, inputs = lower.get_param("W").shape
        if features != 3:
            raise ValueError(f"expected the NER state's 3 features, found {features}")
        self._pipe = pipe
        self._tok2vec = model.layers[0]
        self._lower = lower
        # (inputs, features * hidden * pieces), contiguous: see fastner._transposed.
        self._lower_weights = numpy.ascontiguousarray(
            lower.get_param("W").reshape(features * hidden * pieces, inputs).T
        )
        self._pad = lower.get_param("pad").reshape(features, hidden * pieces)
        self._bias = lower.get_param("b").reshape(hidden * pieces)
        self._hidden, self._pieces = hidden, pieces
        self._upper_weights = numpy.ascontiguousarray(upper.get_param("W").T)
        self._upper_bias = upper.get_param("b")
        strings = pipe.vocab.strings
        moves, labels = [], []
        for index in range(pipe.moves.n_moves):
            name = pipe.moves.get_class_name(index)
            move, _, move_label = name.partition("-")
            moves.append(_MOVES[move])
            labels.append(strings[move_label] if move_label else 0)
        if len(moves) != self._upper_bias.shape[0]:
            raise ValueError("the model's outputs do not match its moves")
        self._moves = numpy.array(moves)
        self._labels = numpy.array(labels, dtype="uint64")
        self._known_labels = {int(label) for label in labels if label}
        self._none = numpy.zeros(len(moves), dtype=bool)
        labelled = self._labels != 0
        self._begin_classes = (self._moves == BEGIN) & labelled
        self._unit_classes = (self._moves == UNIT) & labelled
        self._out_classes = self._moves == OUT
        if margin < 0:
            raise ValueError("the margin must not be negative")
        favoured = self._labels == strings[label] if label in strings else self._none
        self._favoured = (self._begin_classes | self._unit_classes) & favoured
        self.margin = float(margin)

    def __call__(self, docs: Sequence[Doc]) -> None:
        """Set the entities of the docs as spaCy's NER component would."""
        docs = [doc for doc in docs if len(doc)]
        if not docs:
            return
        tokvecs = self._tok2vec.predict(docs)
        cached = self._lower.ops.gemm(tokvecs, self._lower_weights)
        cached = cached.reshape(cached.shape[0], 3, -1)
        start = 0
        for doc in docs:
            features = cached[start : start + len(doc)]
            start += len(doc)
            try:
                spans, weak = self._decode(doc, features)
            except UnsupportedDoc:
                states = self._pipe.predict([doc])
                self._pipe.set_annotations([doc], states)
                continue
            doc.set_ents(spans, default="outside")
            if weak:
                doc.spans[WEAK_SPANS_KEY] = weak

    def _decode(self, doc: Doc, features: numpy.ndarray) -> tuple[list[Span], list[Span]]:
        """Return the entity spans spaCy's greedy NER loop gives this doc, and weak ones.

        With margin 0 there are no weak spans and the others are spaCy's.
        """
        length = len(doc)
        columns = doc.to_array([ENT_IOB, ENT_TYPE, SENT_START, IS_SPACE, ENT_KB_ID])
        iob, preset_label, sent_start, space = (columns[:, k] for k in range(4))
        preset_begin = iob == _IOB_BEGIN
        if preset_begin.any():
            if not preset_label[preset_begin].all():
                raise UnsupportedDoc("blocked tokens")
            if not set(preset_label[preset_begin].tolist()) <= self._known_labels:
                raise UnsupportedDoc("a preset label the model does not know")
        # The next token's attributes (spaCy's empty token after the end: all zero).
        next_iob = numpy.zeros_like(iob)
        next_iob[:-1] = iob[1:]
        next_starts = numpy.zeros(length, dtype=bool)
        next_starts[:-1] = sent_start[1:] == 1
        in_preset = iob == _IOB_IN

        # Steps with no entity open: features (token, padding, padding).
        closed = features[:, 0] + self._pad[1]
        closed += self._pad[2]
        closed += self._bias
        scores = self._scores(closed)
        # Which moves spaCy allows at each token (labelled moves only: an unlabelled
        # unit is for blocked tokens, which this decoder leaves to spaCy).
        free = (next_iob != _IOB_BEGIN) & ~next_starts & (space == 0)
        begin = ~in_preset & numpy.where(preset_begin, next_iob == _IOB_IN, free)
        begin[-1] = False  # the last token cannot begin an entity
        unit = (next_iob != _IOB_IN) & (preset_begin | (space == 0))
        out = ~preset_begin & ~in_preset
        valid = (
            (self._begin_classes & begin[:, None])
            | (self._unit_classes & unit[:, None])
            | (self._out_classes & out[:, None])
        )
        if preset_begin.any():
            # A preset entity's first token takes the preset label.
            valid &= ~preset_begin[:, None] | (self._labels == preset_label[:, None])
        masked = numpy.where(valid, scores, -numpy.inf)
        best = masked.argmax(axis=1)
        weak_start = numpy.zeros(length, dtype=bool)
        if self.margin and self._favoured.any():
            plain = self._moves[best] == OUT
            best = (masked + self.margin * self._favoured).argmax(axis=1)
            weak_start = plain & (self._moves[best] != OUT)
        best_moves = self._moves[best]
        # Tokens inside preset entities have no valid move without an open entity, but
        # the walk below never reaches them so: only a reached one is an error.
        stuck = numpy.flatnonzero(~valid.any(axis=1))

        spans: list[Span] = []
        weak: list[Span] = []
        kb_ids = columns[:, 4]
        position = 0
        opening = numpy.flatnonzero(best_moves == BEGIN)
        units = numpy.flatnonzero(best_moves == UNIT)
        while position < length:
            later = opening[opening >= position]
            stop = int(later[0]) if len(later) else length
            if numpy.any((stuck >= position) & (stuck <= stop)):
                raise UnsupportedDoc("a step without a valid move")
            for token in units[(units >= position) & (units < stop)].tolist():
                label = int(self._labels[best[token]])
                span = Span(doc, token, token + 1, label=label, kb_id=int(kb_ids[token]))
                (weak if weak_start[token] else spans).append(span)
            if stop == length:
                break
            label = int(self._labels[best[stop]])
            end = self._close(features, stop, label, iob, preset_label, next_iob, next_starts)
            span = Span(doc, stop, end, label=label, kb_id=int(kb_ids[stop]))
            (weak if weak_start[stop] else spans).append(span)
            position = end
        return spans, weak

    def _close(
        self,
        features: numpy.ndarray,
        first: int,
        label: int,
        iob: numpy.ndarray,
        preset_label: numpy.ndarray,
        next_iob: numpy.ndarray,
        next_starts: numpy.ndarray,
    ) -> int:
        """Follow an entity opened at ``first`` to its last move; return its end token."""
        length = len(features)
        token = first + 1
        same_label = self._labels == label
        in_moves = (self._moves == IN) & same_label
        last_moves = (self._moves == LAST) & same_label
        while True:
            rows = min(_ENTITY_ROWS, length - token)
            # Features (token, entity start, token before), summed in spaCy's order.
            opened = features[token : token + rows, 0] + features[first, 1]
            opened += features[token - 1 : token - 1 + rows, 2]
            opened += self._bias
            scores = self._scores(opened)
            for row in range(rows):
                here, ahead = iob[token], next_iob[token]
                if here == _IOB_IN:
                    in_valid = ahead == _IOB_IN and label == preset_label[token]
                else:
                    in_valid = here != _IOB_BEGIN and ahead != _IOB_BEGIN and not next_starts[token]
                in_valid = in_valid and length - token >= 2
                if here == _IOB_IN and ahead != _IOB_IN:
                    last = (self._moves == LAST) & (self._labels == preset_label[token])
                else:
                    last = last_moves if ahead != _IOB_IN else self._none
                valid = (in_moves & in_valid) | last
                if not valid.any():
                    raise UnsupportedDoc("an open entity without a valid move")
                move = self._moves[numpy.where(valid, scores[row], -numpy.inf).argmax()]
                token += 1
                if move == LAST:
                    return token

    def _scores(self, unmaxed: numpy.ndarray) -> numpy.ndarray:
        """Return the move scores of state vectors before their maxout."""
        pieces = unmaxed.reshape(unmaxed.shape[0], self._hidden, self._pieces)
        hidden = pieces[:, :, 0]
        for piece in range(1, self._pieces):
            hidden = numpy.maximum(hidden, pieces[:, :, piece])
        scores = hidden @ self._upper_weights
        scores += self._upper_bias
        return scores


class GreedyNerComponent:
    """A pipeline component running a :class:`GreedyNerDecoder` in place of spaCy's NER.

    Everything else (labels, the model, serialisation) is the original component's.
    """

    def __init__(self, pipe, decoder: GreedyNerDecoder) -> None:
        self.original = pipe
        self.decoder = decoder

    def __call__(self, doc: Doc) -> Doc:
        """Set the doc's entities."""
        self.decoder([doc])
        return doc

    def pipe(self, docs: Iterable[Doc], *, batch_size: int = 256) -> Iterator[Doc]:
        """Set the entities of a stream of docs, a batch at a time."""
        for batch in minibatch(docs, size=batch_size):
            self.decoder(batch)
            yield from batch

    def __getattr__(self, name: str):
        return getattr(self.original, name)


def speed_up_decoding(nlp: Language, pipe_names: Sequence[str]) -> list[str]:
    """Run the named NER components with the numpy decoder, where it matches spaCy.

    The decoder is kept only if the whole pipeline then gives the same entities (and
    the same token annotations) as with spaCy's own loop on :data:`PARITY_TEXTS`.
    Returns the names of the components that use it.
    """
    expected = [_annotations(nlp(text)) for text in PARITY_TEXTS]
    replaced = {}
    for name in pipe_names:
        pipe = nlp.get_pipe(name)
        try:
            replaced[name] = GreedyNerComponent(pipe, GreedyNerDecoder(pipe))
        except (ValueError, KeyError, AttributeError) as error:
            logger.warning("NER component %r keeps spaCy's decoder: %s", name, error)
    _install(nlp, replaced)
    actual = [_annotations(nlp(text)) for text in PARITY_TEXTS]
    if not all(numpy.array_equal(a, b) for a, b in zip(actual, expected, strict=True)):
        logger.warning("NER components keep spaCy's decoder: entities differ from spaCy's")
        _install(nlp, {name: component.original for name, component in replaced.items()})
        return []
    return list(replaced)


def _install(nlp: Language, components: dict) -> None:
    """Put components in the pipeline in place of those of the same name."""
    nlp._components = [
        (name, components.get(name, component)) for name, component in nlp._components
    ]


def _annotations(doc: Doc) -> numpy.ndarray:
    """Return the entity annotations of every token."""
    return doc.to_array([ENT_IOB, ENT_TYPE, ENT_KB_ID, ENT_ID])
