"""Notices to the data subject: versioned templates per regime and language, recorded as sent.

A notice is rendered from a template named ``<kind>/<version>`` in the request's language (en,
nl) with the wording of its regime, stored with the one address it went to, and sent through
the configured channel (``record_only`` unless an SMTP server is configured). What is stored is
exactly what was sent: the request id, type, dates, the officer's reasons and the controller's
contact details; never the subject's identifiers beyond the address.

Why each notice exists:

``acknowledgement``
    CCPA regulations § 7021(a): confirm receipt of a request to know, delete or correct within
    10 business days, and say how the request will be processed.
``information_request``
    GDPR Art. 12(6): ask for what is needed to confirm the identity; EDPB Guidelines 01/2022:
    ask for what is needed to clarify the request.
``extension``
    GDPR Art. 12(3): tell the subject of an extension within the first month, with the reasons;
    CCPA regulations § 7021(b): notice and explanation of the reason within the first 45 days.
``denial``
    GDPR Art. 12(4): the reasons for not taking action, and the possibility of lodging a
    complaint with a supervisory authority and of seeking a judicial remedy; CCPA regulations
    § 7022(f) (deletion), § 7024 (know), § 7026(e) (opt-out): the basis for the denial.
``completion``
    GDPR Art. 12(3), 19; CCPA regulations § 7022(c)-(d): the action taken on the request.
``restriction_lifted``
    GDPR Art. 18(3): a subject who obtained restriction is told before it is lifted.
``package_link``
    GDPR Art. 15(3), 12(1); CCPA regulations § 7024: the copy of the data, delivered securely
    through a one-time link (the stored text has a placeholder instead of the link).
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from datetime import UTC, datetime
from string import Template
from typing import Any
from uuid import UUID

import psycopg

from service.db import queries
from service.dsr.mail import send_mail
from service.dsr.settings import DsrSettings
from service.errors import NotFound

NOTICE_KINDS = (
    "acknowledgement",
    "information_request",
    "extension",
    "denial",
    "completion",
    "restriction_lifted",
    "package_link",
)
# What a stored notice shows instead of a download link: the stored text never opens it.
LINK_PLACEHOLDER = "[one-time download link, sent only in the message]"
TEMPLATE_VERSION = 1

_TYPE_WORDS = {
    "en": {
        "access": "access to your personal data",
        "portability": "a copy of your personal data (portability)",
        "erasure": "erasure of your personal data",
        "rectification": "correction of your personal data",
        "objection": "objection to the processing of your personal data",
        "restriction": "restriction of the processing of your personal data",
        "opt_out": "opting out of the sale or sharing of your personal information",
    },
    "nl": {
        "access": "inzage in uw persoonsgegevens",
        "portability": "een kopie van uw persoonsgegevens (overdraagbaarheid)",
        "erasure": "wissing van uw persoonsgegevens",
        "rectification": "rectificatie van uw persoonsgegevens",
        "objection": "bezwaar tegen de verwerking van uw persoonsgegevens",
        "restriction": "beperking van de verwerking van uw persoonsgegevens",
        "opt_out": "afmelding voor de verkoop of het delen van uw persoonsgegevens",
    },
}
_CCPA_TYPE_WORDS = {
    "access": "a request to know",
    "portability": "a request to know",
    "erasure": "a request to delete",
    "rectification": "a request to correct",
    "opt_out": "a request to opt out of sale or sharing",
    "restriction": "a request to limit the use of sensitive personal information",
}

# Remedies, per regime and language: what a denial must tell the subject.
_REMEDIES = {
    ("gdpr", "en"): (
        "You have the right to lodge a complaint with a supervisory authority (GDPR Art. 77), in "
        "particular in the EU/EEA member state where you live, where you work or where you think "
        "the infringement took place, and the right to seek a judicial remedy before a court "
        "(Art. 78 and 79)."
    ),
    ("gdpr", "nl"): (
        "U hebt het recht een klacht in te dienen bij een toezichthoudende autoriteit (AVG "
        "art. 77), in het bijzonder in de EU/EER-lidstaat waar u woont, werkt of waar de "
        "vermeende inbreuk plaatsvond (in Nederland: de Autoriteit Persoonsgegevens), en het "
        "recht een voorziening in rechte in te stellen bij de rechter (art. 78 en 79)."
    ),
    ("ccpa", "en"): (
        "If you believe we did not respond as the California Consumer Privacy Act requires, you "
        "may file a complaint with the California Privacy Protection Agency (cppa.ca.gov) or the "
        "California Attorney General (oag.ca.gov/privacy), and you may have remedies in court."
    ),
    ("ccpa", "nl"): (
        "Als u vindt dat wij niet hebben geantwoord zoals de California Consumer Privacy Act "
        "vereist, kunt u een klacht indienen bij de California Privacy Protection Agency "
        "(cppa.ca.gov) of de California Attorney General (oag.ca.gov/privacy), en u kunt zich "
        "tot de rechter wenden."
    ),
}

_SUBJECTS = {
    "en": {
        "acknowledgement": "We received your request ($request_ref)",
        "information_request": "We need more information for your request ($request_ref)",
        "extension": "We need more time for your request ($request_ref)",
        "denial": "We cannot act on your request ($request_ref)",
        "completion": "Your request has been handled ($request_ref)",
        "restriction_lifted": "The restriction of your data will be lifted ($request_ref)",
        "package_link": "Your personal data is ready to download ($request_ref)",
    },
    "nl": {
        "acknowledgement": "Wij hebben uw verzoek ontvangen ($request_ref)",
        "information_request": "Wij hebben meer informatie nodig voor uw verzoek ($request_ref)",
        "extension": "Wij hebben meer tijd nodig voor uw verzoek ($request_ref)",
        "denial": "Wij kunnen uw verzoek niet inwilligen ($request_ref)",
        "completion": "Uw verzoek is afgehandeld ($request_ref)",
        "restriction_lifted": "De beperking van uw gegevens wordt opgeheven ($request_ref)",
        "package_link": "Uw persoonsgegevens staan klaar om te downloaden ($request_ref)",
    },
}

_BODIES = {
    "en": {
        "acknowledgement": (
            "We received your request for $type_words on $received_on. We will answer it by "
            "$due_on. If we need to confirm who you are, we will tell you what we need."
        ),
        "information_request": (
            "To act on your request for $type_words we need the following from you:\n\n$what\n\n"
            "Why we ask: $reason\n\n$clock"
        ),
        "extension": (
            "Your request for $type_words needs more time than the law first allows. We will "
            "answer it by $due_on instead of $previous_due_on.\n\nThe reasons: $reason"
        ),
        "denial": (
            "We will not act on your request for $type_words.\n\nThe basis: $basis_words\n\n"
            "The reasons: $reason\n\n$remedies"
        ),
        "completion": "We have handled your request for $type_words.\n\n$outcome_words",
        "restriction_lifted": (
            "The processing of your personal data was restricted at your request. That "
            "restriction will be lifted.\n\nThe reasons: $reason\n\n$remedies"
        ),
        "package_link": (
            "A copy of your personal data (request for $type_words) is ready. Download it once, "
            "before $link_expires_at, from:\n\n$link\n\nThe link works one time only. If it "
            "has expired or does not work, write to us for a new one."
        ),
    },
    "nl": {
        "acknowledgement": (
            "Wij hebben uw verzoek om $type_words ontvangen op $received_on. Wij beantwoorden "
            "het uiterlijk op $due_on. Als wij uw identiteit moeten bevestigen, laten wij u "
            "weten wat wij nodig hebben."
        ),
        "information_request": (
            "Om uw verzoek om $type_words te kunnen behandelen hebben wij het volgende van u "
            "nodig:\n\n$what\n\nWaarom wij dit vragen: $reason\n\n$clock"
        ),
        "extension": (
            "Uw verzoek om $type_words vraagt meer tijd dan de wet eerst toestaat. Wij "
            "beantwoorden het uiterlijk op $due_on in plaats van $previous_due_on.\n\n"
            "De redenen: $reason"
        ),
        "denial": (
            "Wij willigen uw verzoek om $type_words niet in.\n\nDe grondslag: $basis_words\n\n"
            "De redenen: $reason\n\n$remedies"
        ),
        "completion": "Wij hebben uw verzoek om $type_words afgehandeld.\n\n$outcome_words",
        "restriction_lifted": (
            "De verwerking van uw persoonsgegevens is op uw verzoek beperkt. Die beperking "
            "wordt opgeheven.\n\nDe redenen: $reason\n\n$remedies"
        ),
        "package_link": (
            "Een kopie van uw persoonsgegevens (verzoek om $type_words) staat klaar. Download "
            "deze eenmaal, vóór $link_expires_at, via:\n\n$link\n\nDe link werkt één keer. "
            "Is hij verlopen of werkt hij niet, schrijf ons dan voor een nieuwe."
        ),
    },
}

_FOOTERS = {
    "en": "Reference: $request_ref\nContact: $contact",
    "nl": "Kenmerk: $request_ref\nContact: $contact",
}

_BASIS_WORDS = {
    "en": {
        "identity_not_verified": "we could not verify that you are the person the data is about",
        "suspected_fraud": "we have a good-faith, reasonable and documented belief that the "
        "request is fraudulent",
        "agent_not_authorized": "the agent who made the request did not show they may act for you",
        "manifestly_unfounded": "the request is manifestly unfounded",
        "excessive": "the request is excessive",
        "legal_exemption": "a legal exception applies",
        "other": "see the reasons below",
    },
    "nl": {
        "identity_not_verified": "wij konden niet vaststellen dat u de persoon bent om wie het "
        "gaat",
        "suspected_fraud": "wij hebben een gedocumenteerd, redelijk vermoeden te goeder trouw "
        "dat het verzoek frauduleus is",
        "agent_not_authorized": "de vertegenwoordiger die het verzoek deed, heeft niet aangetoond "
        "namens u te mogen optreden",
        "manifestly_unfounded": "het verzoek is kennelijk ongegrond",
        "excessive": "het verzoek is buitensporig",
        "legal_exemption": "er geldt een wettelijke uitzondering",
        "other": "zie de redenen hieronder",
    },
}

_OUTCOME_WORDS = {
    "en": {
        "complied": "We did what you asked.",
        "complied_in_part": "We did what you asked, except for data we must keep by law; that "
        "data is used for that purpose only.",
        "no_data_held": "We hold no personal data about you under the identifiers you gave us.",
        "categories_only": "We could not verify your identity well enough to disclose specific "
        "pieces of personal information, so we answered with the categories of personal "
        "information we hold.",
    },
    "nl": {
        "complied": "Wij hebben gedaan wat u vroeg.",
        "complied_in_part": "Wij hebben gedaan wat u vroeg, behalve voor gegevens die wij "
        "wettelijk moeten bewaren; die gebruiken wij alleen voor dat doel.",
        "no_data_held": "Wij hebben geen persoonsgegevens over u onder de gegevens die u ons gaf.",
        "categories_only": "Wij konden uw identiteit niet voldoende vaststellen om specifieke "
        "gegevens te verstrekken, dus wij hebben geantwoord met de categorieën "
        "persoonsgegevens die wij hebben.",
    },
}

_CLOCK = {
    ("gdpr", "en"): "The time we have to answer is suspended until we receive this.",
    ("gdpr", "nl"): "De termijn waarbinnen wij antwoorden, loopt pas door als wij dit ontvangen.",
    ("ccpa", "en"): "We will still answer within the time the law gives us.",
    ("ccpa", "nl"): "Wij antwoorden nog steeds binnen de termijn die de wet ons geeft.",
}


def render_notice(
    kind: str,
    *,
    regime: str,
    language: str,
    request: Mapping[str, Any],
    controller: Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """Return the template name, subject line and body of a notice, filled in for a request."""
    if kind not in NOTICE_KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    language = language if language in _BODIES else "en"
    context = dict(context or {})
    type_words = (
        _CCPA_TYPE_WORDS.get(request["type"], _TYPE_WORDS[language][request["type"]])
        if regime == "ccpa" and language == "en"
        else _TYPE_WORDS[language][request["type"]]
    )
    values = {
        "request_ref": str(request["id"]),
        "type_words": type_words,
        "received_on": _date_text(request.get("received_on")),
        "due_on": _date_text(context.pop("due_on", None) or request.get("due_on")),
        "previous_due_on": _date_text(context.pop("previous_due_on", None)),
        "contact": controller.get("contact") or "the contact address in our privacy notice",
        "remedies": _REMEDIES[(regime, language)],
        "clock": _CLOCK[(regime, language)],
        "reason": context.pop("reason", None) or "-",
        "what": context.pop("what", None) or "-",
        "basis_words": _BASIS_WORDS[language].get(context.pop("basis", "other"), "-"),
        "outcome_words": _OUTCOME_WORDS[language].get(context.pop("outcome", "complied"), ""),
        "link": context.pop("link", None) or LINK_PLACEHOLDER,
        "link_expires_at": _date_text(context.pop("link_expires_at", None)),
    }
    body = Template(_BODIES[language][kind]).safe_substitute(values)
    footer = Template(_FOOTERS[language]).safe_substitute(values)
    return {
        "template": f"{kind}/{regime}/{language}/v{TEMPLATE_VERSION}",
        "subject_line": Template(_SUBJECTS[language][kind]).safe_substitute(values),
        "body": f"{body}\n\n{footer}\n",
    }


def record_notice(
    conn: psycopg.Connection,
    settings: DsrSettings,
    request: Mapping[str, Any],
    kind: str,
    *,
    context: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Render a notice for a request, store it with its address, send it, and return it.

    The notice goes to the request's contact address, else the subject's first e-mail address;
    with neither, or no SMTP server configured, it is recorded for the officer to deliver. It
    is sent at once, as the last step of the transition that records it: a transition is
    never refused because a mail server is down (the notice then shows ``failed`` and why).
    """
    rendered = render_notice(
        kind,
        regime=request["regime"],
        language=request.get("language") or "en",
        request=request,
        controller=settings.controller,
        context=context,
    )
    stored = rendered
    if context and context.get("link"):
        # The message carries the link; the stored copy has the placeholder instead.
        stored = render_notice(
            kind,
            regime=request["regime"],
            language=request.get("language") or "en",
            request=request,
            controller=settings.controller,
            context={**context, "link": LINK_PLACEHOLDER},
        )
    recipient = notice_address(conn, request["id"])
    row = conn.execute(
        queries()["insert_dsr_notice"],
        {
            "request_id": request["id"],
            "kind": kind,
            "template": rendered["template"],
            "language": request.get("language") or "en",
            "channel": "record_only",
            "recipient": recipient,
            "subject_line": stored["subject_line"],
            "body": stored["body"],
            "status": "recorded",
            "now": now or datetime.now(UTC),
        },
    ).fetchone()
    if settings.smtp is None or recipient is None:
        return row
    try:
        send_mail(
            settings.smtp, to=recipient, subject=rendered["subject_line"], body=rendered["body"]
        )
    except (OSError, smtplib.SMTPException) as exc:
        # The class only: a server's reply can quote the address back.
        delivery = {"status": "failed", "error": type(exc).__name__, "sent_at": None}
    else:
        delivery = {"status": "sent", "error": None, "sent_at": datetime.now(UTC)}
    return conn.execute(
        queries()["update_dsr_notice_delivery"], {"id": row["id"], "channel": "smtp", **delivery}
    ).fetchone()


def notice_address(conn: psycopg.Connection, request_id: UUID) -> str | None:
    """Return where a request's notices go: its contact address, else the subject's e-mail."""
    rows = conn.execute(
        queries()["list_dsr_request_identifiers"], {"request_id": request_id}
    ).fetchall()
    emails = {(r["party"], r["kind"]): r["value"] for r in reversed(rows) if r["kind"] == "email"}
    return emails.get(("requester", "email")) or emails.get(("subject", "email"))


def list_notices(conn: psycopg.Connection, request_id: UUID) -> list[dict[str, Any]]:
    """Return the notices of a request, oldest first; raise NotFound for an unknown request."""
    if conn.execute(queries()["get_dsr_request"], {"id": request_id}).fetchone() is None:
        raise NotFound(f"No data-subject request with id {request_id}.")
    return conn.execute(queries()["list_dsr_notices"], {"request_id": request_id}).fetchall()


def _date_text(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value or "-")
