"""English and Dutch labels for the console: English is the key, Dutch the translation."""

from __future__ import annotations

from collections.abc import Callable

from flask import Request

LANGUAGES = ("en", "nl")
LANGUAGE_COOKIE = "ps_lang"

DUTCH: dict[str, str] = {
    "Privacy Service console": "Privacy Service-console",
    "Skip to content": "Naar de inhoud",
    "Sign in": "Inloggen",
    "Sign out": "Uitloggen",
    "E-mail": "E-mail",
    "Password": "Wachtwoord",
    "Signed in as {name} ({role})": "Ingelogd als {name} ({role})",
    "Sign-in failed: the e-mail or password is wrong, or the account is locked for a while "
    "after repeated failures.": "Inloggen mislukt: het e-mailadres of wachtwoord klopt niet, of "
    "het account is tijdelijk geblokkeerd na herhaalde mislukte pogingen.",
    "Too many failed sign-ins from this address; try again in {seconds} seconds.": "Te veel "
    "mislukte pogingen vanaf dit adres; probeer het over {seconds} seconden opnieuw.",
    "Second factor": "Tweede factor",
    "Code from your authenticator app": "Code uit uw authenticator-app",
    "Check code": "Code controleren",
    "The code is wrong or was already used.": "De code klopt niet of is al gebruikt.",
    "Change password": "Wachtwoord wijzigen",
    "Current password": "Huidig wachtwoord",
    "New password": "Nieuw wachtwoord",
    "New password again": "Nieuw wachtwoord nogmaals",
    "The two new passwords differ.": "De twee nieuwe wachtwoorden verschillen.",
    "Choose a new password before you go on.": "Kies een nieuw wachtwoord voordat u verdergaat.",
    "Your password has been changed.": "Uw wachtwoord is gewijzigd.",
    "Home": "Start",
    "Account": "Account",
    "Users": "Gebruikers",
    "Language": "Taal",
    "Reply checker": "Antwoordcontrole",
    "Redaction playground": "Redactie-oefenruimte",
    "Audit log": "Auditlog",
    "Two-factor sign-in": "Inloggen met twee factoren",
    "Two-factor sign-in is on.": "Inloggen met twee factoren staat aan.",
    "Two-factor sign-in is off.": "Inloggen met twee factoren staat uit.",
    "Add this key to your authenticator app, then type the code it shows.": "Voeg deze sleutel "
    "toe aan uw authenticator-app en typ de code die de app toont.",
    "Key": "Sleutel",
    "Turn on": "Aanzetten",
    "Name": "Naam",
    "Role": "Rol",
    "State": "Status",
    "Last sign-in": "Laatst ingelogd",
    "active": "actief",
    "disabled": "uitgeschakeld",
    "Disable": "Uitschakelen",
    "New user": "Nieuwe gebruiker",
    "Create user": "Gebruiker aanmaken",
    "Created {email}. One-time password (shown once; it must be changed at first sign-in):": (
        "{email} aangemaakt. Eenmalig wachtwoord (eenmaal getoond; bij de eerste keer inloggen "
        "wijzigen):"
    ),
    "Disabled {email}; their sessions have ended.": "{email} uitgeschakeld; de sessies zijn "
    "beëindigd.",
    "Error": "Fout",
    "Back to the console": "Terug naar de console",
    "Pages for your role": "Pagina's voor uw rol",
    "moderator": "moderator",
    "privacy_officer": "privacy officer",
    "auditor": "auditor",
    "admin": "beheerder",
    "Main navigation": "Hoofdnavigatie",
    "Yes": "Ja",
    "No": "Nee",
    "Two-factor": "Twee factoren",
    "Reply": "Antwoord",
    "Thread item answered (its id; optional)": "Beantwoord bericht (het id; optioneel)",
    "With the item, the customer's own data is told apart and a greeting by first name is "
    "allowed.": "Met het bericht worden de eigen gegevens van de klant herkend en mag u de klant "
    "met de voornaam begroeten.",
    "Platform": "Platform",
    "the item's platform, or the default policy": "het platform van het bericht, of het "
    "standaardbeleid",
    "Where the reply goes": "Waar het antwoord verschijnt",
    "public": "openbaar",
    "private": "privé",
    "Check reply": "Antwoord controleren",
    "Verdict": "Oordeel",
    "allow": "toegestaan",
    "redact": "redigeren",
    "block": "blokkeren",
    "pass": "doorlaten",
    "Findings in the reply": "Gevonden in het antwoord",
    "Reasons": "Redenen",
    "The reply as it may be posted": "Het antwoord zoals het geplaatst mag worden",
    "Suggested reply: continue in private": "Voorgesteld antwoord: verder in een privébericht",
    "Text": "Tekst",
    "detect": "herkennen",
    "Operator": "Bewerking",
    "replace": "vervangen",
    "mask": "maskeren",
    "hash": "hashen",
    "pseudonymize": "pseudonimiseren",
    "Find and redact": "Zoeken en redigeren",
    "Findings": "Gevonden gegevens",
    "language": "taal",
    "Redacted": "Geredigeerd",
    "Type": "Soort",
    "Score": "Score",
    "Why": "Waarom",
    "context word": "contextwoord",
    "Type or paste a text first.": "Typ of plak eerst een tekst.",
}


def choose_language(request: Request) -> str:
    """Return the page language: `?lang=`, else the language cookie, else Accept-Language."""
    for choice in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if choice in LANGUAGES:
            return choice
    return request.accept_languages.best_match(LANGUAGES) or "en"


def translator(language: str) -> Callable[..., str]:
    """Return the function templates call as `_("...")`, with `{name}` values filled in."""
    catalog = DUTCH if language == "nl" else {}

    def translate(text: str, **values: object) -> str:
        return catalog.get(text, text).format(**values) if values else catalog.get(text, text)

    return translate
