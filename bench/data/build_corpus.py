"""Build our own labelled corpus of customer-service comments and brand replies.

Everything here is written for this project and every value is invented (names, phone
numbers in fictional ranges, example.* mail domains, IBANs and BSNs that pass their
checks but belong to nobody). Two kinds of text, marked in each record's ``origin``:

- ``hand``: free texts written one by one, with inline labels ``[[TYPE:value]]``;
- ``template``: varied hand-written templates filled with invented values (fixed seed).
  Template text is in-sample for any rule written while looking at the templates, so
  whole templates (not single texts) are dealt into the ``heldout`` part, which no rule
  is tuned on, and the ``dev`` part; hand texts alternate between the two parts.

PII-free texts (``pii_free``) are built to trip detectors: brands, products, versions,
gates, aisles, terminals, order-free numbers. Run to rewrite the JSONL files::

    .venv/bin/python bench/data/build_corpus.py
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

SEED = 2026
HERE = Path(__file__).resolve().parent
LABEL_RE = re.compile(r"\[\[([A-Z_]+):(.+?)\]\]")

# ----------------------------------------------------------------------------- values

EN_FIRST = (
    "Olivia Liam Emma Noah Ava Mason Sophia Ethan Isabella Logan Mia Lucas Harper Jackson "
    "Amelia Aiden Evelyn Caleb Abigail Owen Priya Rahul Aisha Omar Mei Hiroshi Chloe Declan "
    "Niamh Callum Freya Rory Imogen Tobias Keisha Marcus Tamsin Gareth Bronwyn Dmitri "
    "Yasmin Kofi Ingrid Mateo Lucia Fergus Siobhan Darnell Rosalind"
).split()
EN_LAST = (
    "Whitfield Okafor Brennan Haldane Castellano Pemberton Nakamura Ashworth Delacroix "
    "Fairbanks Kowalski Lindqvist Mbeki Thornbury Achterberg Rasmussen Oyelaran Quigley "
    "Sutherland Vasquez Abernathy Holloway Marchetti Ferreira Dunmore Blackwood Kaur "
    "Patel Obi Larkspur Winterbottom Hargreaves Calloway Moreau Eriksen Tennant"
).split()
NL_FIRST = (
    "Daan Sem Lieke Sanne Bram Fleur Thijs Anouk Jesse Femke Ruben Noor Jelle Iris Stijn "
    "Maud Wouter Lotte Koen Eva Joost Marloes Gijs Roos Pieter Ilse Maarten Esmee Sven "
    "Floor Tijmen Lieve Jef Wannes Griet Lowie Kato Mathis Elke Joris Hanne Kees Mieke "
    "Bas Annelies"
).split()
NL_LAST = (
    "Bakker Visser Smit Meijer Mulder Bos Vos Peters Hendriks Dekker Brouwer Wouters "
    "Kuipers Verhoeven Maes Claes Peeters Janssens Willems Goossens Vermeulen Hoekstra "
    "Zwart Schouten Timmermans Postma Veenstra Kramer Scholten Prins"
).split()
NL_PARTICLE_LAST = (
    "van der Sluis|de Graaf|van den Broek|van Dijk|de Wit|van der Linden|ter Horst|"
    "van Beek|de Boer|van den Heuvel|van der Meer|de Vries|van Leeuwen|in 't Veld|"
    "van der Velde|de Smet|Van den Bossche|Vanderstraeten|De Clercq|Van Damme"
).split("|")
EN_STREETS = (
    "Harbour Road|Maple Avenue|Kingsley Street|Orchard Lane|Birchwood Drive|Elm Close|"
    "Station Road|Willow Crescent|Cedar Court|Highfield Way|Foxglove Terrace|Mill Lane"
).split("|")
EN_CITIES = "Leeds|Bristol|Norwich|Denver|Portland|Cardiff|Oxford|Tucson|Albany".split("|")
NL_STREETS = (
    "Kerkstraat|Lindelaan|Molenweg|Dorpsstraat|Prinsengracht|Beukenlaan|Stationsweg|"
    "Havenkade|Zonnebloemstraat|Kastanjelaan|Veldweg|Marktplein|Brouwersgracht"
).split("|")
NL_CITIES = "Utrecht|Zwolle|Haarlem|Tilburg|Amersfoort|Deventer|Leiden|Gent|Leuven".split("|")
HANDLES = (
    "@sunny_jo|@markt_fan88|@the_real_kim|@bramvdb|@lotte.reist|@jenny_b_writes|"
    "@koffieleut|@daantje_92|@mika_on_tour|@gregs_garage|@fleurtje|@nightowl_sam"
).split("|")

# ----------------------------------------------------------------------------- checks


def iban(country: str, bank: str, account: str) -> str:
    """Return a valid IBAN for the country, bank code and account (mod-97 check)."""
    raw = f"{bank}{account}{country}00"
    digits = "".join(str(int(ch, 36)) for ch in raw)
    check = 98 - int(digits) % 97
    return f"{country}{check:02d}{bank}{account}"


def grouped(value: str) -> str:
    """Return an IBAN in groups of four."""
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def bsn(rng: random.Random) -> str:
    """Return a 9-digit number that passes the Dutch eleven test."""
    while True:
        digits = [rng.randint(0, 9) for _ in range(8)]
        if digits[0] == 0:
            continue
        total = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True))
        last = total % 11
        if last < 10:
            return "".join(map(str, digits)) + str(last)


# ----------------------------------------------------------------------------- fillers


def en_values(rng: random.Random) -> dict[str, str]:
    first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
    return {
        "first": first,
        "name": f"{first} {last}",
        "lname": f"{first.lower()} {last.lower()}",
        "last": last,
        "handle": rng.choice(HANDLES),
        "email": f"{first.lower()}.{last.lower()}@example.com",
        "phone": rng.choice(
            [
                f"07700 900{rng.randint(100, 999)}",
                f"+44 7700 900{rng.randint(100, 999)}",
                f"(555) 01{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
                f"555-01{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
            ]
        ),
        "street": f"{rng.randint(2, 180)} {rng.choice(EN_STREETS)}",
        "city": rng.choice(EN_CITIES),
        "order": rng.choice(
            [
                f"#{rng.randint(100000, 999999)}",
                f"A{rng.randint(10000, 99999)}-{rng.randint(10, 99)}",
            ]
        ),
        "account": f"{rng.randint(10000000, 99999999)}",
        "iban": grouped(
            iban("GB", "NWBK", f"{rng.randint(100000, 999999)}{rng.randint(10000000, 99999999)}")
        ),
        "dob": f"{rng.randint(1, 28)}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2004)}",
    }


def nl_values(rng: random.Random) -> dict[str, str]:
    first = rng.choice(NL_FIRST)
    last = rng.choice(NL_LAST + NL_PARTICLE_LAST)
    postcode = f"{rng.randint(1000, 9999)} {rng.choice('ABCDEGHJKLMNPRSTVWXZ')}{rng.choice('ABCDEGHJKLMNPRSTVWXZ')}"
    return {
        "first": first,
        "lfirst": first.lower(),
        "name": f"{first} {last}",
        "last": last,
        "initials": f"{first[0]}. {last}",
        "handle": rng.choice(HANDLES),
        "email": f"{first.lower()}{rng.randint(1, 99)}@voorbeeld.nl",
        "phone": rng.choice(
            [
                f"06-{rng.randint(10000000, 99999999)}",
                f"06 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                f"+31 6 {rng.randint(10000000, 99999999)}",
                f"020-{rng.randint(1000000, 9999999)}",
                f"+32 4{rng.randint(70, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                f"04{rng.randint(70, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            ]
        ),
        "street": f"{rng.choice(NL_STREETS)} {rng.randint(1, 250)}{rng.choice(['', '', 'a', 'b'])}",
        "postcode": postcode,
        "city": rng.choice(NL_CITIES),
        "order": f"{rng.randint(10000000, 99999999)}",
        "klant": f"{rng.randint(1000000, 9999999)}",
        "tt": f"3S{''.join(rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ') for _ in range(4))}{rng.randint(1000000, 9999999)}",
        "iban": grouped(
            iban(
                "NL",
                rng.choice(["INGB", "RABO", "ABNA", "TRIO"]),
                f"{rng.randint(1000000000, 9999999999)}",
            )
        ),
        "be_iban": grouped(iban("BE", "", f"{rng.randint(100000000000, 999999999999)}")),
        "bsn": bsn(rng),
    }


# Templates: {slot} is a value labelled with the type after the colon; {slot!} is a value
# left unlabelled (not personal data). Each tuple: (template, labels of the slots).
EN_TEMPLATES = [
    "Hi, this is [[PERSON:{name}]], my order [[ORDER_NUMBER:{order}]] never arrived. Can someone call me on [[PHONE_NUMBER:{phone}]]?",
    "@AcmeHelp still waiting on a refund for [[ORDER_NUMBER:{order}]]... mail me at [[EMAIL_ADDRESS:{email}]] please",
    "Thanks [[PERSON:{first}]], that fixed it!",
    "my parcel went to [[STREET_ADDRESS:{street}, {city}]] instead of my work address, what now",
    "Can [[PERSON:{name}]] from your Leeds store ring me back? [[PHONE_NUMBER:{phone}]]",
    "hey it's [[PERSON:{lname}]], my account [[ACCOUNT_NUMBER:{account}]] got locked again",
    "Shoutout to [[PERSON:{name}]] at the checkout, absolute legend",
    "Refund should go to [[IBAN_CODE:{iban}]], name on the account [[PERSON:{name}]]",
    "[[SOCIAL_HANDLE:{handle}]] had the same problem with the app update, right?",
    "Date of birth is [[DATE_OF_BIRTH:{dob}]] if you need it for the verification",
    "I spoke to [[PERSON:{first}]] yesterday and was promised a callback. Nothing.",
    "Please deliver to [[STREET_ADDRESS:{street}]], the blue door. Thanks!",
    "Hello [[PERSON:{name}]], we're sorry to hear that. Could you DM us your order number?",
    "Hi [[PERSON:{first}]], thanks for waiting. Your replacement is on its way. ^[[PERSON:Tom]]",
    "Your driver [[PERSON:{first}]] left my parcel in the rain!! Order [[ORDER_NUMBER:{order}]]",
    "Ask for [[PERSON:{name}]], she knows the whole story. Email [[EMAIL_ADDRESS:{email}]]",
    "i've emailed [[EMAIL_ADDRESS:{email}]] three times now",
    "ring [[PHONE_NUMBER:{phone}]] after 6pm, ask for [[PERSON:{first}]]",
    "[[PERSON:{name}]] here. The Windows 11 app crashes on login since version 3.2.",
    "tagging [[SOCIAL_HANDLE:{handle}]] because she had the same issue at Terminal 2",
]
EN_PII_FREE_TEMPLATES = [
    "Windows {n} keeps freezing after the last update, anyone else?",
    "Step {n} of the setup guide makes no sense",
    "Waited at Gate {n} for two hours, no announcement at all",
    "The oat milk is never in aisle {n} like the app says",
    "Parked on Level {n}, lift broken again",
    "Version {n}.{m} of the app logs me out every day",
    "Terminal {n} check-in queue is insane right now",
    "Thanks Vodafone, signal finally back after {n} days",
    "Hey Alexa, why does my Echo turn itself on at {n}am",
    "Your chat bot said Support {n} would call back. Who is Support {n}?",
    "Bought the iPhone {n} yesterday, the case does not fit",
    "My Ford Focus has been at the dealer for {n} weeks",
    "Dear Ryanair, flight delayed {n} hours and not a word",
    "Channel {n} showed your ad {m} times in one break lol",
    "Platform {n} at the station has no screens working",
    "Season {n} finally on the app, loving it",
    "Row {n} seat {m}, the screen is broken on this plane",
    "Room {n}{m} at the hotel had no hot water",
    "Tried Zara, H and M and Primark, nobody has size {n}",
    "Is the Pixel {n} coming to your shop?",
]
NL_TEMPLATES = [
    "Hoi, met [[PERSON:{name}]]. Mijn pakket [[ORDER_NUMBER:{tt}]] staat al {n} dagen stil.",
    "Mijn klantnummer is [[ACCOUNT_NUMBER:{klant}]], graag terugbellen op [[PHONE_NUMBER:{phone}]]",
    "Bedankt [[PERSON:{first}]], top geholpen!",
    "Bestelling [[ORDER_NUMBER:{order}]] is bezorgd op [[STREET_ADDRESS:{street}]] maar ik woon daar niet",
    "Mijn adres is [[STREET_ADDRESS:{street}, {postcode} {city}]]",
    "graag terugstorten op [[IBAN_CODE:{iban}]] t.n.v. [[PERSON:{initials}]]",
    "mijn bsn is [[NL_BSN:{bsn}]], waarom vragen jullie dat eigenlijk",
    "[[NL_BSN:{bsn}]] is mijn burgerservicenummer, klopt dat met wat jullie hebben?",
    "Beste [[PERSON:{name}]], wat vervelend om te horen. Wil je ons een DM sturen?",
    "Dhr. [[PERSON:{last}]] heeft mij gisteren gebeld maar het is nog steeds niet opgelost",
    "Mevr. [[PERSON:{name}]] van jullie winkel in Utrecht was erg behulpzaam",
    "ik ben [[PERSON:{lfirst}]] en ik wacht al een week op mijn wasmachine",
    "Stuur het maar naar [[EMAIL_ADDRESS:{email}]], dan kijk ik vanavond",
    "Bel me even op [[PHONE_NUMBER:{phone}]], ik ben thuis tot 5 uur",
    "Mijn Belgische rekening is [[IBAN_CODE:{be_iban}]], kunnen jullie daarop storten?",
    "Postcode [[POSTCODE:{postcode}]], huisnummer {n}, en de bezorger kon het niet vinden",
    "Track en trace [[ORDER_NUMBER:{tt}]] zegt bezorgd, maar er is niks",
    "Groetjes, [[PERSON:{name}]]",
    "[[SOCIAL_HANDLE:{handle}]] heeft precies hetzelfde met de app",
    "De bezorger [[PERSON:{first}]] was super vriendelijk, geef hem een bonus!",
]
NL_PII_FREE_TEMPLATES = [
    "Windows {n} update en nu doet de printer het niet meer",
    "Stap {n} van de handleiding klopt niet",
    "Al {n} minuten in de wacht bij de klantenservice",
    "Spoor {n} op het station, trein weer {m} minuten vertraagd",
    "Bedankt Albert Heijn, bezorging was op tijd vandaag",
    "Hoi Coolblue, wanneer komt de iPhone {n} weer op voorraad?",
    "Kassa {n} is al een half uur dicht bij jullie winkel",
    "Versie {n}.{m} van de app crasht bij het inloggen",
    "Waarom kost een pakket naar België ineens {n} euro?",
    "Gate {n} op Schiphol, vlucht van KLM weer vertraagd",
    "Bij de Jumbo liggen de aanbiedingen nooit in pad {n}",
    "Hey Siri, zet een timer op {n} minuten werkt niet meer",
    "Mijn Tesla Model {n} staat al {m} weken bij de garage",
    "Bedankt PostNL, pakket kwam binnen {n} uur",
    "Kanaal {n} heeft jullie reclame {m} keer per uur",
    "Seizoen {n} van die serie staat eindelijk in de app",
    "Rij {n} stoel {m} in de zaal had geen beeld",
    "Heeft iemand nog een kortingscode voor Zalando? Maat {n} is uitverkocht",
    "Niveau {n} van de parkeergarage is afgesloten",
    "Lieve HEMA, de rookworst van {n} euro was koud",
]

# Free texts, written one by one. The last group of each list is PII-free (no labels).
EN_HAND = [
    "Morning! [[PERSON:Tamsin Achterberg]] here, the kettle I bought on Saturday leaks from the bottom.",
    "your courier literally threw my parcel over the fence at [[STREET_ADDRESS:27 Foxglove Terrace, Norwich NR3 4QT]]",
    "hi im [[PERSON:darnell]] and my sim still isnt working after 4 days",
    "Can you pass this on to [[PERSON:Bronwyn]] in the returns team? She said to message here.",
    "The guy at the till, [[PERSON:Fergus]] I think, was really rude to my mum",
    "[[PERSON:Keisha Oyelaran]] again. Third message. Still no refund.",
    "@QuickMartUK I was charged twice, card ending 4421, please sort it. email [[EMAIL_ADDRESS:rosie.h@example.org]]",
    "my husband [[PERSON:Gareth]] ordered the sofa, it's under his name",
    "Honestly [[PERSON:Mateo]] on the phone line deserves a raise, sorted in 5 mins",
    "call me back on [[PHONE_NUMBER:07700 900482]], I'm free after 3",
    "we've moved to [[STREET_ADDRESS:9 Cedar Court, Bristol BS6 5TR]], please update the delivery address",
    "Order [[ORDER_NUMBER:#558210]] arrived smashed. Photos attached.",
    "thanks for nothing. ask [[PERSON:ingrid]] what she promised me last week",
    "Hi [[PERSON:Niamh]], yes we can swap it in store, just bring the receipt.",
    "Sorry [[PERSON:Declan]], we've escalated this to our delivery partner. ^[[PERSON:Sam]]",
    "[[SOCIAL_HANDLE:@gregs_garage]] told me you do free fitting, is that true?",
    "Account number [[ACCOUNT_NUMBER:48213377]], it shows a balance I don't recognise",
    "My daughter [[PERSON:Imogen Hargreaves]] has the same problem with her phone",
    "You can reach me on [[EMAIL_ADDRESS:k.oyelaran@example.net]] or [[PHONE_NUMBER:+44 7700 900731]]",
    "hey [[PERSON:rory]] thanks for the help yesterday!!",
    "Delivered to [[STREET_ADDRESS:142 Birchwood Drive]] but I live at number 124",
    "[[PERSON:Siobhan Quigley]] | Customer since 2011 | Not happy",
    "Please refund to [[IBAN_CODE:GB33 BUKB 2020 1555 5555 55]]",
    "spoke to [[PERSON:yasmin]] and [[PERSON:kofi]] in chat, both said different things",
    "Tell [[PERSON:Mr Thornbury]] the invoice is wrong again",
    "Born [[DATE_OF_BIRTH:14/02/1987]], in case your form needs it",
    "My neighbour [[PERSON:Rosalind]] signed for it apparently but she says no",
    "Is [[PERSON:Dmitri Rasmussen]] still the store manager in Oxford?",
    "lol [[SOCIAL_HANDLE:@nightowl_sam]] same, app has been down all morning",
    "Dear [[PERSON:Ms Pemberton]], thank you for your patience while we looked into this.",
    "Windows 11 on my new laptop from you keeps blue-screening. Version 23H2.",
    "Gate 22 at the airport has no charging points at all, please tell the airline",
    "Aisle 7 in the Leeds store has been blocked by pallets all week",
    "Hey Google, why is my Nest speaker offline again",
    "Thanks Amazon, the parcel came a day early",
    "The iPad Pro I ordered is the wrong colour",
    "Terminal 5 lounge was closed, nobody told us",
    "Step 4 of the instructions shows the wrong screw",
    "Level 2 of the car park is flooded",
    "Channel 5 keeps freezing on your TV box",
    "Dear Lufthansa, two hours on hold is not customer service",
    "Hi Siri, set an alarm is broken since the update",
    "Loved the Paris Hilton hotel breakfast, but the room was cold",
    "Model 3 charging cable sold out everywhere?",
    "Platform 9 is closed and there's no sign",
    "Bought Galaxy buds, left one doesn't charge",
    "version 2.4 fixed nothing",
    "Room 214 smelled of smoke, not impressed",
    "Support 3 hung up on me, is that a real team?",
    "thanks verizon, great job as always (not)",
]
NL_HAND = [
    "Hallo, ik ben [[PERSON:Marloes van der Sluis]] en mijn pakket is nog steeds niet bezorgd.",
    "dhr. [[PERSON:J. de Graaf]] heeft gisteren gebeld over de factuur",
    "hoi [[PERSON:kees]], bedankt voor je hulp gisteren!",
    "Mijn BSN [[NL_BSN:111222333]] staat verkeerd in jullie systeem",
    "Graag terugbetalen op [[IBAN_CODE:NL91 ABNA 0417 1643 00]], t.n.v. [[PERSON:P. van den Broek]]",
    "Bel [[PHONE_NUMBER:06-12345678]] maar na 17.00 uur",
    "Ons nieuwe adres: [[STREET_ADDRESS:Brouwersgracht 112, 1013 HB Amsterdam]]",
    "Mevr. [[PERSON:Van Damme]] uit Gent heeft hetzelfde probleem",
    "[[PERSON:Wannes Peeters]] hier, mijn gsm is [[PHONE_NUMBER:0470 12 34 56]]",
    "Klantnummer [[ACCOUNT_NUMBER:5567788]], de rekening klopt weer niet",
    "Groetjes, [[PERSON:Lieve De Clercq]]",
    "De bezorger heeft het pakket bij [[STREET_ADDRESS:Molenweg 14]] neergezet, dat is niet mijn huis",
    "track & trace [[ORDER_NUMBER:3SKPNL4411205]] zegt al drie dagen 'onderweg'",
    "Mijn zoon [[PERSON:Thijs]] heeft de bestelling gedaan op zijn naam",
    "ik heb [[PERSON:sanne]] van de chat gesproken en zij zou het regelen",
    "Beste [[PERSON:Femke]], wat vervelend! We sturen je een nieuw exemplaar.",
    "Hoi [[PERSON:Bram]], je pakket wordt morgen opnieuw aangeboden. Groet, [[PERSON:Lisa]]",
    "[[PERSON:mevr. Kuipers]] wacht nog steeds op haar geld",
    "Stuur het maar naar [[EMAIL_ADDRESS:jelle.hoekstra@voorbeeld.nl]]",
    "Mijn rijksregisternummer ga ik echt niet hier delen hoor",
    "Wij wonen op [[STREET_ADDRESS:Kastanjelaan 7b, 3521 KB Utrecht]]",
    "dr. [[PERSON:Verhoeven]] heeft de klacht doorgestuurd",
    "Graag contact via [[PHONE_NUMBER:+32 470 12 34 56]]",
    "ik ben [[PERSON:joris van beek]], bestelling [[ORDER_NUMBER:88123456]]",
    "bsn: [[NL_BSN:123456782]]",
    "Windows 11 update en nu werkt de printer van jullie niet meer",
    "Bedankt Bol, de levering was snel",
    "Spoor 5 heeft weer geen omroep",
    "Kassa 3 was de enige die open was",
    "Versie 4.2 van de app is veel beter",
    "Hoi Albert Heijn, waarom zijn de bananen op?",
    "Hey Siri werkt niet meer met jullie app",
    "Stap 2 van de installatie lukt niet",
    "Gate D7 op Schiphol, geen stoelen",
    "Dank je wel KPN, internet doet het weer",
    "Mijn Ford Focus is nog steeds niet klaar",
    "Niveau 3 van de garage is dicht",
    "Pad 12 bij de Jumbo is altijd leeg",
    "Zara heeft mijn retour nooit verwerkt",
    "Terminal 1 in Zaventem was een chaos",
]

# ----------------------------------------------------------------------------- building


def labelled(text: str) -> tuple[str, list[dict]]:
    """Return the text without label marks and the character spans of the labels."""
    spans: list[dict] = []
    out: list[str] = []
    position = 0
    last = 0
    for match in LABEL_RE.finditer(text):
        out.append(text[last : match.start()])
        position += match.start() - last
        value = match.group(2)
        spans.append({"type": match.group(1), "start": position, "end": position + len(value)})
        out.append(value)
        position += len(value)
        last = match.end()
    out.append(text[last:])
    return "".join(out), spans


def record(text: str, lang: str, part: str, origin: str, pii_free: bool = False) -> dict:
    """Return one JSONL record."""
    clean, spans = labelled(text)
    return {
        "text": clean,
        "lang": lang,
        "part": part,
        "origin": origin,
        "pii_free": pii_free and not spans,
        "spans": spans,
    }


def fill(template: str, values: dict[str, str], rng: random.Random) -> str:
    """Fill a template's {slots} (and {n}, {m} numbers)."""
    values = {**values, "n": str(rng.randint(2, 30)), "m": str(rng.randint(1, 9))}
    return template.format(**values)


