"""Labels of the report, admin and witness pages: English is the key, Dutch the translation."""

from __future__ import annotations

DUTCH: dict[str, str] = {
    # Reports
    "Reports": "Rapportages",
    "Report": "Rapportage",
    "Requests received in a year, per type and outcome, with the days taken to respond (CCPA "
    "regulations § 7102). One regime per report: GDPR and CCPA figures never mix.": "Verzoeken "
    "ontvangen in een jaar, per soort en uitkomst, met het aantal dagen tot het antwoord (CCPA "
    "regulations § 7102). Eén regime per rapportage: cijfers van AVG en CCPA worden nooit "
    "gemengd.",
    "choose": "kies",
    "Year": "Jaar",
    "Show report": "Rapportage tonen",
    "{regime} requests received in {year}": "{regime}-verzoeken ontvangen in {year}",
    "Requests received per type": "Ontvangen verzoeken per soort",
    "Requests received per CCPA category": "Ontvangen verzoeken per CCPA-categorie",
    "Bar length: requests received; the table below gives every outcome.": "Lengte van de balk: "
    "ontvangen verzoeken; de tabel hieronder geeft elke uitkomst.",
    "Records as CSV": "Registraties als CSV",
    "(every request of the year: dates, manner, response; as in the API's records)": "(elk "
    "verzoek van het jaar: data, wijze, antwoord; als in de registraties van de API)",
    "Figures": "Cijfers",
    "Per CCPA category": "Per CCPA-categorie",
    "Per type": "Per soort",
    "All requests": "Alle verzoeken",
    "Total": "Totaal",
    "CCPA category": "CCPA-categorie",
    "Mean days to respond": "Gemiddeld aantal dagen tot antwoord",
    "Median days to respond": "Mediaan aantal dagen tot antwoord",
    "Choose a regime to see its report.": "Kies een regime om de rapportage te zien.",
    "outcome:complied": "uitgevoerd",
    "outcome:complied_in_part": "deels uitgevoerd",
    "outcome:no_data_held": "geen gegevens",
    "outcome:categories_only": "alleen categorieën",
    "outcome:denied": "afgewezen",
    "outcome:cancelled": "ingetrokken",
    "outcome:open": "open",
    "ccpa:know": "inzage (know)",
    "ccpa:delete": "verwijderen (delete)",
    "ccpa:correct": "corrigeren (correct)",
    "ccpa:opt_out": "opt-out",
    "ccpa:limit": "beperken (limit)",
}

# Labels whose key is not itself the English text.
ENGLISH: dict[str, str] = {
    "outcome:complied": "complied",
    "outcome:complied_in_part": "complied in part",
    "outcome:no_data_held": "no data held",
    "outcome:categories_only": "categories only",
    "outcome:denied": "denied",
    "outcome:cancelled": "cancelled",
    "outcome:open": "open",
    "ccpa:know": "know",
    "ccpa:delete": "delete",
    "ccpa:correct": "correct",
    "ccpa:opt_out": "opt out",
    "ccpa:limit": "limit",
}

