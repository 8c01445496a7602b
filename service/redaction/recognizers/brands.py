"""Brands, products, assistants and places that look like names, and a brand's own terms.

The lexicon below is written for this project (Apache-2.0, like the rest of the code):
names of well-known companies, shops, carriers, banks, airlines, products, voice
assistants and places that spaCy or the name lists take for people ("thanks Verizon",
"Hey Alexa", "zara jeans", "Ford Focus"). A finding made only of such words is not a
person unless the context says so (a title or a self-introduction); a greeting does not.

A deployment adds its own names, products and handles (``PRIVACY_BRAND_TERMS``, or per
call): those are never reported, whatever the recognizer, so a brand's replies keep
the brand's own name and handle readable.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from service.redaction.recognizers.lexicon import common_words

# Companies, shops, carriers, banks, airlines, telecoms, streaming and software brands.
_BRANDS = """
acme adidas airbnb aldi alibaba amazon amex apple asda asus audi avis bmw boeing bose
booking.com burberry canon carrefour chanel chevrolet chevy chrysler cisco citroen
coca-cola coke costco dell deliveroo delta dhl dior disney dodge dpd dyson ebay emirates
etsy expedia facebook fedex ferrari fiat fitbit ford garmin gucci hermes hertz hilton
honda hp huawei hyundai ikea instagram intel jaguar jeep kia kfc klm lego lenovo lexus
lidl linkedin lufthansa marriott mastercard mazda mcdonalds mcdonald's mercedes meta
microsoft mini mitsubishi motorola netflix nike nikon nintendo nissan nokia nvidia
oneplus opel oracle panasonic paypal pepsi peugeot philips porsche prada primark puma
qantas reebok renault ryanair samsung sephora shell siemens skoda sky snapchat sony
spotify starbucks subaru suzuki target telegram tesco tesla tiktok toyota twitter uber
uniqlo ups usps verizon visa volkswagen vw volvo walmart whatsapp xiaomi yahoo youtube
zara zalando easyjet wizzair vueling iberia transavia airfrance british airways
virgin vodafone orange o2 ee tmobile t-mobile att at&t sprint comcast xfinity spectrum
hulu peacock paramount hbo max roku sonos logitech razer steam valve ubisoft epic
wendys wendy's subway dominos domino's pizzahut chipotle tacobell dunkin costa pret
greggs nandos nando's zoom slack dropbox adobe shopify stripe klarna revolut monzo
wise barclays hsbc lloyds natwest santander chase citi citibank wellsfargo ing
rabobank abn amro bunq knab triodos asn sns kpn ziggo odido tele2 simyo lebara
youfone postnl bol bol.com coolblue hema kruidvat etos jumbo ah albert heijn plus
dirk vomar hoogvliet picnic action blokker gamma praxis karwei mediamarkt wehkamp
marktplaats vinted thuisbezorgd vattenfall eneco essent greenchoice tikkie adyen
mollie heineken ns ret gvb htm arriva connexxion qbuzz proximus telenet delhaize
colruyt bpost belfius kbc argenta brussels airlines
"""

# Products and product lines (phones, cars, consoles, software, devices).
_PRODUCTS = """
iphone ipad ipod imac macbook airpods airtag galaxy pixel kindle echo firestick
chromecast surface xbox playstation ps4 ps5 switch wii quest oculus android ios
windows macos office outlook teams excel powerpoint onedrive gmail chrome firefox
safari edge bing photoshop focus fiesta mustang kuga puma corolla yaris prius civic
accord golf polo passat tiguan model clio megane corsa astra octavia fabia
qashqai juke leaf ioniq kona tucson sportage picanto swift jazz
thermomix roomba nespresso senseo
"""

# Voice assistants and chat assistants: addressed like people, but not people.
_ASSISTANTS = """
alexa siri cortana bixby google assistant copilot chatgpt gemini bot chatbot robot
"""

# Places that are not given names: never a person on their own.
_PLACES = """
paris london berlin milan rome vienna amsterdam rotterdam utrecht eindhoven groningen
breda zwolle delft leiden haarlem antwerpen gent brugge leuven brussel brussels schiphol
zaventem heathrow gatwick manchester liverpool glasgow edinburgh dublin madrid lisbon
britain england scotland wales europe africa asia america
"""

# Places that are also given names ("Sydney", "Florence"): a place only after a place
# preposition ("in Sydney", "flew to Florence").
_PLACE_NAMES = """
sydney florence georgia victoria austin dallas houston phoenix orlando charlotte
savannah madison chelsea brooklyn lincoln jackson regina adelaide alexandria aurora
denver kent devon york
"""

# Multi-word brand and product names; each is matched as a whole phrase.
_PHRASES = """
albert heijn
google assistant
ford focus
ford fiesta
british airways
brussels airlines
air france
abn amro
tommy hilfiger
calvin klein
ralph lauren
hugo boss
dr martens
ben & jerry's
ben and jerry's
taco bell
pizza hut
burger king
costa coffee
marks & spencer
marks and spencer
john lewis
mercedes benz
rolls royce
land rover
range rover
aston martin
alfa romeo
louis vuitton
yves saint laurent
estee lauder
victoria's secret
jumbo supermarkten
media markt
t mobile
amazon prime
prime video
disney plus
apple pay
google pay
google maps
apple music
youtube music
hey google
ok google
"""


def _listed(block: str) -> frozenset[str]:
    """Return the whitespace-separated words of a block."""
    return frozenset(block.split())


# Nouns that, right after a brand word, make it a brand or product ("Zara jeans").
PRODUCT_NOUNS = _listed(
    """
    account accounts app airport airline airlines bank bag bags battery box branch card
    cards car cars charger coffee customer delivery device dress flight flights helpdesk
    hotel hotels jacket jeans laptop order orders outlet package parcel phone phones
    plan points pro restaurant service shoes shop shops store stores subscription support
    team tv update watch winkel bestelling klantenservice pakket app's webshop filiaal
    """
)

# Words that, with a number, name a thing and never a street ("Gate 5", "Step 3").
NOT_STREET_WORDS = _listed(
    """
    aisle bay booth bus cabin channel chapter class counter desk dock door episode floor
    gate gen generation grade hall item kassa lane level line lounge model option pack
    page pakket part perron phase pier platform plan point product region release rev
    revision room round row season seat section series size spoor stage stand step
    support terminal tier track tram type unit update version volume ward week windows
    year zone loket kanaal stap versie niveau pagina deel
    """
)

# Capitalised nouns that make the names before them an organisation ("the Hall Orchestra",
# "Porter Records", "Mendes Ltd"): a firm or band named after people is not a person.
ORGANISATION_NOUNS = _listed(
    """
    orchestra philharmonic choir ensemble quartet records studios studio
    ltd inc llc plc gmbh bv nv corp corporation company group holdings partners
    associates foundation institute university college academy school hospital clinic
    hotel restaurant cafe bakery brewery winery pharmacy museum gallery theatre theater
    stadium arena airport bank insurance motors industries enterprises solutions
    consulting labs laboratories publishing press media
    """
)

_WORD_RE = re.compile(r"[\w&'’.\-]+")


def _fold(value: str) -> str:
    """Return a value lower-cased, without accents, a leading '@' or '#', and trimmed."""
    value = value.strip().lstrip("@#")
    if not value.isascii():  # ASCII has no accents to take off
        value = unicodedata.normalize("NFKD", value)
        value = "".join(ch for ch in value if not unicodedata.combining(ch))
    return value.lower().replace("’", "'").strip(" .,!?:;")


@functools.cache
def brand_words() -> frozenset[str]:
    """Return single brand, product and assistant words of the shipped lexicon."""
    return frozenset(_fold(w) for block in (_BRANDS, _PRODUCTS, _ASSISTANTS) for w in block.split())


@functools.cache
def place_words() -> frozenset[str]:
    """Return places of the shipped lexicon that are also given names."""
    return frozenset(_fold(w) for w in _PLACES.split())


@functools.cache
def ambiguous_places() -> frozenset[str]:
    """Return places of the shipped lexicon that are also given names."""
    return frozenset(_fold(w) for w in _PLACE_NAMES.split())


@functools.cache
def brand_phrases() -> frozenset[str]:
    """Return multi-word brand and product names of the shipped lexicon (one per line)."""
    return frozenset(
        " ".join(_fold(w) for w in line.split()) for line in _PHRASES.strip().splitlines()
    )


def fold(value: str) -> str:
    """Return the comparison form of a value (lower case, no accents, no leading @/#)."""
    return _fold(value)


class BrandTerms:
    """A brand's own names, products and handles: never reported as personal data."""

    def __init__(self, terms: Iterable[str] = ()):
        self.terms = frozenset(t for t in (_fold(term) for term in terms) if t)
        self.words = frozenset(w for term in self.terms for w in term.split())
        self._pattern = (
            re.compile(
                r"(?<![\w@#])[@#]?(?:"
                + "|".join(re.escape(t) for t in sorted(self.terms, key=len, reverse=True))
                + r")(?!\w)",
                re.I,
            )
            if self.terms
            else None
        )

    def __bool__(self) -> bool:
        return bool(self.terms)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Return where the brand's terms occur in the text."""
        if self._pattern is None:
            return []
        return [m.span() for m in self._pattern.finditer(text)]

    def covers(self, value: str) -> bool:
        """Tell whether a found value is the brand's own (a term, or only its words)."""
        folded = _fold(value)
        if not folded:
            return False
        if folded in self.terms:
            return True
        words = [w for w in folded.split() if w]
        return bool(words) and all(w in self.words for w in words)


def is_brand_like(value: str) -> bool:
    """Tell whether a found "name" is only brand, product, assistant or place words."""
    folded = _fold(value)
    if folded in brand_phrases():
        return True
    words = [w for w in (_fold(w) for w in _WORD_RE.findall(value)) if w]
    known = _brand_and_place_words()
    return bool(words) and all(w in known for w in words)


@functools.cache
def _brand_and_place_words() -> frozenset[str]:
    """Return the brand, product, assistant and place words together (built once)."""
    return brand_words() | place_words()


#: Entity types a brand or place word can be mistaken for.
_NAME_TYPES = frozenset({"PERSON", "LOCATION", "NRP"})
# A title or self-introduction right before a word makes it a person ("my name is Alexa").
_PERSON_CUE_RE = re.compile(
    r"(?i)(?:\b(?:mr|mrs|ms|mx|miss|dr|prof|sir|dhr|mevr|meneer|mevrouw)\.?"
    r"|\bmy\s+name\s+is|\bmy\s+name's|\bi\s+am|\bi'm|\bcall\s+me|\bsigned"
    r"|\bmijn\s+naam\s+is|\bik\s+ben|\bik\s+heet|\bnaam\s*:|\bname\s*:)[\s,:]*$"
)
# Words before a place name that make it a place ("in Sydney", "flew to Florence").
_PLACE_BEFORE_RE = re.compile(
    r"(?i)(?:\b(?:in|at|from|near|around|outside|visiting|naar|uit|bij|te|nabij)"
    r"|\b(?:fly|flew|flying|flight|drive|drove|moved|move|going|went|trip|travel(?:led)?)"
    r"\s+to)\s+$"
)
# "Lieve" is a greeting ("Lieve HEMA") and a given name ("Lieve De Clercq"): it is only
# looked past when deciding whether the rest is a brand.
_NAME_OR_GREETING_RE = re.compile(r"(?i)lieve[\s,!:]+")
_NEXT_WORD_RE = re.compile(r"[\s'’s]*([^\W\d_]+)")
# Greetings the NER model sometimes takes into a name ("Thanks Sarah", "Bedankt Albert Heijn").
_GREETING_PREFIX_RE = re.compile(
    r"(?i)(?:hi|hey|hello|hiya|dear|thanks|thank\s+you|thx|cheers|morning|bedankt|beste"
    r"|hoi|hallo|hee|dag|geachte|dankjewel|dank\s+je(?:\s+wel)?|groetjes|goedemorgen"
    r"|goedemiddag)\b[\s,!:]*"
)


# A title at the start of a finding ("Sir bot"): what follows decides.
_LEADING_TITLE_RE = re.compile(
    r"(?i)(?:mr|mrs|ms|mx|miss|dr|prof|sir|madam|dame|lady|lord|dhr|mevr|meneer|mevrouw)\.?[ \t]+"
)


def _title_before_no_name(value: str) -> bool:
    """Tell whether a finding is a title before lower-case assistant or ordinary words.

    "Sir bot", "mr robot", "Miss nobody": a title makes a person of a name, but a
    lower-case assistant, brand or everyday word after it is no name.
    """
    title = _LEADING_TITLE_RE.match(value)
    if not title or title.end() >= len(value):
        return False
    words = _WORD_RE.findall(value[title.end() :])
    known = brand_words() | common_words()
    return bool(words) and all(w.islower() and _fold(w) in known for w in words)


def _person_cue_before(text: str, start: int) -> bool:
    """Tell whether a title or a self-introduction ends right before ``start``."""
    return bool(_PERSON_CUE_RE.search(text[max(0, start - 30) : start]))


def _brand_name(text: str, start: int, end: int, entity_type: str) -> bool:
    """Tell whether a name-typed finding reads as a brand, product, assistant or place."""
    value = text[start:end]
    folded = _fold(value)
    words = [w for w in (_fold(w) for w in _WORD_RE.findall(value)) if w]
    if not words:
        return False
    brands = brand_words()
    # A place is a fine LOCATION; only as a "person" or organisation is it a mistake.
    places = place_words() if entity_type != "LOCATION" else frozenset()
    if folded in brand_phrases() or all(w in brands for w in words):
        return True
    if len(words) == 1 and words[0] in places:
        return True
    if all(w in NOT_STREET_WORDS for w in words):
        return True  # "Versie", "Step": things with numbers are nobody
    if (
        entity_type != "LOCATION"
        and len(words) == 1
        and words[0] in ambiguous_places()
        and _PLACE_BEFORE_RE.search(text[max(0, start - 30) : start])
    ):
        return True
    if words[-1] in PRODUCT_NOUNS and any(w in brands or w in places for w in words[:-1]):
        return True  # "zara jeans" taken as one lower-case name
    following = _NEXT_WORD_RE.match(text, end)
    if (
        entity_type == "PERSON"
        and len(words) > 1
        and words[-1] in ORGANISATION_NOUNS
        and _is_capital_word(_WORD_RE.findall(value)[-1])
    ):
        return True  # "Hall Orchestra" taken as one name
    if (
        entity_type == "PERSON"
        and following
        and following.group(1).lower() in ORGANISATION_NOUNS
        and following.group(1)[:1].isupper()
        and not text[end : following.start(1)].strip(" ")
    ):
        return True  # "Davis" in "the Davis Orchestra"
    return bool(
        following
        and following.group(1).lower() in PRODUCT_NOUNS
        and any(w in brands or w in places for w in words)
    )


def _is_capital_word(word: str) -> bool:
    """Tell whether a word starts with a capital letter."""
    return word[:1].isupper()


def drop_brand_findings(text: str, results: list, brand_terms: BrandTerms) -> list:
    """Drop findings that are the brand's own terms, and brand-like "names".

    Any finding equal to, made of, or inside one of the brand's own terms goes; a
    person, place or organisation finding made of well-known brand, product,
    assistant or place words goes unless a title or self-introduction precedes it.
    """
    if not results:
        return results
    own = brand_terms.spans(text) if brand_terms else []
    common = common_words()
    kept = []
    for result in results:
        if result.entity_type in _NAME_TYPES:
            greeting = _GREETING_PREFIX_RE.match(text, result.start, result.end)
            if greeting and greeting.end() < result.end:
                result.start = greeting.end()
            words = _WORD_RE.findall(text[result.start : result.end])
            if words and all(w.islower() and w in common for w in words):
                continue  # "new", "the store": ordinary lower-case words are nobody
            if result.entity_type == "PERSON" and _title_before_no_name(
                text[result.start : result.end]
            ):
                continue
        value = text[result.start : result.end]
        if brand_terms and (
            brand_terms.covers(value) or any(s <= result.start and result.end <= e for s, e in own)
        ):
            continue
        if result.entity_type in _NAME_TYPES and not _person_cue_before(text, result.start):
            lieve = _NAME_OR_GREETING_RE.match(text, result.start, result.end)
            core = lieve.end() if lieve and lieve.end() < result.end else result.start
            if _brand_name(text, core, result.end, result.entity_type):
                continue
        kept.append(result)
    return kept
