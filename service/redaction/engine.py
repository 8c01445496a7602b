"""The redaction engine: find personal data in comments and redact it with chosen operators."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import threading
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from presidio_analyzer import (
    EntityRecognizer,
    PatternRecognizer,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngineProvider
from presidio_analyzer.predefined_recognizers import IbanRecognizer, SpacyRecognizer
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import RecognizerResult as AnonymizerResult

from service.redaction.dutch import DutchLexicon, DutchSpacyRecognizer, build_dutch_recognizers
from service.redaction.errors import RedactionInputError
from service.redaction.language import SUPPORTED_LANGUAGES, LanguageDetector
from service.redaction.nlp import (
    SPACY_MODEL_PACKAGE,
    InPlaceContextEnhancer,
    LeanSpacyNlpEngine,
    RecurringWords,
    ner_model_configuration,
)
from service.redaction.offline import install_offline_tldextract
from service.redaction.operators import (
    CUSTOM_PRESIDIO_OPERATORS,
    DEFAULT_OPERATOR_KEY,
    MIN_SECRET_KEY_BYTES,
    KeyedHasher,
    OperatorPlan,
    PseudonymTable,
    TokenCipher,
    normalize_value,
    validate_operator_config,
)
from service.redaction.recognizers import build_recognizers
from service.redaction.recognizers.brands import BrandTerms, drop_brand_findings
from service.redaction.recognizers.lexicon import common_words, dutch_common_words
from service.redaction.refine import refine_findings
from service.workload import count_texts

#: Default minimum score of a reported finding.
#:
#: 0.4 keeps every spaCy entity (0.85), every validated or well-shaped pattern match
#: (e-mail 0.5+, URL 0.5+, Dutch phones 0.5+, postcodes 0.45+), and pattern matches
#: that are weak on their own (bare BSN-shaped numbers 0.35, generic phone shapes 0.4)
#: only once a context word ("bsn", "bel", "phone", ...) lifts them to >= 0.4. Below
#: 0.4 the weak shapes flood comments with order and tracking numbers; above 0.5 bare
#: e-mail and URL matches start to drop out.
DEFAULT_SCORE_THRESHOLD = 0.4

#: Entity type of values matched by a request's ``deny_list`` (Presidio's ad-hoc
#: deny-list recognizer, case-insensitive whole-word matching, score 1.0).
DENY_LIST_ENTITY = "DENY_LIST"

#: Entity types only detected when asked for by name: spaCy's small model tags many
#: capitalised words and brand names as organisations, and brands are not personal data.
ON_REQUEST_ONLY_ENTITIES = frozenset({"ORGANIZATION"})

#: Entity types spaCy's named-entity recognizer provides for English text.
ENGLISH_NER_ENTITIES = ("PERSON", "LOCATION", "NRP", "DATE_TIME", "ORGANIZATION")

#: Distinct (language, entity types) selections of recognizers kept; requests from one
#: client repeat a handful, so this only bounds memory against odd callers.
MAX_CACHED_SELECTIONS = 1024

#: Calls let into one open spaCy memory zone before new calls wait for it to close: what the
#: zone holds (the new words of the calls in it) is bounded even when calls overlap without end.
MAX_CALLS_PER_ZONE = 32

MAX_LIST_ITEMS = 1000
MAX_LIST_ITEM_LENGTH = 200


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: its type, where it is in the original text, and why."""

    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str
    explanation: dict | None = None


@dataclass
class AnalysisResult:
    """What ``analyze`` found in one text."""

    language: str
    findings: list[Finding]


@dataclass
class RedactionResult:
    """A redacted text with the findings (offsets into the original text) it redacted."""

    language: str
    text: str
    findings: list[Finding]


@dataclass(frozen=True)
class _Request:
    """The validated, resolved options of one analysis."""

    language: str
    entities: tuple[str, ...]
    needs_ner: bool
    score_threshold: float
    allow_values: frozenset[str]
    extra_recognizers: tuple[EntityRecognizer, ...]
    explain: bool
    brand_terms: BrandTerms


