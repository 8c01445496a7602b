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
    "Checkpoints, keys and verification": "Checkpoints, sleutels en verificatie",
    "Filters": "Filters",
    "From (UTC)": "Vanaf (UTC)",
    "Until (UTC)": "Tot en met (UTC)",
    "Action": "Actie",
    "Actor id (key or user)": "Id van de actor (sleutel of gebruiker)",
    "Subject reference": "Betrokkene-referentie",
    "Request id": "Verzoek-id",
    "Show events": "Gebeurtenissen tonen",
    "Download these events, signed": "Deze gebeurtenissen ondertekend downloaden",
    "When (UTC)": "Wanneer (UTC)",
    "Actor": "Actor",
    "Target": "Doel",
    "Outcome": "Uitkomst",
    "Details": "Details",
    "No events match (events appear once the signer has placed them in the tree).": "Geen "
    "gebeurtenissen gevonden (een gebeurtenis verschijnt zodra de ondertekenaar haar in de boom "
    "heeft geplaatst).",
    "Next page": "Volgende pagina",
    "Checkpoints": "Checkpoints",
    "Verify the log": "Het log verifiëren",
    "Re-hashes every event from a signed size on and checks each checkpoint's signature, on the "
    "workers.": "Berekent de hash van elke gebeurtenis vanaf een ondertekende grootte opnieuw en "
    "controleert de handtekening van elk checkpoint, op de workers.",
    "From the checkpoint of size (0: the whole log)": "Vanaf het checkpoint met grootte (0: het "
    "hele log)",
    "Start verification": "Verificatie starten",
    "Verifier keys": "Verificatiesleutels",
    "Origin": "Herkomst",
    "Verifier key": "Verificatiesleutel",
    "current": "huidig",
    "Fingerprint (SHA-256)": "Vingerafdruk (SHA-256)",
    "No signing key is known yet: start the audit signer.": "Nog geen ondertekensleutel bekend: "
    "start de audit-ondertekenaar.",
    "Latest checkpoint": "Laatste checkpoint",
    "Tree size": "Boomgrootte",
    "signed": "ondertekend",
    "Signed": "Ondertekend",
    "No checkpoint has been signed yet: is the audit signer running?": "Er is nog geen "
    "checkpoint ondertekend: draait de audit-ondertekenaar?",
    "All checkpoints": "Alle checkpoints",
    "Root hash": "Wortelhash",
    "Signatures": "Handtekeningen",
    "Verification": "Verificatie",
    "Waiting for a worker…": "Wachten op een worker…",
    "Checking: {checked} of {total} events": "Bezig: {checked} van {total} gebeurtenissen",
    "The log is intact": "Het log is intact",
    "The log does not verify": "Het log klopt niet",
    "This page reloads itself every 2 seconds.": "Deze pagina ververst zich elke 2 seconden.",
    "From size": "Vanaf grootte",
    "Events checked": "Gecontroleerde gebeurtenissen",
    "First bad event": "Eerste foute gebeurtenis",
    "Reason": "Reden",
    "Requested": "Aangevraagd",
    "Finished": "Klaar",
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
