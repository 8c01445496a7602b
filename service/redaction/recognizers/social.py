"""Social-media identifiers: @handles and links to personal profiles."""

from __future__ import annotations

import re
from collections.abc import Iterator

from service.redaction.recognizers.base import RuleRecognizer
from service.redaction.recognizers.web import is_opaque_code

# An @ that starts a handle: not glued to a preceding word character, dot or @, so
# the local part of an e-mail address (jan@example.com) never qualifies.
_HANDLE_RE = re.compile(
    r"(?<![\w@.+\-/])@(?P<name>[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)(?![\w@]|\.\w)"
)
# X/Twitter caps handles at 15 word characters; Instagram and TikTok allow dots and
# up to 30 characters. A dotted name that ends in a known domain suffix is an
# e-mail domain or host, not a handle.
_DOMAIN_LIKE_RE = re.compile(r"\.(?:com|net|org|nl|be|de|uk|io|co|eu|info|fr|es|it)$", re.I)

_PROFILE_HOSTS = (
    r"twitter\.com",
    r"x\.com",
    r"instagram\.com",
    r"tiktok\.com",
    r"facebook\.com",
    r"fb\.com",
    r"fb\.me",
    r"threads\.net",
    r"linkedin\.com/in",
    r"youtube\.com",
    r"reddit\.com/u(?:ser)?",
    r"github\.com",
    r"snapchat\.com/add",
    r"pinterest\.com",
    r"twitch\.tv",
    r"t\.me",
    r"mastodon\.social",
    r"bsky\.app/profile",
)
# Paths under a profile host that are site pages rather than a person's profile.
_NON_PROFILE_PATHS = frozenset(
    {
        "home",
        "search",
        "explore",
        "hashtag",
        "i",
        "intent",
        "share",
        "sharer",
        "login",
        "signup",
        "settings",
        "help",
        "about",
        "privacy",
        "terms",
        "watch",
        "results",
        "events",
        "groups",
        "pages",
        "notifications",
        "messages",
        "p",
        "reel",
        "reels",
        "status",
        "tv",
        "stories",
        "policies",
        "legal",
        "jobs",
        "feed",
        "channel",
    }
)
_PROFILE_URL_RE = re.compile(
    r"(?<![\w.@/])(?:https?://)?(?:(?:www|m|mobile|web|[a-z]{2})\.)?"
    r"(?:" + "|".join(_PROFILE_HOSTS) + r")"
    r"/(?P<user>@?[\w.\-]{1,60})(?:/[^\s<>\"')\]]*)?",
    re.I,
)
# Words one of which every profile URL holds (see RuleRecognizer.prefilter_words).
_PROFILE_WORDS = (
    *("twitter", "x.com", "instagram", "tiktok", "facebook", "fb.", "threads", "linkedin"),
    *("youtube", "reddit", "github", "snapchat", "pinterest", "twitch", "t.me", "mastodon"),
    "bsky",
)


class SocialHandleRecognizer(RuleRecognizer):
    """Find @handles of X/Twitter (1-15 word characters) and Instagram/TikTok (up to 30)."""

    entity_type = "SOCIAL_HANDLE"
    prefilter = re.compile("@")

    def find(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        """Yield each @handle that is not part of an e-mail address."""
        for match in _HANDLE_RE.finditer(text):
            name = match.group("name")
            if "." in name and _DOMAIN_LIKE_RE.search(name):
                continue
            if name.isdigit() and len(name) < 3:
                # "@ 2pm" style times and "@1" counters are not accounts.
                continue
            rule = "x_handle" if len(name) <= 15 and "." not in name else "instagram_handle"
            yield match.start(), match.end(), 0.85, rule


class ProfileUrlRecognizer(RuleRecognizer):
    """Find links to a person's profile on the big social platforms."""

    entity_type = "PROFILE_URL"
    prefilter_words = _PROFILE_WORDS

    def find(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        """Yield each social-platform URL whose first path segment names an account."""
        for match in _PROFILE_URL_RE.finditer(text):
            user = match.group("user").lstrip("@").lower()
            if not user or user in _NON_PROFILE_PATHS:
                continue
            if "fb.me/" in match.group().lower() and is_opaque_code(match.group("user")):
                continue  # a Facebook short link to a post, not a page name
            end = match.end()
            while end > match.start() and text[end - 1] in ".,;:!?":
                end -= 1
            yield match.start(), end, 0.9, "profile_url"