def build(lang: str, rng: random.Random, per_template: int, pii_free_each: int) -> list[dict]:
    """Return the records of one language."""
    templates, free_templates, hand, values = {
        "en": (EN_TEMPLATES, EN_PII_FREE_TEMPLATES, EN_HAND, en_values),
        "nl": (NL_TEMPLATES, NL_PII_FREE_TEMPLATES, NL_HAND, nl_values),
    }[lang]
    records = []
    for index, text in enumerate(hand):
        part = "dev" if index % 2 == 0 else "heldout"
        records.append(record(text, lang, part, "hand", pii_free="[[" not in text))
    for index, template in enumerate(templates):
        part = "heldout" if index % 3 == 2 else "dev"
        for _ in range(per_template):
            records.append(record(fill(template, values(rng), rng), lang, part, "template"))
    for index, template in enumerate(free_templates):
        part = "heldout" if index % 3 == 2 else "dev"
        for _ in range(pii_free_each):
            records.append(
                record(fill(template, values(rng), rng), lang, part, "template", pii_free=True)
            )
    return records


def main() -> int:
    rng = random.Random(SEED)
    outputs = {"en": build("en", rng, 20, 5), "nl": build("nl", rng, 12, 5)}
    for lang, records in outputs.items():
        path = HERE / f"comments_{lang}.jsonl"
        path.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
        )
        free = sum(r["pii_free"] for r in records)
        print(f"{path.name}: {len(records)} texts, {free} PII-free")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