# Presidio's debug messages quote the analysed text ("Context list is: ..."). Personal data must
# never reach a log, however the service is run, so these loggers never go below WARNING.
for _name in ("presidio-analyzer", "presidio-anonymizer"):
    logging.getLogger(_name).setLevel(logging.WARNING)


class RedactionEngine:
    """Detect and redact personal data in English and Dutch social-media text.

    Everything heavy (spaCy pipeline, recognizers, Presidio's anonymizer,
    name lists, language model, keys) is built once here; calls only run it.
    """

    languages: tuple[str, ...] = SUPPORTED_LANGUAGES

    def __init__(self, secret_key: bytes, brand_terms: Sequence[str] = ()):
        if not isinstance(secret_key, bytes) or len(secret_key) < MIN_SECRET_KEY_BYTES:
            raise ValueError(f"secret_key must be at least {MIN_SECRET_KEY_BYTES} bytes")
        install_offline_tldextract()
        self._brand_terms = BrandTerms(_checked_list(brand_terms, "brand_terms"))
        self._hasher = KeyedHasher(secret_key)
        self._cipher = TokenCipher(secret_key)
        self._detector = LanguageDetector()
        self._nlp = self._build_nlp_engine()
        # spaCy does not promise that one pipeline may run in several threads at once; under a
        # threaded server only the pipeline call is serialised, everything around it overlaps.
        self._nlp_lock = threading.Lock()
        # Every call runs inside spaCy's memory zone (see memory_zone): the words a text adds to
        # the vocabulary are freed when the zone closes. Concurrent calls share one open zone,
        # which closes when the last of them ends; once it has let in MAX_CALLS_PER_ZONE calls,
        # new ones wait for it to close, so it cannot stay open (and grow) under steady load.
        self.memory_zones = True
        self._zone = threading.Condition(threading.Lock())
        self._zone_open: contextlib.ExitStack | None = None
        self._zone_calls = 0  # calls inside the open zone now
        self._zone_admitted = 0  # calls let into the open zone since it opened
        self._zone_depth = threading.local()
        # Words that recur across calls are kept for good between zones, within a budget.
        self._recurring = RecurringWords()
        lexicon = DutchLexicon.from_faker()
        # Calls run in memory zones, in which spaCy keeps no new word: the common ones are
        # kept for good now, so calls do not tokenize them the slow way every time.
        self._nlp.warm_up(common_words() | dutch_common_words())

        recognizers: list[EntityRecognizer] = []
        self._ner_entities: dict[str, frozenset[str]] = {}
        for language in self.languages:
            language_recognizers = self._recognizers_for(language, lexicon)
            recognizers += language_recognizers
            self._ner_entities[language] = frozenset(
                entity
                for recognizer in language_recognizers
                if isinstance(recognizer, SpacyRecognizer)
                for entity in recognizer.supported_entities
            )
        self._recognizers = recognizers
        # Recognizers per (language, requested types), resolved once: requests repeat
        # the same few combinations, and Presidio's analyzer would filter the whole
        # recognizer list again on every call.
        self._selected: dict[tuple[str, tuple[str, ...]], tuple[EntityRecognizer, ...]] = {}
        self._context_enhancer = InPlaceContextEnhancer()
        self._anonymizer = AnonymizerEngine()
        for operator_class in CUSTOM_PRESIDIO_OPERATORS:
            self._anonymizer.add_anonymizer(operator_class)

        self._supported: dict[str, list[str]] = {}
        for language in self.languages:
            entities = {
                entity
                for recognizer in recognizers
                if recognizer.supported_language == language
                for entity in recognizer.supported_entities
            }
            self._supported[language] = sorted(entities | {DENY_LIST_ENTITY})
        self._known_entities = frozenset(
            entity for entities in self._supported.values() for entity in entities
        )
        self._default_entities = {
            language: tuple(
                entity
                for entity in entities
                if entity not in ON_REQUEST_ONLY_ENTITIES and entity != DENY_LIST_ENTITY
            )
            for language, entities in self._supported.items()
        }

    @staticmethod
    def _build_nlp_engine() -> LeanSpacyNlpEngine:
        """Create the NLP engine through Presidio's provider, by model package name."""
        provider = NlpEngineProvider(
            nlp_engines=(LeanSpacyNlpEngine,),
            nlp_configuration={
                "nlp_engine_name": LeanSpacyNlpEngine.engine_name,
                # Dutch has no spaCy model here: it shares the English pipeline (loaded
                # once) for tokens and entities, which the Dutch recognizers then check.
                "models": [
                    {"lang_code": language, "model_name": SPACY_MODEL_PACKAGE}
                    for language in SUPPORTED_LANGUAGES
                ],
                "ner_model_configuration": ner_model_configuration().to_dict(),
            },
        )
        return provider.create_engine()

    @staticmethod
    def _recognizers_for(language: str, lexicon: DutchLexicon) -> list[EntityRecognizer]:
        """Return every recognizer for a language: pattern rules, NER and Dutch rules."""
        # The NER recognizer belongs with the NLP engine configured here, so a spaCy
        # recognizer in the rule list would only duplicate it.
        rules = [r for r in build_recognizers(language) if not isinstance(r, SpacyRecognizer)]
        if language == "nl":
            ner: EntityRecognizer = DutchSpacyRecognizer(lexicon)
        else:
            ner = SpacyRecognizer(
                supported_language=language, supported_entities=list(ENGLISH_NER_ENTITIES)
            )
        recognizers = [*rules, ner, *build_dutch_recognizers(language, lexicon)]
        if not any("IBAN_CODE" in r.supported_entities for r in recognizers):
            recognizers.append(IbanRecognizer(supported_language=language))
        return recognizers

    # ----------------------------------------------------------------- public API

    @contextlib.contextmanager
    def memory_zone(self) -> Iterator[None]:
        """Run a block inside spaCy's memory zone of the engine's pipelines.

        Strings, vocabulary and tokenizer entries the texts add while the zone is open are
        freed when it closes, so a long-running process does not grow with every new word it
        sees. spaCy objects made inside (docs, tokens, spans, NLP artifacts) must not outlive
        the block: the engine's calls return plain data only.

        Blocks in several threads share one open zone, which closes when the last of them
        ends (spaCy zones do not nest); a zone that has let in ``MAX_CALLS_PER_ZONE`` blocks
        takes no more until it has closed. A block inside a block of the same thread runs in
        the zone already open. The pipeline itself stays serialised by its own lock, always
        taken inside the zone, never the other way round.
        """
        depth = getattr(self._zone_depth, "value", 0)
        if depth or not self.memory_zones:
            self._zone_depth.value = depth + 1
            try:
                yield
            finally:
                self._zone_depth.value = depth
            return
        with self._zone:
            while self._zone_open is not None and self._zone_admitted >= MAX_CALLS_PER_ZONE:
                self._zone.wait()
            if self._zone_open is None:
                zone = contextlib.ExitStack()
                with self._nlp_lock:
                    zone.enter_context(self._nlp.memory_zone())
                self._zone_open, self._zone_admitted = zone, 0
            self._zone_calls += 1
            self._zone_admitted += 1
        self._zone_depth.value = 1
        try:
            yield
        finally:
            self._zone_depth.value = 0
            with self._zone:
                self._zone_calls -= 1
                if self._zone_calls == 0:
                    zone, self._zone_open = self._zone_open, None
                    try:
                        with self._nlp_lock:
                            zone.close()
                            recurring = self._recurring.take()
                            if recurring:
                                self._nlp.keep_words(recurring)
                    finally:
                        self._zone.notify_all()

    def supported_entities(self) -> dict[str, list[str]]:
        """Return, per language, the sorted entity types the engine can report."""
        return {language: list(entities) for language, entities in self._supported.items()}

    def detect_language(self, text: str) -> str:
        """Return "en" or "nl" for the text (offline; short or unclear text is "en")."""
        _require_text(text, "text")
        return self._detector.detect(text)

    def analyze(
        self,
        text: str,
        *,
        language: str | None = None,
        entities: Sequence[str] | None = None,
        score_threshold: float | None = None,
        allow_list: Sequence[str] | None = None,
        deny_list: Sequence[str] | None = None,
        return_explanation: bool = False,
        brand_terms: Sequence[str] | None = None,
        recognizers: Sequence[EntityRecognizer] = (),
    ) -> AnalysisResult:
        """Find personal data in a text.

        ``language=None`` detects it; ``entities=None`` looks for every supported type
        except ORGANIZATION; ``score_threshold`` defaults to DEFAULT_SCORE_THRESHOLD;
        values in ``allow_list`` (compared ignoring case, surrounding whitespace and a
        leading "@") are never reported; values in ``deny_list`` are always reported as
        DENY_LIST. The brand's own names, products and handles (the engine's
        ``brand_terms`` plus any given here) are never reported, nor are findings made
        only of well-known brand, product, assistant or place words without a person
        cue. Findings never overlap and are ordered by position. ``recognizers`` are run
        for this call only, on top of the engine's, and report whatever types they find.
        """
        _require_text(text, "text")
        request = self._request(
            text,
            language,
            entities,
            score_threshold,
            allow_list,
            deny_list,
            return_explanation,
            brand_terms,
            recognizers,
        )
        with self.memory_zone():
            return AnalysisResult(request.language, self._findings(text, request))

    def redact(
        self,
        text: str,
        *,
        language: str | None = None,
        entities: Sequence[str] | None = None,
        score_threshold: float | None = None,
        allow_list: Sequence[str] | None = None,
        deny_list: Sequence[str] | None = None,
        operators: Mapping[str, Mapping[str, Any]] | None = None,
        brand_terms: Sequence[str] | None = None,
    ) -> RedactionResult:
        """Redact personal data in a text; options as in ``analyze``, plus ``operators``."""
        _require_text(text, "text")
        self.validate_operators(operators)
        request = self._request(
            text, language, entities, score_threshold, allow_list, deny_list, False, brand_terms
        )
        plan = self._plan(operators)
        with self.memory_zone():
            return self._redacted(text, request, self._findings(text, request), plan)

    def redact_batch(
        self,
        items: Sequence[tuple[str, str, str | None]],
        *,
        entities: Sequence[str] | None = None,
        score_threshold: float | None = None,
        allow_list: Sequence[str] | None = None,
        deny_list: Sequence[str] | None = None,
        operators: Mapping[str, Mapping[str, Any]] | None = None,
        brand_terms: Sequence[str] | None = None,
        groups: Sequence[Hashable] | None = None,
    ) -> list[RedactionResult]:
        """Redact several texts (``(id, text, language)`` items) as one request.

        Pseudonyms are numbered across all items, in item order, so a thread sent as one
        batch calls the same person ``<PERSON_1>`` in every comment. ``groups`` (one key
        per item) narrows that: items share numbering only with items of the same key,
        while the NLP pipeline still runs over all of them at once. Results follow the
        order of ``items``.
        """
        if not isinstance(items, Sequence) or isinstance(items, str | bytes):
            raise RedactionInputError("items", "must be a list of (id, text, language) items")
        self.validate_operators(operators)
        requests: list[_Request] = []
        texts: list[str] = []
        for index, item in enumerate(items):
            if not isinstance(item, Sequence) or isinstance(item, str) or len(item) != 3:
                raise RedactionInputError(f"items[{index}]", "must be an (id, text, language) item")
            _, text, language = item
            _require_text(text, f"items[{index}].text")
            try:
                requests.append(
                    self._request(
                        text,
                        language,
                        entities,
                        score_threshold,
                        allow_list,
                        deny_list,
                        False,
                        brand_terms,
                    )
                )
            except RedactionInputError as error:
                if error.field != "language":
                    raise
                raise RedactionInputError(f"items[{index}].language", error.message) from error
            texts.append(text)

        if groups is not None and len(groups) != len(texts):
            raise RedactionInputError("groups", "must hold one key per item")
        plans: dict[Hashable, OperatorPlan] = {}
        results = []
        with self.memory_zone():
            # The docs of the whole batch live in one zone; only plain results leave it.
            artifacts = self._batch_artifacts(texts, requests)
            for i, (text, request) in enumerate(zip(texts, requests, strict=True)):
                group = None if groups is None else groups[i]
                plan = plans.get(group)
                if plan is None:
                    plan = plans[group] = self._plan(operators)
                findings = self._findings(text, request, artifacts.get(i))
                results.append(self._redacted(text, request, findings, plan))
            del artifacts
        return results

    def decrypt_text(self, text: str) -> tuple[str, int]:
        """Replace every encrypt token in the text by its plaintext; return (text, count).

        Raises RedactionInputError("text", ...) if a token was altered or was made with
        another secret key.
        """
        _require_text(text, "text")
        return self._cipher.decrypt_text(text)

    def validate_operators(self, operators: Mapping[str, Any] | None) -> None:
        """Raise RedactionInputError("operators", ...) for an invalid operators mapping."""
        if operators is None:
            return
        if not isinstance(operators, Mapping):
            raise RedactionInputError("operators", "must map entity types to operators")
        unknown = sorted(
            str(key)
            for key in operators
            if key != DEFAULT_OPERATOR_KEY and key not in self._known_entities
        )
        if unknown:
            raise RedactionInputError("operators", f"unknown entity type(s): {', '.join(unknown)}")
        for key, config in operators.items():
            validate_operator_config(key, config)

    # ----------------------------------------------------------------- internals

    def _request(
        self,
        text: str,
        language: str | None,
        entities: Sequence[str] | None,
        score_threshold: float | None,
        allow_list: Sequence[str] | None,
        deny_list: Sequence[str] | None,
        explain: bool,
        brand_terms: Sequence[str] | None = None,
        recognizers: Sequence[EntityRecognizer] = (),
    ) -> _Request:
        """Validate the options of one analysis and resolve their defaults."""
        resolved_language = self._language(text, language)
        supported = self._supported[resolved_language]
        if entities is None:
            wanted = list(self._default_entities[resolved_language])
        else:
            wanted = self._checked_entities(entities)
            # A type that exists but not for this language (say NRP for Dutch) is
            # simply not looked for: a detected language must not turn it into an error.
            wanted = [entity for entity in wanted if entity in supported]
        threshold = _checked_threshold(score_threshold)
        allow_values = frozenset(
            normalize_value(value) for value in _checked_list(allow_list, "allow_list")
        )
        deny_values = _checked_list(deny_list, "deny_list")
        extra = tuple(recognizers)
        if deny_values:
            # Deny-list values are reported whatever types were asked for.
            extra += (_deny_list_recognizer(resolved_language, tuple(deny_values)),)
            if DENY_LIST_ENTITY not in wanted:
                wanted.append(DENY_LIST_ENTITY)
        elif DENY_LIST_ENTITY in wanted:
            wanted.remove(DENY_LIST_ENTITY)
        return _Request(
            language=resolved_language,
            entities=tuple(wanted),
            needs_ner=any(entity in self._ner_entities[resolved_language] for entity in wanted),
            score_threshold=threshold,
            allow_values=allow_values,
            extra_recognizers=extra,
            explain=explain,
            brand_terms=self._brand_terms
            if brand_terms is None
            else BrandTerms([*self._brand_terms.terms, *_checked_list(brand_terms, "brand_terms")]),
        )

    def _language(self, text: str, language: str | None) -> str:
        """Return the requested language, checked, or the detected one."""
        if language is None:
            return self._detector.detect(text)
        if not isinstance(language, str) or language.strip().lower() not in self.languages:
            raise RedactionInputError(
                "language",
                f"unsupported language {language!r} (supported: {', '.join(self.languages)})",
            )
        return language.strip().lower()

    def _checked_entities(self, entities: Sequence[str]) -> list[str]:
        """Return the requested entity types, or raise for unknown ones."""
        if isinstance(entities, str) or not isinstance(entities, Sequence | set | frozenset):
            raise RedactionInputError("entities", "must be a list of entity types")
        if not entities:
            raise RedactionInputError("entities", "must name at least one entity type")
        unknown = sorted(
            str(e) for e in entities if not isinstance(e, str) or e not in self._known_entities
        )
        if unknown:
            raise RedactionInputError("entities", f"unknown entity type(s): {', '.join(unknown)}")
        return list(dict.fromkeys(entities))

    def _plan(self, operators: Mapping[str, Mapping[str, Any]] | None) -> OperatorPlan:
        """Create the operator plan (and pseudonym table) of one request."""
        return OperatorPlan(
            operators, hasher=self._hasher, cipher=self._cipher, pseudonyms=PseudonymTable()
        )

    def _artifacts(self, text: str, request: _Request) -> NlpArtifacts:
        """Run NER if a requested type needs it, else only the tokenizer (for context)."""
        count_texts(1)
        if self.memory_zones:
            self._recurring.note(text)
        with self._nlp_lock:
            if request.needs_ner:
                return self._nlp.process_text(text, request.language)
            return self._nlp.tokens_only(text, request.language)

    def _batch_artifacts(
        self, texts: list[str], requests: list[_Request]
    ) -> dict[int, NlpArtifacts]:
        """Run NER over all batch texts that need it with ``nlp.pipe``, per language."""
        artifacts: dict[int, NlpArtifacts] = {}
        for language in self.languages:
            indexes = [
                i
                for i, request in enumerate(requests)
                if request.language == language and request.needs_ner and texts[i].strip()
            ]
            if not indexes:
                continue
            count_texts(len(indexes))
            if self.memory_zones:
                for i in indexes:
                    self._recurring.note(texts[i])
            with self._nlp_lock:
                processed = list(self._nlp.process_many((texts[i] for i in indexes), language))
            for i, item_artifacts in zip(indexes, processed, strict=True):
                artifacts[i] = item_artifacts
        return artifacts

    def _findings(
        self, text: str, request: _Request, artifacts: NlpArtifacts | None = None
    ) -> list[Finding]:
        """Analyze a text and return non-overlapping findings in text order."""
        if not text.strip() or not request.entities:
            return []
        if artifacts is None:
            artifacts = self._artifacts(text, request)
        results = self._recognize(text, request, artifacts)
        results = refine_findings(text, results, request.language)
        results = drop_brand_findings(text, results, request.brand_terms)
        if request.allow_values:
            results = _without_allowed(text, results, request.allow_values)
        return [
            _finding(result, start, end, request.explain)
            for result, start, end in resolve_overlaps(text, results)
        ]

    def _recognizers_for_request(self, request: _Request) -> tuple[EntityRecognizer, ...]:
        """Return the recognizers of the request's language that report a requested type."""
        key = (request.language, request.entities)
        selected = self._selected.get(key)
        if selected is None:
            wanted = set(request.entities)
            selected = tuple(
                recognizer
                for recognizer in self._recognizers
                if recognizer.supported_language == request.language
                and wanted.intersection(recognizer.supported_entities)
            )
            if len(self._selected) < MAX_CACHED_SELECTIONS:
                self._selected[key] = selected
        if request.extra_recognizers:
            selected = (*selected, *request.extra_recognizers)
        return selected

    def _recognize(
        self, text: str, request: _Request, artifacts: NlpArtifacts
    ) -> list[RecognizerResult]:
        """Run the request's recognizers: results above the threshold, duplicates removed.

        This is what Presidio's ``AnalyzerEngine.analyze`` does with precomputed NLP
        artifacts (recognizers, context words, score threshold, de-duplication), without
        re-selecting the recognizers on every call.
        """
        recognizers = self._recognizers_for_request(request)
        entities = list(request.entities)
        results: list[RecognizerResult] = []
        for recognizer in recognizers:
            found = recognizer.analyze(text=text, entities=entities, nlp_artifacts=artifacts)
            if not found:
                continue
            for result in found:
                metadata = result.recognition_metadata
                if metadata is None:
                    metadata = result.recognition_metadata = {}
                metadata.setdefault(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY, recognizer.id)
                metadata.setdefault(RecognizerResult.RECOGNIZER_NAME_KEY, recognizer.name)
            results.extend(found)
        results = self._context_enhancer.enhance_using_context(
            text=text, raw_results=results, nlp_artifacts=artifacts, recognizers=recognizers
        )
        results = [result for result in results if result.score >= request.score_threshold]
        return EntityRecognizer.remove_duplicates(results)

    def _redacted(
        self, text: str, request: _Request, findings: list[Finding], plan: OperatorPlan
    ) -> RedactionResult:
        """Apply the operator plan to the findings of one text."""
        if not findings:
            return RedactionResult(request.language, text, [])
        for finding in findings:
            # Number pseudonyms in reading order now; Presidio applies operators from
            # the end of the text backwards.
            if plan.operator_type(finding.entity_type) == "pseudonymize":
                plan.pseudonyms.label(finding.entity_type, text[finding.start : finding.end])
        anonymized = self._anonymizer.anonymize(
            text=text,
            analyzer_results=[
                AnonymizerResult(f.entity_type, f.start, f.end, f.score) for f in findings
            ],
            operators=plan.presidio_configs,
            merge_entities_with_spaces=False,
        )
        return RedactionResult(request.language, anonymized.text, findings)


