"""Presidio's predefined pattern recognizers behind a cheap regex gate that skips most texts."""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    IbanRecognizer,
    IpRecognizer,
    UsLicenseRecognizer,
    UsSsnRecognizer,
)


class _Gated:
    """Mixin: run the wrapped recognizer only when its gate regex occurs in the text."""

    gate: re.Pattern[str]

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Return the wrapped recognizer's results, or none when the gate does not match."""
        if not self.gate.search(text):
            return []
        return super().analyze(text, entities, nlp_artifacts, regex_flags)  # type: ignore[misc]


class GatedCreditCardRecognizer(_Gated, CreditCardRecognizer):
    """Presidio's credit-card recognizer, run only on texts with four digits in a row."""

    gate = re.compile(r"\d{4}")


class GatedIbanRecognizer(_Gated, IbanRecognizer):
    """Presidio's IBAN recognizer, run only on texts with a country code and check digits."""

    gate = re.compile(r"[A-Z]{2}\d{2}")


class GatedIpRecognizer(_Gated, IpRecognizer):
    """Presidio's IP recognizer, run only on texts with a dotted digit or an IPv6 colon group."""

    gate = re.compile(r"\d\.\d|[0-9A-Fa-f]:[0-9A-Fa-f:]")


class GatedUsSsnRecognizer(_Gated, UsSsnRecognizer):
    """Presidio's US SSN recognizer, run only on texts with three digits in a row."""

    gate = re.compile(r"\d{3}")


class GatedUsLicenseRecognizer(_Gated, UsLicenseRecognizer):
    """Presidio's US driver's licence recognizer, run only on texts with two digits in a row."""

    gate = re.compile(r"\d\d")
