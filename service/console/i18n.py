"""English and Dutch labels for the console: English is the key, Dutch the translation."""

from __future__ import annotations

from collections.abc import Callable

from flask import Request

from service.console import i18n_admin

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
    "Requests": "Verzoeken",
    "New request": "Nieuw verzoek",
    "Queue views": "Weergaven van de wachtrij",
    "All": "Alle",
    "Overdue": "Te laat",
    "Due within 7 days": "Binnen 7 dagen af",
    "Awaiting the subject's identity": "Wacht op de identiteit van de betrokkene",
    "Unacknowledged": "Ontvangst niet bevestigd",
    "Status": "Status",
    "any": "alle",
    "Regime": "Regime",
    "Show requests": "Verzoeken tonen",
    "{count} requests": "{count} verzoeken",
    "Due": "Uiterlijk",
    "Time left": "Resterende tijd",
    "Received": "Ontvangen",
    "confirm receipt by": "ontvangst bevestigen voor",
    "No request matches.": "Geen verzoek gevonden.",
    "access": "inzage",
    "portability": "overdraagbaarheid",
    "erasure": "wissen",
    "rectification": "rectificatie",
    "objection": "bezwaar",
    "restriction": "beperking",
    "opt_out": "opt-out",
    "received": "ontvangen",
    "verified": "geverifieerd",
    "in_progress": "in behandeling",
    "completed": "afgerond",
    "denied": "afgewezen",
    "cancelled": "ingetrokken",
    "Received by": "Ontvangen via",
    "Received at (local time where the request is counted)": (
        "Ontvangen op (lokale tijd waar het verzoek geteld wordt)"
    ),
    "E-mail addresses (one a line)": "E-mailadressen (één per regel)",
    "Handles as platform:handle (one a line)": "Accounts als platform:naam (één per regel)",
    "Phone numbers (one a line)": "Telefoonnummers (één per regel)",
    "Names (one a line)": "Namen (één per regel)",
    "Made by": "Ingediend door",
    "the data subject": "de betrokkene",
    "an authorized agent": "een gemachtigde",
    "Agent's name": "Naam van de gemachtigde",
    "Agent's proof of authority": "Bewijs van de machtiging",
    "File request": "Verzoek vastleggen",
    "Request": "Verzoek",
    "Deadlines": "Termijnen",
    "extended; first due": "verlengd; eerst uiterlijk",
    "Confirm receipt by": "Ontvangst bevestigen voor",
    "confirmed": "bevestigd",
    "Closed": "Gesloten",
    "Data subject": "Betrokkene",
    "Phone": "Telefoon",
    "The identifiers have been minimised.": "De gegevens van de betrokkene zijn verwijderd.",
    "Audit reference": "Auditreferentie",
    "Identity verified by": "Identiteit vastgesteld via",
    "Package": "Pakket",
    "The package has expired.": "Het pakket is verlopen.",
    "Download the package": "Het pakket downloaden",
    "until": "tot",
    "downloaded {count} times": "{count} keer gedownload",
    "Result": "Resultaat",
    "Actions": "Acties",
    "Verify the identity": "Identiteit vaststellen",
    "Method": "Methode",
    "Data points that matched": "Gegevens die overeenkwamen",
    "A signed declaration was received (CCPA)": "Een ondertekende verklaring is ontvangen (CCPA)",
    "Notes": "Notities",
    "Mark verified": "Als geverifieerd markeren",
    "Confirm receipt": "Ontvangst bevestigen",
    "Sent by": "Verstuurd via",
    "Record confirmation": "Bevestiging vastleggen",
    "Carry out": "Uitvoeren",
    "Reason (needed to go ahead despite unreviewed legal flags)": "Reden (nodig om door te gaan "
    "ondanks onbeoordeelde juridische markeringen)",
    "Go ahead although legal flags are unreviewed": "Doorgaan hoewel juridische markeringen "
    "niet beoordeeld zijn",
    "Carry out the request": "Het verzoek uitvoeren",
    "Extend the deadline": "De termijn verlengen",
    "Months (GDPR)": "Maanden (AVG)",
    "Extend": "Verlengen",
    "Deny": "Afwijzen",
    "Basis": "Grondslag",
    "Deny the request": "Het verzoek afwijzen",
    "Cancel": "Intrekken",
    "Cancel the request": "Het verzoek intrekken",
    "History": "Geschiedenis",
    "Privacy requests": "Privacyverzoeken",
    "Make a privacy request": "Een privacyverzoek doen",
    "Ask for a copy of your data, to have it erased or corrected, or to object to its use. We "
    "send a code to your e-mail address to confirm the request; we may ask you to prove who you "
    "are before we act on it.": "Vraag een kopie van uw gegevens, laat ze wissen of corrigeren, "
    "of maak bezwaar tegen het gebruik ervan. We sturen een code naar uw e-mailadres om het "
    "verzoek te bevestigen; mogelijk vragen we u aan te tonen wie u bent voordat we het uitvoeren.",
    "What would you like us to do?": "Wat wilt u dat wij doen?",
    "Where do you live?": "Waar woont u?",
    "The European Union, the EEA or the United Kingdom": "De Europese Unie, de EER of het "
    "Verenigd Koninkrijk",
    "California, United States": "Californië, Verenigde Staten",
    "Your e-mail address (for our replies)": "Uw e-mailadres (voor onze antwoorden)",
    "Your social-media accounts as platform:handle, one a line (optional)": "Uw accounts op "
    "sociale media als platform:naam, één per regel (optioneel)",
    "Other e-mail addresses you used with us, one a line (optional)": "Andere e-mailadressen "
    "die u bij ons gebruikte, één per regel (optioneel)",
    "Phone numbers, one a line (optional)": "Telefoonnummers, één per regel (optioneel)",
    "Your name (optional)": "Uw naam (optioneel)",
    "Send the request": "Verzoek versturen",
    "Give the e-mail address for our replies.": "Geef het e-mailadres voor onze antwoorden.",
    "Say where you live.": "Geef aan waar u woont.",
    "Confirm your request": "Uw verzoek bevestigen",
    "We sent a code to the e-mail address you gave. Enter it here within 30 minutes.": "We "
    "hebben een code gestuurd naar het e-mailadres dat u opgaf. Vul die hier binnen 30 minuten in.",
    "Code": "Code",
    "Confirm": "Bevestigen",
    "Your request": "Uw verzoek",
    "Keep the address of this page to yourself: anyone with it can see your request.": "Houd "
    "het adres van deze pagina voor uzelf: iedereen die het heeft, kan uw verzoek zien.",
    "We answer by": "We antwoorden uiterlijk",
    "Download your data": "Uw gegevens downloaden",
    "The download has expired.": "De download is verlopen.",
    "portal:access": "Geef mij een kopie van mijn gegevens",
    "portal:portability": "Geef mij mijn gegevens in een vorm die ik kan meenemen",
    "portal:erasure": "Wis mijn gegevens",
    "portal:rectification": "Corrigeer mijn gegevens",
    "portal:objection": "Stop met het gebruik van mijn gegevens",
    "portal:opt_out": "Verkoop of deel mijn gegevens niet",
    "portal-status:received": "Ontvangen; we controleren wie u bent",
    "portal-status:verified": "Bevestigd; we werken eraan",
    "portal-status:in_progress": "We werken eraan",
    "portal-status:completed": "Klaar",
    "portal-status:denied": "We konden het niet uitvoeren; we hebben u geschreven waarom",
    "portal-status:cancelled": "Ingetrokken",
}