# --------------------------------------------------------------------- helpers


def _require_text(text: Any, field: str) -> None:
    """Raise RedactionInputError unless ``text`` is a string."""
    if not isinstance(text, str):
        raise RedactionInputError(field, "must be a string")


def _checked_threshold(score_threshold: float | None) -> float:
    """Return the score threshold, defaulted and checked to lie in [0, 1]."""
    if score_threshold is None:
        return DEFAULT_SCORE_THRESHOLD
    if (
        isinstance(score_threshold, bool)
        or not isinstance(score_threshold, int | float)
        or not 0.0 <= score_threshold <= 1.0
    ):
        raise RedactionInputError("score_threshold", "must be a number between 0 and 1")
    return float(score_threshold)


def _checked_list(values: Iterable[str] | None, field: str) -> list[str]:
    """Return a list of non-empty strings, or raise RedactionInputError for ``field``."""
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise RedactionInputError(field, "must be a list of strings")
    values = list(values)
    if len(values) > MAX_LIST_ITEMS:
        raise RedactionInputError(field, f"must hold at most {MAX_LIST_ITEMS} values")
    checked = []
    for value in values:
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_LIST_ITEM_LENGTH:
            raise RedactionInputError(
                field,
                f"values must be non-empty strings of at most {MAX_LIST_ITEM_LENGTH} characters",
            )
        checked.append(value.strip())
    return list(dict.fromkeys(checked))