DUTCH.update(
    {
        # Witnesses (checkpoints page)
        "Witnesses": "Getuigen",
        "A witness (privacy-service audit witness) runs on an auditor's own machine and keeps "
        "its state there; the log knows of it through the cosignatures it posts back. Each "
        "check below is the one the witness makes on its next run.": "Een getuige "
        "(privacy-service audit witness) draait op de eigen machine van een auditor en bewaart "
        "daar zijn toestand; het log kent hem door de medeondertekeningen die hij terugstuurt. "
        "Elke controle hieronder is die welke de getuige bij zijn volgende run doet.",
        "Cosigning witnesses": "Medeondertekenende getuigen",
        "witness key id": "sleutel-id van de getuige",
        "cosigned": "medeondertekend",
        "No witness has posted a cosignature yet.": "Nog geen getuige heeft een "
        "medeondertekening gestuurd.",
        "Tree size witnessed": "Geziene boomgrootte",
        "Signed by the log key (fingerprint)": "Ondertekend met de logsleutel (vingerafdruk)",
        "Consistency with the latest checkpoint": "Consistentie met het laatste checkpoint",
        "OK": "OK",
        "ALARM": "ALARM",
        "the log's tree of {latest} events extends it": "de boom van {latest} gebeurtenissen "
        "van het log bouwt erop voort",
        "witness:fork": "vork",
        "witness:rollback": "terugdraaiing",
        "witness:bad signature": "ongeldige handtekening",
        "witness:bad state": "onleesbare toestand",
        "witness:unavailable": "niet beschikbaar",
        "Check a witness state file": "Toestandsbestand van een getuige controleren",
        "The witness's state file (witness.json; it stays unchanged and is not stored)": "Het "
        "toestandsbestand van de getuige (witness.json; het blijft ongewijzigd en wordt niet "
        "bewaard)",
        "Check the state": "Toestand controleren",
        "The state holds {count} checkpoints of {origin}; the last, witnessed {when}:": "De "
        "toestand bevat {count} checkpoints van {origin}; het laatste, gezien {when}:",
        "Choose the witness's state file.": "Kies het toestandsbestand van de getuige.",
        "The file is not JSON: is it the witness's state file?": "Het bestand is geen JSON: is "
        "het het toestandsbestand van de getuige?",
        "The file is not a witness state file (no checkpoints).": "Het bestand is geen "
        "toestandsbestand van een getuige (geen checkpoints).",
        "The witness state file holds no checkpoint yet.": "Het toestandsbestand bevat nog geen "
        "checkpoint.",
        "The state's last checkpoint has no size, root or note.": "Het laatste checkpoint in de "
        "toestand heeft geen grootte, root of notitie.",
    }
)
ENGLISH.update(
    {
        "witness:fork": "fork",
        "witness:rollback": "rollback",
        "witness:bad signature": "bad signature",
        "witness:bad state": "bad state",
        "witness:unavailable": "unavailable",
    }
)

