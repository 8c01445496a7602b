"""E-mail addresses and web addresses, validated against the bundled public-suffix list."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import tldextract
from presidio_analyzer.predefined_recognizers import EmailRecognizer

from service.redaction.recognizers.base import RuleRecognizer


@functools.cache
def offline_extractor() -> tldextract.TLDExtract:
    """Return a tldextract extractor that only ever reads its bundled suffix snapshot."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recognizer, validating domains without reaching the network."""

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        """Return e-mail addresses; a text without "@" holds none, so it is not searched."""
        if "@" not in text:
            return []
        return super().analyze(text, entities, nlp_artifacts, regex_flags)

    def validate_result(self, pattern_text: str) -> bool:
        """Accept the match when its domain ends in a known public suffix."""
        return offline_extractor()(pattern_text).fqdn != ""


# Link shorteners hide the target behind an opaque code; the code itself names nobody,
# so such links are left readable. Profile links are found by ProfileUrlRecognizer.
LINK_SHORTENER_HOSTS = frozenset(
    {
        "t.co",
        "bit.ly",
        "goo.gl",
        "ow.ly",
        "tinyurl.com",
        "buff.ly",
        "dlvr.it",
        "ift.tt",
        "wp.me",
        "j.mp",
        "lnkd.in",
        "is.gd",
        "tr.im",
        "su.pr",
        "shar.es",
        "tiny.cc",
        "rebrand.ly",
        "cutt.ly",
        "t.ly",
        "shorturl.at",
        "youtu.be",
        "amzn.to",
        "spoti.fi",
        "apple.co",
        "ht.ly",
        "tl.gd",
        "post.ly",
        "fb.me",
        "trib.al",
        "bbc.in",
        "nyti.ms",
        "on.fb.me",
        "tmblr.co",
        "instagr.am",
        "db.tt",
        "flic.kr",
    }
)
# A link whose path is only an opaque code ("/2pdvtr", "/p/45666421", "?v=aWISNF3k") points
# at a photo, post or video and names nobody; a path with words ("/LoisCollis",
# "/jan-de-vries") may name its owner and is kept.
_PATH_TOKEN_RE = re.compile(r"[^/?&=#]+")
_CAMEL_WORDS_RE = re.compile(r"(?:[A-Z][a-z]{2,})+")
_LINK_KIND_WORDS = frozenset({"p", "x", "v", "t", "s", "watch", "photo", "video", "post", "img"})
# Bare host names (no scheme, no www) are only taken with these common suffixes:
# the full suffix list contains words ("how", "so", "me") that follow a missing space.
_BARE_SUFFIXES = (
    "com|net|org|edu|gov|info|biz|io|co|uk|nl|be|de|fr|es|it|eu|ch|at|se|no|dk|fi|pl|pt|ie"
    "|ca|au|nz|us|app|dev|ly|tv|me|gl|ai|online|site|shop|blog"
)
_URL_RE = re.compile(
    r"(?<![\w@.\-])(?:"
    r"(?P<scheme>https?://|www\d{0,3}\.)[^\s<>\"'()\[\]{}]+"
    r"|(?P<bare>(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+(?:" + _BARE_SUFFIXES + r"))"
    r"(?![\w@\-])(?:/[^\s<>\"'()\[\]{}]*)?"
    r")",
    re.I,
)
_MISSING_SPACE_RE = re.compile(r"[a-z]{2,}\.[A-Z][a-z]{0,2}")
_URL_PREFILTER = re.compile(r"\w\.\w")
_TRAILING_PUNCTUATION = ".,;:!?…"


def is_opaque_code(token: str) -> bool:
    """Tell whether a path or query token is a random-looking code, not a word or name."""
    if not 4 <= len(token) <= 16 or not re.fullmatch(r"[A-Za-z0-9_\-]+", token):
        return False
    has_digit = any(ch.isdigit() for ch in token)
    letters = [ch for ch in token if ch.isalpha()]
    if has_digit:
        return bool(letters) or len(token) >= 6
    mixed = any(ch.islower() for ch in letters) and any(ch.isupper() for ch in letters)
    return mixed and not _CAMEL_WORDS_RE.fullmatch(token)


def is_opaque_link(url: str) -> bool:
    """Tell whether a URL's path and query are only opaque codes (and link-kind words)."""
    rest = re.sub(r"^[a-z]+://", "", url, flags=re.I)
    _, _, path = rest.partition("/")
    tokens = _PATH_TOKEN_RE.findall(path)
    if not tokens:
        return False
    codes = [t for t in tokens if t.lower() not in _LINK_KIND_WORDS]
    return len(tokens) <= 3 and len(codes) == 1 and is_opaque_code(codes[0])


def url_host(url: str) -> str:
    """Return the lower-cased host of a URL written with or without a scheme."""
    host = re.sub(r"^[a-z]+://", "", url, flags=re.I).split("/", 1)[0].split("?", 1)[0]
    return host.split(":", 1)[0].lower().removeprefix("www.")


class WebUrlRecognizer(RuleRecognizer):
    """Find web addresses (with a scheme, www., or a bare host with a common suffix)."""

    entity_type = "URL"
    prefilter = _URL_PREFILTER

    def __init__(self, supported_language: str = "en", name: str | None = None) -> None:
        super().__init__(supported_language=supported_language, name=name)
        # Build the suffix trie now rather than on the first text analysed.
        offline_extractor()("example.com")

    def find(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        """Yield each web address except link-shortener links."""
        extract = offline_extractor()
        for match in _URL_RE.finditer(text):
            start, end = match.span()
            while end > start and text[end - 1] in _TRAILING_PUNCTUATION:
                end -= 1
            url = text[start:end]
            host = url_host(url)
            if host in LINK_SHORTENER_HOSTS or is_opaque_link(url):
                continue
            if match.group("bare") and _MISSING_SPACE_RE.fullmatch(url):
                continue  # "gorgeous.It was": a sentence with no space after the full stop
            if not extract(host).suffix:
                continue
            yield start, end, (0.6 if match.group("scheme") else 0.5), "url"
