"""Faster inference for the spaCy NER model: fused embedding layers and BLAS matrix products.

spaCy's small English NER model spends most of a short text's time in its token-to-vector
layers: about forty thinc layer calls, each a few microseconds of Python around tiny
matrix products, and thinc's bundled BLIS library runs those products with generic
kernels on many CPUs. :func:`speed_up_ner` swaps the model's embedding layers for one
function that performs the same arithmetic with the same weights (hash embeddings,
maxout, layer norm, window convolutions with residuals, the final linear layer) and
makes the matrix products thinc computes for the model go through numpy's BLAS. The
transition parser on top (spaCy's own Cython loop, whose per-step products stay on
BLIS) is left as it is here; :mod:`service.redaction.greedyner` replaces it.

The swap is checked before it is kept: the model must have exactly the expected
architecture, and the fused layers must give the same vectors as thinc on sample
texts; otherwise the model is left as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy
from spacy.language import Language
from spacy.tokens import Doc
from thinc.api import Model, NumpyOps

logger = logging.getLogger(__name__)

#: Texts on which the fused layers must reproduce thinc's vectors before they are used.
PARITY_TEXTS = (
    "Hi, I'm Sarah Johnson from Manchester; call me on +44 7700 900123.",
    "RT @acme: Jan de Vries (Utrecht) ordered #12345 on 12 March 2024!!",
    "x",
    "Groetjes,\n\nSanne   van der Laan",
)

#: Largest difference allowed between fused and thinc vectors (float32 rounding only).
PARITY_TOLERANCE = 1e-4

_EMBED_COLUMNS = ("NORM", "PREFIX", "SUFFIX", "SHAPE")


@dataclass(frozen=True)
class _Maxout:
    """A maxout layer followed by layer normalisation, as plain arrays."""

    weights: numpy.ndarray  # (nI, nO * nP): transposed once, see _transposed
    bias: numpy.ndarray  # (nO * nP,)
    pieces: int
    gain: numpy.ndarray  # layer-norm scale
    shift: numpy.ndarray  # layer-norm bias

    def __call__(self, inputs: numpy.ndarray, ops: NumpyOps) -> numpy.ndarray:
        """Return layer_norm(maxout(inputs)) exactly as thinc computes it."""
        outputs = ops.gemm(inputs, self.weights)
        outputs += self.bias
        # thinc's compiled maxout; numpy's max over a length-3 axis is ~15x slower.
        best, _ = ops.maxout(outputs.reshape(outputs.shape[0], -1, self.pieces))
        # Layer norm with the very ufunc calls numpy's mean() and var() make (same
        # results bit for bit), minus their Python overhead and a second subtraction.
        count = numpy.intp(best.shape[1])
        mean = numpy.add.reduce(best, axis=1, keepdims=True)
        numpy.true_divide(mean, count, out=mean, casting="unsafe")
        centred = best - mean
        variance = numpy.add.reduce(numpy.square(centred), axis=1, keepdims=True)
        numpy.true_divide(variance, count, out=variance, casting="unsafe")
        variance += 1e-08
        normalised = centred * variance ** (-1.0 / 2.0)
        normalised = normalised * self.gain
        normalised += self.shift
        return normalised


class FusedTok2Vec:
    """The NER model's token-to-vector layers as one function over docs.

    Built from a thinc model of spaCy's ``Tok2Vec.v2`` (``MultiHashEmbed.v2`` +
    ``MaxoutWindowEncoder.v2``) followed by ``list2array`` and ``Linear``, which is what
    ``TransitionBasedParser.v2`` feeds its state layer. Raises ValueError for any other
    architecture.
    """

    def __init__(self, model: Model, ops: NumpyOps):
        self._ops = ops
        tok2vec, to_array, linear = _sublayers(model, 3)
        _expect(to_array, "list2array")
        _expect(linear, "linear")
        embed, encode = _sublayers(tok2vec, 2)
        extract, to_ragged, tables, mix, to_list = _sublayers(embed, 5)
        _expect(extract, "extract_features")
        _expect(to_ragged, "list2ragged")
        _expect(to_list, "ragged2list")
        self._columns = list(extract.attrs["columns"])
        if tuple(self._columns) != _EMBED_COLUMNS:
            raise ValueError(f"unexpected embedding columns {self._columns}")
        self._tables = []
        for column, table in enumerate(_sublayers(_only(tables, "with_array"))):
            getter, hash_embed = _sublayers(table, 2)
            _expect(getter, "ints-getitem")
            _expect(hash_embed, "hashembed")
            if getter.attrs["index"] != (slice(0, None, None), column):
                raise ValueError("hash embeddings are not in column order")
            vectors = hash_embed.get_param("E")
            self._tables.append((hash_embed.attrs["seed"], vectors, vectors.shape[0]))
        self._embed_mix = _maxout_block(_only(mix, "with_array"))
        encoder = _only(encode, "with_array")
        self._padding = int(encode.attrs["pad"])
        self._blocks = []
        for block in _sublayers(encoder):
            window, maxout = _sublayers(_only(block, "residual"), 2)
            _expect(window, "expand_window")
            self._window = int(window.attrs["window_size"])
            self._blocks.append(_maxout_block(maxout))
        if self._padding != self._window * len(self._blocks):
            raise ValueError("encoder padding does not match its receptive field")
        self._output_weights = _transposed(linear.get_param("W"))
        self._output_bias = linear.get_param("b")
        self.width = int(self._output_weights.shape[1])

    def __call__(self, docs: Sequence[Doc]) -> numpy.ndarray:
        """Return the vectors of all tokens of the docs, one row per token, in order."""
        features = [doc.to_array(self._columns) for doc in docs if len(doc)]
        if not features:
            return numpy.zeros((0, self.width), dtype="float32")
        ids = numpy.ascontiguousarray(numpy.concatenate(features), dtype="uint64")
        ops = self._ops
        embedded = numpy.hstack(
            [
                ops.gather_add(
                    vectors, ops.hash(numpy.ascontiguousarray(ids[:, column]), seed) % rows
                )
                for column, (seed, vectors, rows) in enumerate(self._tables)
            ]
        )
        vectors = self._embed_mix(embedded, ops)
        # The window encoder sees each doc with zero rows around it, as thinc's
        # with_array(pad=...) gives it; those rows change through the blocks and feed
        # the edge tokens' windows, so they must be reproduced, not just dropped.
        lengths = [len(feature) for feature in features]
        padded = _pad_between(vectors, lengths, self._padding)
        for block in self._blocks:
            padded = padded + block(ops.seq2col(padded, self._window), ops)
        vectors = _unpad(padded, lengths, self._padding)
        outputs = ops.gemm(vectors, self._output_weights)
        outputs += self._output_bias
        return outputs


def single_threaded_numpy_ops() -> NumpyOps:
    """Return thinc ops for the NER model: numpy's BLAS on one thread, or else thinc's BLIS.

    numpy's OpenBLAS multiplies the model's small matrices several times faster than
    the BLIS that thinc bundles, which falls back to generic kernels on many CPUs. But
    OpenBLAS splits such products over all cores, and with other work on those cores
    (other requests, other worker processes) the threads wait on each other: measured
    ten times slower on a busy two-core machine. So numpy's BLAS is limited to one
    thread for the whole process (with threadpoolctl), the usual setting for a
    request-serving process; if that cannot be done, thinc's single-threaded BLIS is
    used instead.
    """
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        logger.info("threadpoolctl is not installed: NER matrix products use thinc's BLIS")
        return NumpyOps()
    threadpool_limits(limits=1, user_api="blas")
    if any(pool["user_api"] == "blas" and pool["num_threads"] != 1 for pool in threadpool_info()):
        logger.info("numpy's BLAS keeps several threads: NER matrix products use thinc's BLIS")
        return NumpyOps()
    return NumpyOps(use_blis=False)


def speed_up_ner(nlp: Language, pipe_name: str = "ner") -> bool:
    """Fuse the NER model's embedding layers and route its matrix products to numpy's BLAS.

    Matrix products stay on thinc's BLIS if numpy's BLAS cannot be held to one thread
    (see :func:`single_threaded_numpy_ops`). Returns True if the fused layers are in
    use, False if the model was left unchanged (unexpected architecture, or vectors
    that differ from thinc's).
    """
    parser_model = nlp.get_pipe(pipe_name).model
    tok2vec = parser_model.layers[0]
    try:
        FusedTok2Vec(tok2vec, NumpyOps())  # the architecture check, before any side effect
    except (ValueError, KeyError, AttributeError) as error:
        logger.warning("NER model kept as is: %s", error)
        return False
    blas_ops = single_threaded_numpy_ops()
    fused = FusedTok2Vec(tok2vec, blas_ops)
    docs = [nlp.make_doc(text) for text in PARITY_TEXTS]
    expected = tok2vec.predict(docs)
    actual = fused(docs)
    if actual.shape != expected.shape or not numpy.allclose(
        actual, expected, atol=PARITY_TOLERANCE, rtol=0.0
    ):
        logger.warning("NER model kept as is: fused vectors differ from thinc's")
        return False
    for node in parser_model.walk():
        node.ops = blas_ops
    parser_model.replace_node(tok2vec, _as_model(fused, tok2vec.name))
    return True


def _as_model(fused: FusedTok2Vec, name: str) -> Model:
    """Wrap the fused layers as an inference-only thinc model."""

    def forward(
        model: Model, docs: Sequence[Doc], is_train: bool
    ) -> tuple[numpy.ndarray, Callable]:
        if is_train:
            raise NotImplementedError("the fused NER layers are for inference only")
        return fused(docs), _no_backprop

    return Model(f"fused({name})", forward, dims={"nO": fused.width})


def _no_backprop(gradient: numpy.ndarray) -> None:
    """Refuse to train the fused layers."""
    raise NotImplementedError("the fused NER layers are for inference only")


def _pad_between(vectors: numpy.ndarray, lengths: list[int], padding: int) -> numpy.ndarray:
    """Return the docs' rows with ``padding`` zero rows before, between and after them."""
    pad = numpy.zeros((padding, vectors.shape[1]), dtype=vectors.dtype)
    pieces = [pad]
    start = 0
    for length in lengths:
        pieces += [vectors[start : start + length], pad]
        start += length
    return numpy.concatenate(pieces)


def _unpad(padded: numpy.ndarray, lengths: list[int], padding: int) -> numpy.ndarray:
    """Return the docs' rows of a padded array, without the padding rows."""
    if len(lengths) == 1:
        return padded[padding : padding + lengths[0]]
    rows = []
    start = padding
    for length in lengths:
        rows.append(padded[start : start + length])
        start += length + padding
    return numpy.concatenate(rows)


def _maxout_block(model: Model) -> _Maxout:
    """Read a ``maxout>>layernorm>>dropout`` chain (dropout 0) into a _Maxout."""
    maxout_norm, dropout = _sublayers(model, 2)
    _expect(dropout, "dropout")
    if dropout.attrs.get("dropout_rate"):
        raise ValueError("dropout inside the model at inference")
    maxout, norm = _sublayers(maxout_norm, 2)
    _expect(maxout, "maxout")
    _expect(norm, "layernorm")
    outputs, pieces, inputs = (maxout.get_dim(name) for name in ("nO", "nP", "nI"))
    return _Maxout(
        weights=_transposed(maxout.get_param("W").reshape(outputs * pieces, inputs)),
        bias=maxout.get_param("b").reshape(outputs * pieces),
        pieces=pieces,
        gain=norm.get_param("G"),
        shift=norm.get_param("b"),
    )


def _transposed(weights: numpy.ndarray) -> numpy.ndarray:
    """Return a layer's (outputs, inputs) weights as a contiguous (inputs, outputs) array.

    OpenBLAS multiplies a few token rows by weights laid out this way about twice as
    fast as by the transpose of thinc's layout (it repacks a transposed operand on
    every call), with the same results bit for bit.
    """
    return numpy.ascontiguousarray(weights.T)


def _sublayers(model: Model, count: int | None = None) -> list[Model]:
    """Return a model's child layers, checking how many there are."""
    layers = list(model.layers)
    if count is not None and len(layers) != count:
        raise ValueError(f"{model.name!r} has {len(layers)} layers, expected {count}")
    return layers


def _only(model: Model, name: str) -> Model:
    """Return the single child of a wrapper layer such as with_array or residual."""
    if not model.name.startswith(f"{name}("):
        raise ValueError(f"expected a {name} layer, found {model.name!r}")
    (child,) = _sublayers(model, 1)
    return child


def _expect(model: Model, name: str) -> None:
    """Raise ValueError unless the layer has the given name."""
    if model.name != name:
        raise ValueError(f"expected a {name} layer, found {model.name!r}")