# Labels whose key is not itself the English text (the portal's wording for the person).
ENGLISH: dict[str, str] = {
    "portal:access": "Give me a copy of my data",
    "portal:portability": "Give me my data in a form I can take elsewhere",
    "portal:erasure": "Erase my data",
    "portal:rectification": "Correct my data",
    "portal:objection": "Stop using my data",
    "portal:opt_out": "Do not sell or share my data",
    "portal-status:received": "Received; we are checking who you are",
    "portal-status:verified": "Confirmed; we are working on it",
    "portal-status:in_progress": "We are working on it",
    "portal-status:completed": "Done",
    "portal-status:denied": "We could not carry it out; we wrote to you why",
    "portal-status:cancelled": "Withdrawn",
}


def choose_language(request: Request) -> str:
    """Return the page language: `?lang=`, else the language cookie, else Accept-Language."""
    for choice in (request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE)):
        if choice in LANGUAGES:
            return choice
    return request.accept_languages.best_match(LANGUAGES) or "en"


def translator(language: str) -> Callable[..., str]:
    """Return the function templates call as `_("...")`, with `{name}` values filled in."""
    catalog = {**ENGLISH, **DUTCH} if language == "nl" else ENGLISH

    def translate(text: str, **values: object) -> str:
        label = catalog.get(text, text)
        return label.format(**values) if values else label

    return translate


# The labels of the report, admin and witness pages live in their own module.
for _key, _label in i18n_admin.DUTCH.items():
    DUTCH.setdefault(_key, _label)
for _key, _label in i18n_admin.ENGLISH.items():
    ENGLISH.setdefault(_key, _label)