def _without_allowed(
    text: str, results: list[RecognizerResult], allow_values: frozenset[str]
) -> list[RecognizerResult]:
    """Drop findings whose value is allowed, and findings inside an allowed value."""
    allowed_spans = [
        (result.start, result.end)
        for result in results
        if normalize_value(text[result.start : result.end]) in allow_values
    ]
    return [
        result
        for result in results
        if not any(start <= result.start and result.end <= end for start, end in allowed_spans)
    ]


@functools.lru_cache(maxsize=256)
def _deny_list_recognizer(language: str, values: tuple[str, ...]) -> PatternRecognizer:
    """Return (cached) Presidio's ad-hoc deny-list recognizer for these values."""
    return PatternRecognizer(
        supported_entity=DENY_LIST_ENTITY,
        name="DenyListRecognizer",
        supported_language=language,
        deny_list=list(values),
    )


def _is_ner_result(result: RecognizerResult) -> bool:
    """Return True if a result came from a statistical NER model rather than a rule."""
    name = (result.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_NAME_KEY, "")
    return "Spacy" in name


def resolve_overlaps(
    text: str, results: Iterable[RecognizerResult]
) -> list[tuple[RecognizerResult, int, int]]:
    """Choose non-overlapping spans: longest first, rules before NER, then higher score.

    A result that partly overlaps a chosen one keeps the longest part nobody covers
    (trimmed of spaces and punctuation) if that part still holds a letter or digit, so
    no piece of a detected value is left unredacted. Returns (result, start, end)
    triples sorted by start.
    """
    ranked = sorted(
        (r for r in results if 0 <= r.start < r.end <= len(text)),
        key=lambda r: (-(r.end - r.start), _is_ner_result(r), -r.score, r.start),
    )
    chosen: list[tuple[RecognizerResult, int, int]] = []
    for result in ranked:
        segments = [(result.start, result.end)]
        for _, taken_start, taken_end in chosen:
            segments = [
                piece
                for start, end in segments
                for piece in ((start, min(end, taken_start)), (max(start, taken_end), end))
                if piece[0] < piece[1]
            ]
        if not segments:
            continue
        start, end = max(segments, key=lambda segment: segment[1] - segment[0])
        if (start, end) != (result.start, result.end):
            while start < end and not text[start].isalnum():
                start += 1
            while end > start and not text[end - 1].isalnum():
                end -= 1
            if start == end:
                continue
        chosen.append((result, start, end))
    return sorted(chosen, key=lambda item: item[1])