DUTCH.update(
    {
        # API keys
        "API keys": "API-sleutels",
        "Keys are for programs; people sign in to the console. Only a hash of each key is "
        "kept.": "Sleutels zijn voor programma's; mensen loggen in op de console. Van elke "
        "sleutel wordt alleen een hash bewaard.",
        "Created the key {name} ({role}). Copy it now: it is shown only once.": "Sleutel "
        "{name} ({role}) aangemaakt. Kopieer hem nu: hij wordt maar één keer getoond.",
        "Created": "Aangemaakt",
        "Last used": "Laatst gebruikt",
        "never": "nooit",
        "revoked": "ingetrokken",
        "Revoke": "Intrekken",
        "No API key yet.": "Nog geen API-sleutel.",
        "New API key": "Nieuwe API-sleutel",
        "Name (what uses it)": "Naam (wat hem gebruikt)",
        "Create key": "Sleutel aanmaken",
        "Revoke an API key": "Een API-sleutel intrekken",
        "The key {name} is already revoked.": "De sleutel {name} is al ingetrokken.",
        "Revoke the key {name} ({role})? Every program using it is refused within {seconds} "
        "seconds; this cannot be undone.": "De sleutel {name} ({role}) intrekken? Elk programma "
        "dat hem gebruikt, wordt binnen {seconds} seconden geweigerd; dit is niet terug te "
        "draaien.",
        "Revoke the key": "Sleutel intrekken",
        "Back to the keys": "Terug naar de sleutels",
        "Revoked the key {name}.": "Sleutel {name} ingetrokken.",
        "Check the fields ({messages}).": "Controleer de velden ({messages}).",
        # Reply policies
        "Reply policies": "Antwoordbeleid",
        "Per platform: which kinds of personal data block a reply, are redacted from it, or "
        "pass, in public and in private replies.": "Per platform: welke soorten "
        "persoonsgegevens een antwoord tegenhouden, eruit worden weggelakt of mogen, in "
        "openbare en in privé-antwoorden.",
        "Platform": "Platform",
        "Policy": "Beleid",
        "Public replies: blocked": "Openbare antwoorden: tegengehouden",
        "Public replies: redacted": "Openbare antwoorden: weggelakt",
        "Changed": "Gewijzigd",
        "changed": "gewijzigd",
        "policy:custom": "eigen beleid",
        "policy:default": "standaardbeleid",
        "Reply policy of {platform}": "Antwoordbeleid van {platform}",
        "visibility:public": "Openbare antwoorden",
        "visibility:private": "Privé-antwoorden",
        "Any other kind of data": "Elke andere soort gegevens",
        "as any other": "als elke andere",
        "action:block": "tegenhouden",
        "action:redact": "weglakken",
        "action:pass": "doorlaten",
        "The customer answered may be named by": "De beantwoorde klant mag worden genoemd bij",
        "greeting:first_name": "voornaam",
        "greeting:full_name": "volledige naam",
        "greeting:handle": "gebruikersnaam",
        "Values that always pass (the brand's own address, handle, phone), one per line": (
            "Waarden die altijd mogen (het eigen adres, de gebruikersnaam, het telefoonnummer "
            "van het merk), één per regel"
        ),
        "Save the policy": "Beleid opslaan",
        "Back to the reply policies": "Terug naar het antwoordbeleid",
        "Saved the reply policy of {platform}.": "Antwoordbeleid van {platform} opgeslagen.",
        # Recipients
        "Recipients": "Ontvangers",
        "Recipients and processors": "Ontvangers en verwerkers",
        "Told of erasures, corrections, restrictions and opt-outs (GDPR Art. 19; CCPA "
        "regulations § 7022, § 7023, § 7026).": "Op de hoogte gebracht van wissingen, "
        "correcties, beperkingen en opt-outs (AVG art. 19; CCPA regulations § 7022, § 7023, "
        "§ 7026).",
        "Hide archived recipients": "Gearchiveerde ontvangers verbergen",
        "Show archived recipients too": "Ook gearchiveerde ontvangers tonen",
        "Kind": "Soort",
        "kind:processor": "verwerker",
        "kind:controller": "verwerkingsverantwoordelijke",
        "kind:third_party": "derde",
        "Reached by": "Bereikbaar via",
        "Data categories": "Gegevenscategorieën",
        "Sale or sharing": "Verkoop of delen",
        "webhook": "webhook",
        "archived": "gearchiveerd",
        "Archive": "Archiveren",
        "The register is empty.": "Het register is leeg.",
        "Add a recipient": "Een ontvanger toevoegen",
        "Add to the register": "Aan het register toevoegen",
        "Archived on {date}: new requests are not passed on to it.": "Gearchiveerd op {date}: "
        "nieuwe verzoeken worden niet aan deze ontvanger doorgegeven.",
        "registered": "geregistreerd",
        "Tasks already created keep how they were sent; new ones use these details.": "Al "
        "aangemaakte taken blijven zoals ze verstuurd zijn; nieuwe gebruiken deze gegevens.",
        "Save": "Opslaan",
        "Back to the register": "Terug naar het register",
        "Contact e-mail (tasks are mailed here without a webhook)": "Contact-e-mail (taken "
        "worden hierheen gemaild als er geen webhook is)",
        "Webhook URL (receives each task as signed JSON)": "Webhook-URL (ontvangt elke taak als "
        "ondertekende JSON)",
        "A recipient must be reachable: give a contact e-mail, a webhook, or both.": "Een "
        "ontvanger moet bereikbaar zijn: geef een contact-e-mail, een webhook of beide.",
        "Data categories it receives (one per line)": "Gegevenscategorieën die hij ontvangt "
        "(één per regel)",
        "Purposes (one per line)": "Doeleinden (één per regel)",
        "We sell to or share with it (CCPA): it is told of opt-outs": "Wij verkopen of delen "
        "ermee (CCPA): hij hoort van opt-outs",
        "Check the fields: {messages}": "Controleer de velden: {messages}",
        "Added {name} to the register.": "{name} aan het register toegevoegd.",
        "Saved {name}.": "{name} opgeslagen.",
        "Archived {name}: new requests are no longer passed on to it.": "{name} gearchiveerd: "
        "nieuwe verzoeken worden er niet meer aan doorgegeven.",
    }
)
ENGLISH.update(
    {
        "policy:custom": "own policy",
        "policy:default": "built-in default",
        "visibility:public": "Public replies",
        "visibility:private": "Private replies",
        "action:block": "block",
        "action:redact": "redact",
        "action:pass": "pass",
        "greeting:first_name": "first name",
        "greeting:full_name": "full name",
        "greeting:handle": "handle",
        "kind:processor": "processor",
        "kind:controller": "controller",
        "kind:third_party": "third party",
    }
)
