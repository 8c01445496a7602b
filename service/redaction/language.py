"""Offline English/Dutch language detection for short social-media texts."""

from __future__ import annotations

import regex as re
from py3langid.langid import MODEL_FILE, LanguageIdentifier

#: Languages the engine supports, in order of preference when detection is unsure.
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "nl")
DEFAULT_LANGUAGE = "en"

#: Below this probability (of two languages) the guess is no better than the default.
MIN_CONFIDENCE = 0.6

# Handles, hashtags, e-mail addresses, URLs and numbers say nothing about the language
# of a comment but add n-grams, so they are removed before classification.
_LANGUAGE_NEUTRAL = re.compile(
    r"\S+@\S+|https?://\S+|www\.\S+|[@#][\w.]+|[\d\W_]+(?=\s|$)", re.UNICODE
)


class LanguageDetector:
    """Decide between English and Dutch with py3langid's bundled model, restricted to both."""

    def __init__(self) -> None:
        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._identifier.set_languages(list(SUPPORTED_LANGUAGES))

    def detect(self, text: str) -> str:
        """Return "en" or "nl" for the text; short or ambiguous text counts as English."""
        words = _LANGUAGE_NEUTRAL.sub(" ", text).strip()
        if not any(char.isalpha() for char in words):
            return DEFAULT_LANGUAGE
        language, confidence = self._identifier.classify(words)
        if confidence < MIN_CONFIDENCE:
            return DEFAULT_LANGUAGE
        return language