def _finding(result: RecognizerResult, start: int, end: int, explain: bool) -> Finding:
    """Convert a Presidio result (possibly trimmed to start/end) into a Finding."""
    metadata = result.recognition_metadata or {}
    recognizer = metadata.get(RecognizerResult.RECOGNIZER_NAME_KEY) or "unknown"
    return Finding(
        entity_type=result.entity_type,
        start=start,
        end=end,
        score=round(float(result.score), 4),
        recognizer=recognizer,
        explanation=_explanation(result, recognizer) if explain else None,
    )


def _explanation(result: RecognizerResult, recognizer: str) -> dict:
    """Return a small JSON-able summary of Presidio's explanation of a result."""
    explanation = result.analysis_explanation
    if explanation is None:
        return {"recognizer": recognizer, "original_score": float(result.score)}
    return {
        "recognizer": explanation.recognizer or recognizer,
        "pattern_name": explanation.pattern_name,
        "original_score": float(explanation.original_score),
        "score": float(result.score),
        "score_context_improvement": float(explanation.score_context_improvement or 0.0),
        "supportive_context_word": explanation.supportive_context_word or None,
        "validation_result": explanation.validation_result,
        "textual_explanation": explanation.textual_explanation,
    }


_engines: dict[tuple[int, str, tuple[str, ...]], RedactionEngine] = {}
_engines_lock = threading.Lock()


def parse_brand_terms(raw: str | None) -> tuple[str, ...]:
    """Return the brand terms of a comma-separated setting (``PRIVACY_BRAND_TERMS``)."""
    if not raw:
        return ()
    return tuple(dict.fromkeys(term.strip() for term in raw.split(",") if term.strip()))


def get_engine(secret_key: bytes, brand_terms: Sequence[str] | None = None) -> RedactionEngine:
    """Return this process's engine for the key, building it on first use.

    ``brand_terms`` defaults to the ``PRIVACY_BRAND_TERMS`` setting.
    """
    if not isinstance(secret_key, bytes):
        raise ValueError("secret_key must be bytes")
    if brand_terms is None:
        brand_terms = parse_brand_terms(os.environ.get("PRIVACY_BRAND_TERMS"))
    terms = tuple(brand_terms)
    cache_key = (os.getpid(), hashlib.sha256(secret_key).hexdigest(), terms)
    engine = _engines.get(cache_key)
    if engine is None:
        with _engines_lock:
            engine = _engines.get(cache_key)
            if engine is None:
                engine = RedactionEngine(secret_key, terms)
                _engines[cache_key] = engine
    return engine
