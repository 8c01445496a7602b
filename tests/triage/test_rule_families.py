"""Families of wording the rules generalise to: resolutions, false alarms, self-blame, everyday
harm and legal threats in English and Dutch, each with look-alikes that must stay unflagged."""

from __future__ import annotations

import pytest

from service.triage.engine import evaluate
from service.triage.rules import builtin_ruleset, check_document, compiled_ruleset


def flags(text: str) -> dict[str, str]:
    """Return flag -> the words that raised it."""
    return {f.flag: text[f.start : f.end] for f in evaluate(builtin_ruleset(), text)}


def score(text: str, flag: str) -> float | None:
    found = {f.flag: f.score for f in evaluate(builtin_ruleset(), text)}
    return found.get(flag)


def test_a_resolution_drops_a_weak_cue_and_keeps_a_strong_report_with_a_lower_score():
    assert flags("The adapter got really hot, we had to unplug it") == {
        "product_safety": "got really hot"
    }
    assert flags("The adapter got really hot at first but it was replaced, all good now") == {}
    assert score("The adapter caught fire overnight", "product_safety") == 0.95
    # "caught fire" is a report even when the unit was swapped since: kept, scaled by 0.6.
    assert score("The adapter caught fire and was replaced", "product_safety") == 0.57
    assert flags("Het snoer was zo heet") == {"product_safety": "zo heet"}
    assert flags("Het snoer was zo heet, maar dat is inmiddels opgelost") == {}


def test_a_resolution_in_another_sentence_does_not_count():
    assert "product_safety" in flags("The lamp caught fire in the hallway. The bulb was replaced.")


def test_rules_without_a_resolved_factor_ignore_resolutions():
    text = "Earn $300 a day from home, the link issue was fixed"
    assert flags(text) == {"spam": "Earn $300 a day"}


def test_a_custom_rule_can_opt_into_resolutions():
    document = check_document(
        {
            "rules": [
                {
                    "id": "brand.wobble",
                    "flag": "product_safety",
                    "score": 0.8,
                    "resolved_factor": 0.5,
                    "patterns": [r"\bwobbl\w+"],
                }
            ]
        }
    )
    assert document["rules"][0]["resolved_factor"] == 0.5
    ruleset = compiled_ruleset(__import__("json").dumps(document, sort_keys=True))
    assert [f.flag for f in evaluate(ruleset, "the stand is wobbling")] == ["product_safety"]
    assert evaluate(ruleset, "the stand was wobbling but it was fixed") == []


@pytest.mark.parametrize(
    "text",
    [
        "I thought my nephew had swallowed a button but it was a false alarm",
        "We dachten eerst dat hij een batterijtje had ingeslikt, loos alarm",
        "Singed my sleeve on the toaster, totally my own fault",
        "Mijn vinger verbrand aan de pan, eigen schuld",
        "Niemand is gewond geraakt, de doos was alleen gedeukt",
        "The rash has cleared up since I stopped the cheap brand",
    ],
)
def test_false_alarms_self_blame_and_no_one_hurt_raise_nothing(text):
    assert flags(text) == {}


def test_blaming_the_product_is_not_self_blame():
    assert "product_safety" in flags("The toaster scorched my hand and it was not my fault")


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("the charger cable went brown and gooey by the plug", "charger cable went brown"),
        ("my lip is all cut from the sharp edge of the tin", "my lip is all cut"),
        ("I needed a bandage after the grater blade snapped", "needed a bandage"),
        ("the jar lid cracked in my hand", "cracked in my hand"),
        ("the puppy was coughing up bits of the chew", "coughing up bits"),
        ("that smoothie made me throw up within minutes", "made me throw up"),
        ("my lips go puffy every time I eat the bars", "puffy"),
        ("Mijn oom heeft zijn heup gebroken", "heup gebroken"),
        ("ik heb me gesneden aan het deksel van het blik", "gesneden aan"),
        ("opa is van de trap gevallen toen de leuning losliet", "is van de trap gevallen"),
        ("mijn dochter bloedde uit haar lip door het speelgoed", "bloedde"),
        ("telkens als ik die thee drink jeukt mijn keel", "jeukt"),
        ("Er zat een schroefje in mijn zak nootjes", "schroefje in mijn zak"),
        ("the trike tipped and my son went over the handlebars", "went over the handlebars"),
        ("the swing seat snapped and she's bruised all over", "bruised all over"),
        ("the dummy split in her mouth", "dummy split"),
        ("de fiets klapte dubbel en ik ging over de kop", "ging over de kop"),
        ("ik kreeg de schoonmaakspray in mijn ogen", "kreeg de schoonmaakspray in mijn ogen"),
    ],
)
def test_everyday_harm_families(text, evidence):
    assert flags(text).get("product_safety") == evidence


@pytest.mark.parametrize(
    "text",
    [
        "the bananas went brown on the counter",
        "the screen went black while charging overnight",
        "I was cut off twice by your phone line",
        "stung by the delivery fees again",
        "Mijn dochter is helemaal gevallen voor die pop",
        "de banaan werd bruin naast de oven",
        "the plot twist hit me hard",
        "our reel went viral and blew up overnight",
        "ons filmpje ging viraal en ontplofte",
        "got burned on a dodgy seller before, you are much better",
    ],
)
def test_everyday_harm_look_alikes_raise_nothing(text):
    assert "product_safety" not in flags(text)


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("We will issue proceedings next week", "issue proceedings"),
        ("my solicitors are now involved", "my solicitors"),
        ("a claims firm has taken it on", "claims firm"),
        ("let the judge decide who is right", "let the judge decide"),
        ("we are filing suit on Monday", "filing suit"),
        ("this is going legal now", "going legal"),
        ("im suein you lot", "suein"),
        ("my attourney has the photos", "my attourney"),
        ("no win no fee said I'd get something", "no win no fee"),
        ("you have a strong case, my sister told me, and she's right", "you have a strong case"),
        ("Don't think I won't sue you over this", "sue you"),
        ("ik begin een zaak tegen jullie", "een zaak tegen"),
        ("dan schakel ik de deurwaarder in", "schakel ik de deurwaarder"),
        ("ik vraag juridisch advies", "juridisch advies"),
        ("you deserve to be sued, honestly", "be sued"),
        ("I'll be serving you with papers", "serving you with papers"),
        ("get your lawyers ready", "get your lawyers"),
        ("dit is pure nalatigheid van jullie", "nalatigheid"),
        ("ik dien een claim in tegen jullie winkel", "dien een claim in"),
    ],
)
def test_legal_threat_families(text, evidence):
    assert flags(text).get("legal_threat") == evidence


@pytest.mark.parametrize(
    "text",
    [
        "my lawyer friends adore your candles",
        "my lawyer cousin says your hampers are the best",
        "this phone has a good case, very sturdy",
        "I won't be taking legal action, the refund arrived",
        "De deurwaarder van de buren bestelt ook bij jullie",
        "Ik ga echt niet naar de rechter, het is opgelost",
        "ik dien een claim in bij mijn reisverzekering",
    ],
)
def test_legal_look_alikes_raise_nothing(text):
    assert "legal_threat" not in flags(text)


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("I got a jolt off the metal frame of your lamp", "got a jolt off the metal frame"),
        ("the coffee machine splashed boiling milk on the counter", "splashed boiling milk"),
        ("the valve blew off and scalding steam filled the room", "valve blew off and scalding"),
        ("this is the affected model from the news and I have two of them", "affected model"),
        ("the smoke detector failed to sound when the hob was smoking", "failed to sound"),
        ("a drill bit snapped and the end flew past my ear", "flew"),
        ("small beads keep coming off the rattle, my son nearly ate one", "coming off"),
        ("de glazen kookplaat is uit zichzelf gesprongen", "gesprongen"),
        ("mijn oma is over de drempel van de rolstoel gevallen", "mijn oma is over de drempel"),
        ("de zwelling: zwol zijn hand meteen op na de crème", "zwol zijn hand meteen op"),
        ("we hebben het vergiftigingencentrum gebeld om het zekere", "vergiftigingencentrum"),
        ("de verlengkabel werd zo warm", "werd zo warm"),
        ("de lamp werd zo heet dat de kap bruin werd", "werd zo heet dat"),
        ("ik heb me gisteren lelijk gebrand aan de grillplaat", "me gisteren lelijk gebrand"),
        ("ik kreeg een flinke optater van de kraan", "kreeg een flinke optater van de kraan"),
        ("de rookmelder sloeg niet aan, de hele gang stond blauw", "sloeg niet aan"),
    ],
)
def test_further_harm_families(text, evidence):
    assert evidence in (flags(text).get("product_safety") or "")


@pytest.mark.parametrize(
    "text",
    [
        "a rival brand's toaster set off my alarm once, yours is fine",
        "the article about a different company whose phones exploded made me check mine",
        "my nephew broke his arm skating, it had nothing to do with the skates",
        "could this heater overheat if I leave it on all night?",
        "wat als de laptop oververhit raakt onder het dekbed?",
        "the habanero salsa burned my lips, ten out of ten",
        "sparks flew between us on our first date at your cafe",
        "de vonken vlogen ervan af bij het concert",
        "the smoke alarm went off because of the bacon, at least it works",
        "het internet viel uit toen mijn zoon aan het gamen was",
        "de koers is weer gevallen, ik wacht met bestellen",
        "ik kreeg een schok toen ik de verzendkosten zag",
    ],
)
def test_further_harm_look_alikes_raise_nothing(text):
    assert "product_safety" not in flags(text)


@pytest.mark.parametrize(
    ("flag", "text", "evidence"),
    [
        ("legal_threat", "my legal protection insurer has it", "legal protection insurer"),
        ("legal_threat", "betaal terug of we starten een procedure", "starten een procedure"),
        ("legal_threat", "dit ga ik juridisch afdwingen", "juridisch afdwingen"),
        ("legal_threat", "ik bel morgen mijn lawyer", "mijn lawyer"),
        ("legal_threat", "mijn rechtsbijstandsverzekeraar weet het", "rechtsbijstandsverzekeraar"),
        ("regulator", "de ACM zal benieuwd zijn naar deze misleidende actie", "de ACM"),
        ("defamation_claim", "ik word valselijk beschuldigd door jullie", "valselijk beschuldigd"),
        ("self_harm", "I keep thinking about ending it all", "ending it all"),
        ("self_harm", "I can't see the point of waking up anymore", "see the point of waking up"),
        ("self_harm", "mijn kinderen zijn beter af zonder mij", "beter af zonder mij"),
        ("abuse", "you lot are absolute spineless idiots", "you lot are absolute spineless idiots"),
        ("abuse", "I know where your depot is", "I know where your depot is"),
        ("abuse", "die bezorger is echt een oen", "die bezorger is echt een oen"),
        ("abuse", "wat een vuile trut aan de telefoon", "vuile trut"),
        ("spam", "Your package is on hold, click here to pay the fee", "Your package is on hold"),
        ("spam", "Uw zending is geblokkeerd, klik om te betalen", "Uw zending is geblokkeerd"),
        ("spam", "volg mijn tiktok voor gratis spullen", "volg mijn tiktok"),
    ],
)
def test_further_threat_families(flag, text, evidence):
    assert evidence in (flags(text).get(flag) or "")


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("legal_threat", "would I ever take a shop to court over socks? no"),
        ("legal_threat", "zou ik hier ooit een advocaat voor nemen? welnee"),
        ("legal_threat", "ik wil de premie van mijn rechtsbijstandsverzekering wijzigen"),
        ("legal_threat", "mijn advocaat is dol op jullie stroopwafels"),
        ("regulator", "de AFM heeft een nieuw rapport over beleggen gepubliceerd"),
        ("regulator", "de AP foto van gisteren over privacy was mooi"),
        ("self_harm", "jullie zijn beter af zonder mij als klant, ik stap over"),
        ("self_harm", "you'll be better off without me as a customer, bye"),
        ("abuse", "you made us feel like idiots for asking, please train staff"),
        ("spam", "mijn pakket wacht al een week bij het afhaalpunt"),
    ],
)
def test_further_look_alikes_raise_nothing(flag, text):
    assert flag not in flags(text)


@pytest.mark.parametrize(
    ("flag", "text", "evidence"),
    [
        ("product_safety", "the lanyard got twisted around my son's neck", "lanyard"),
        ("product_safety", "her scarf got pulled into the spokes of the trike", "pulled into"),
        ("product_safety", "wore your spf 50 all day and still came home blistered", "spf 50"),
        ("product_safety", "the harness on the high chair came undone", "came undone"),
        ("product_safety", "burning oil dripped from the fryer basket", "burning oil dripped"),
        ("product_safety", "het touwtje van de capuchon zat strak om zijn hals", "om zijn hals"),
        ("product_safety", "de zonnebrand werkte niet bij mijn zoon", "zonnebrand werkte niet"),
        ("product_safety", "het traphekje schoot los toen hij ertegen leunde", "schoot los"),
        ("product_safety", "mijn dochter heeft haar knie geschaafd aan de rand", "knie geschaafd"),
        ("product_safety", "de schommel brak terwijl mijn zoon erop zat", "zoon erop zat"),
        ("product_safety", "ik ruik gas bij de nieuwe kookplaat", "ruik gas"),
        ("product_safety", "de bank is doorgezakt onder mijn opa", "doorgezakt"),
        ("legal_threat", "I'm taking you lot to the police for fraud", "police for fraud"),
        ("legal_threat", "expect court papers next week", "expect court papers"),
        ("legal_threat", "ik stap naar de ondernemingsrechtbank", "de ondernemingsrechtbank"),
        ("legal_threat", "ik meld deze oplichting bij de politie", "oplichting bij de politie"),
        ("legal_threat", "we verwachten een volledige schadevergoeding", "schadevergoeding"),
        ("regulator", "Ofcom will hear about this", "Ofcom will hear"),
        ("defamation_claim", "jullie liegen over wat we besteld hebben", "liegen over wat we"),
        ("self_harm", "honestly giving up on life", "giving up on life"),
        ("abuse", "I'll trash your store", "trash your store"),
        ("abuse", "we maken de boel kapot", "maken de boel kapot"),
        ("spam", "free gift cards for everyone, click my profile", "free gift cards"),
        ("spam", "Stuur me een DM!", "Stuur me een DM"),
        ("spam", "u bent uitgekozen voor een prijs", "u bent uitgekozen voor"),
    ],
)
def test_third_round_families(flag, text, evidence):
    assert evidence in (flags(text).get(flag) or "")


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("product_safety", "I fell in love with your candles"),
        ("product_safety", "I fell down a rabbit hole of your recipes"),
        ("product_safety", "ik was verbrand na een dag aan het strand, vandaar de aftersun"),
        ("product_safety", "de brandende kaars ruikt heerlijk"),
        ("legal_threat", "my parcel was stolen, I've reported it to the police"),
        ("legal_threat", "the warranty claim form is confusing"),
        ("regulator", "I was going to report you to trading standards but you refunded me"),
        ("regulator", "ik wilde jullie bijna bij de ACM melden maar het kwam goed"),
        ("self_harm", "I'm giving up on this app"),
        ("spam", "ik betaal €30 per maand voor het abonnement"),
    ],
)
def test_third_round_look_alikes_raise_nothing(flag, text):
    assert flag not in flags(text)


@pytest.mark.parametrize(
    ("flag", "text", "evidence"),
    [
        (
            "product_safety",
            "the dog swallowed the squeakers from the toy",
            "swallowed the squeakers",
        ),
        (
            "product_safety",
            "our cat needed an operation after playing with it",
            "needed an operation",
        ),
        ("product_safety", "there were maggots crawling in the rice bag", "maggots"),
        (
            "product_safety",
            "er viel een oogje af van de knuffel van mijn dochter",
            "viel een oogje af",
        ),
        ("product_safety", "van die afslankpillen kreeg ik hartkloppingen", "hartkloppingen"),
        ("product_safety", "mijn zoon moest naar de huisarts na het snoepje", "naar de huisarts"),
        ("product_safety", "de verlengkabel is doorgebrand", "doorgebrand"),
        ("legal_threat", "let the court decide then", "let the court decide"),
        ("legal_threat", "ik leg dit voor aan de kantonrechter", "aan de kantonrechter"),
        ("regulator", "raising a complaint with the ombudsman today", "ombudsman"),
        ("regulator", "the Financial Conduct Authority has my case", "Financial Conduct Authority"),
        ("self_harm", "ik wil echt niet meer leven", "ik wil echt niet meer leven"),
        ("abuse", "rot in hell, all of you", "rot in hell"),
        ("spam", "earned $800 trading, ask me how", "earned $800 trading"),
        ("spam", "app meneer Jansen via whatsapp voor tips", "app meneer Jansen via whatsapp"),
    ],
)
def test_fourth_round_families(flag, text, evidence):
    assert evidence in (flags(text).get(flag) or "")


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("product_safety", "de lamp in de gang is doorgebrand, hebben jullie een nieuwe?"),
        ("product_safety", "ik moet morgen naar de tandarts, kan het pakket later komen?"),
        ("product_safety", "de waterkoker wordt gloeiend heet, zoals het hoort"),
        ("product_safety", "the handle gets so hot, as expected for cast iron"),
        ("product_safety", "the recall was for a different model, not yours, luckily"),
        ("spam", "I made $20 back in cashback with your card, nice"),
    ],
)
def test_fourth_round_look_alikes_raise_nothing(flag, text):
    assert flag not in flags(text)


@pytest.mark.parametrize(
    ("flag", "text", "evidence"),
    [
        (
            "product_safety",
            "my nephew got hold of the laundry pods",
            "got hold of the laundry pods",
        ),
        ("product_safety", "the childproof cap came off in his hands", "childproof cap came off"),
        (
            "product_safety",
            "Het apparaat kwam binnen. Toen begon het te smeulen.",
            "begon het te smeulen",
        ),
        ("product_safety", "de plank knapte. Mijn zoon lag eronder.", "knapte"),
        ("product_safety", "de veiligheidsbeugel schoot ineens los, ik viel", "schoot ineens los"),
        ("product_safety", "door de handgel is mijn huid schraal", "schraal"),
        ("product_safety", "na de lunch van jullie kantine buikgriep", "buikgriep"),
        ("product_safety", "hij viel met zijn hoofd tegen de tafelrand", "met zijn hoofd tegen de"),
        (
            "product_safety",
            "een splinter van het speelgoed in zijn duim",
            "splinter van het speelgoed",
        ),
        ("product_safety", "mijn peuter likte aan de vaatwastablet", "likte aan de vaatwastablet"),
        ("product_safety", "het kinderslot ging gewoon open", "kinderslot ging gewoon open"),
        ("legal_threat", "I have spoken with a solicitor", "spoken with a solicitor"),
        ("abuse", "I hope your manager gets fired", "hope your manager gets fired"),
        ("abuse", "stelletje zakkenvullers", "stelletje zakkenvullers"),
        ("abuse", "hopelijk gaan jullie failliet", "hopelijk gaan jullie failliet"),
        ("spam", "ik verdien inmiddels 500 euro per dag", "verdien inmiddels 500 euro per dag"),
    ],
)
def test_fifth_round_families(flag, text, evidence):
    assert evidence in (flags(text).get(flag) or "")


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("product_safety", "I hope your chef chokes on his own cooking"),
        ("product_safety", "it sounded like it would explode, turned out to be the fan"),
        ("product_safety", "ik dacht dat hij zou ontploffen, maar het was de ventilator"),
        ("product_safety", "ik heb de vaatwastabletten besteld, wanneer komen ze?"),
        ("regulator", "de AFM-vergunning staat op jullie site, fijn"),
    ],
)
def test_fifth_round_look_alikes_raise_nothing(flag, text):
    assert flag not in flags(text)


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        (
            "boiling gravy splashed all over the counter and my wrist",
            "boiling gravy splashed all over",
        ),
        (
            "the tea went straight into my lap when the cup handle broke",
            "tea went straight into my lap",
        ),
        ("my hands were red raw after the cleaning spray", "my hands were red raw"),
        ("the stool tipped and he bashed his chin on the tiles", "bashed his chin"),
        (
            "was on the bathroom floor all night after the takeaway",
            "on the bathroom floor all night",
        ),
        ("the puppy's paw got wedged in the crate door", "paw got wedged in"),
        ("de handjes van mijn dochter werden vuurrood na de zeep", "werden vuurrood"),
        ("na het verven overal rode plekken op mijn armen", "rode plekken"),
        ("opa stootte zijn hoofd toen de stoel brak", "stootte zijn hoofd"),
        ("de hete thee liep over mijn benen", "hete thee liep over mijn"),
        ("mijn zoon zat met zijn vinger vast in het speelgoed", "zat met zijn vinger vast"),
        ("na de visschotel de hele nacht boven de wc-pot gehangen", "boven de wc-pot gehangen"),
        ("het wiel van de buggy schoot eraf", "schoot eraf"),
    ],
)
def test_sixth_round_harm_families(text, evidence):
    assert evidence in (flags(text).get("product_safety") or "")


@pytest.mark.parametrize(
    "text",
    [
        "I banged my head against the wall trying to log in",
        "ik werd rood van schaamte door de opmerking van de bezorger",
        "I knocked the vase over and hot tea went everywhere, my own clumsiness",
        "mijn bestelling zat vast in de douane",
        "ik hield het pakje stevig in mijn hand vast",
        "the hot water bottle is lovely and warm, thanks",
    ],
)
def test_sixth_round_look_alikes_raise_nothing(text):
    assert "product_safety" not in flags(text)


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("there were chunks of clear plastic in the porridge", "chunks of clear plastic"),
        ("ik vond een stukje hard plastic, gevaarlijk", "stukje hard plastic"),
        ("mijn lippen prikken sinds ik die lippenbalsem gebruik", "prikken"),
        ("nothing to do with your staff, but the charger exploded", "exploded"),
    ],
)
def test_seventh_round_harm_families(text, evidence):
    assert evidence in (flags(text).get("product_safety") or "")


@pytest.mark.parametrize(
    "text",
    [
        "I stubbed my toe on the box, nothing to do with the lamp inside, it's lovely",
        "ik stootte mijn teen, niks met de kast te maken, die is prima",
    ],
)
def test_harm_unrelated_to_the_product_raises_nothing(text):
    assert "product_safety" not in flags(text)


@pytest.mark.parametrize(
    ("flag", "text", "evidence"),
    [
        ("regulator", "FTC report filed this morning", "FTC report"),
        ("regulator", "ik stap naar de consumentenwaakhond", "consumentenwaakhond"),
        ("regulator", "de AFM zal dit willen weten", "de AFM"),
        ("regulator", "de AP-klacht is de deur uit", "AP-klacht"),
        ("defamation_claim", "you keep telling customers I lied", "telling customers I lied"),
        ("defamation_claim", "jullie schaden mijn goede naam", "schaden mijn goede naam"),
        (
            "defamation_claim",
            "jullie tasten met die post mijn reputatie aan",
            "tasten met die post",
        ),
        ("self_harm", "nobody would care if I was gone", "nobody would care if I was gone"),
        ("self_harm", "ik wil voorgoed verdwijnen", "voorgoed verdwijnen"),
        ("abuse", "the woman on the phone is a rude cow", "is a rude cow"),
        ("abuse", "stick your voucher up your arse", "stick your voucher up your arse"),
        ("abuse", "ik wens dat die manager een ongeluk krijgt", "wens dat die manager een ongeluk"),
        ("abuse", "smerige dieven", "smerige dieven"),
        ("spam", "made 2k weekly from home, dm me", "made 2k weekly from home"),
        ("spam", "bezoek mijn webshop voor de beste deals", "bezoek mijn webshop"),
    ],
)
def test_eighth_round_families(flag, text, evidence):
    assert evidence in (flags(text).get(flag) or "")


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("regulator", "my sister works at the Food Standards Agency and loves your bread"),
        ("regulator", "ik werk bij de ACM en bestel hier altijd"),
        ("regulator", "de AP heeft gelijk over cookies, fijn dat jullie dat snappen"),
        ("spam", "the link in your newsletter is broken"),
        ("spam", "de link in jullie nieuwsbrief werkt niet"),
        ("self_harm", "I can't keep going back and forth with your chatbot"),
        ("defamation_claim", "no way this is sugar free, that's a lie surely"),
    ],
)
def test_eighth_round_look_alikes_raise_nothing(flag, text):
    assert flag not in flags(text)


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("I'll see you in front of the tribunal", "in front of the tribunal"),
        ("we are going to arbitration", "to arbitration"),
        ("the solicitors will deal with it", "the solicitors will deal with"),
        ("I have a solicitor on retainer", "solicitor on retainer"),
        ("I've got a consumer lawyer", "got a consumer lawyer"),
        ("dan maar juridische maatregelen", "juridische maatregelen"),
        ("ik sleep jullie voor het gerecht", "voor het gerecht"),
        ("ik ga mijn recht opeisen", "mijn recht opeisen"),
        ("dan gaan we naar arbitrage", "arbitrage"),
    ],
)
def test_ninth_round_legal_families(text, evidence):
    assert evidence in (flags(text).get("legal_threat") or "")


@pytest.mark.parametrize(
    "text",
    [
        "I would never sue a shop over a late parcel",
        "saw an article about another company being taken to court",
        "ik las in de krant over een rechtszaak tegen een ander bedrijf",
        "I've got a lawyer friend who loves your shop",
    ],
)
def test_ninth_round_legal_look_alikes_raise_nothing(text):
    assert "legal_threat" not in flags(text)


@pytest.mark.parametrize(
    ("flag", "text", "evidence"),
    [
        ("product_safety", "the e-cig burned a hole in my coat pocket", "burned a hole"),
        ("product_safety", "de stekkerdoos gaf een harde knal", "een harde knal"),
        ("product_safety", "het laadstation is helemaal gesmolten", "gesmolten"),
        ("legal_threat", "dit krijgt een juridisch staartje", "juridisch staartje"),
        ("legal_threat", "ik schakel een claimbureau in", "claimbureau"),
        (
            "defamation_claim",
            "jullie beschuldigen me in een openbare post van fraude",
            "beschuldigen me",
        ),
        ("abuse", "die helpdesk bestaat uit amateurs", "bestaat uit amateurs"),
        ("abuse", "this shop is run by clowns", "run by clowns"),
        # wanting nothing to do with the brand is no reason to drop the report
        (
            "legal_threat",
            "I want nothing to do with you anymore, see you in court",
            "see you in court",
        ),
        (
            "legal_threat",
            "ik wil niks meer met jullie te maken hebben, ik stap naar de rechter",
            "de rechter",
        ),
        (
            "product_safety",
            "I want nothing to do with your brand after the charger exploded",
            "exploded",
        ),
    ],
)
def test_tenth_round_families(flag, text, evidence):
    assert evidence in (flags(text).get(flag) or "")


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("legal_threat", "ik vroeg juridisch advies over mijn huis, niks met jullie te maken"),
        ("legal_threat", "my solicitor is handling my house move, nothing to do with you"),
    ],
)
def test_legal_matters_unrelated_to_the_brand_raise_nothing(flag, text):
    assert flag not in flags(text)


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("mijn zoon kreeg een knikker in zijn luchtpijp", "in zijn luchtpijp"),
        ("na de spray had ik moeite met ademhalen", "moeite met ademhalen"),
        ("de thermostaat van de kachel schakelde niet uit", "schakelde niet uit"),
        ("de klep ging niet dicht en de oven bleef gewoon aan", "klep ging niet dicht"),
        ("van die gummies werd ik duizelig", "duizelig"),
        ("er zat een glasscherf in mijn limonade", "glasscherf in mijn limonade"),
    ],
)
def test_eleventh_round_harm_families(text, evidence):
    assert evidence in (flags(text).get("product_safety") or "")


@pytest.mark.parametrize(
    "text",
    [
        "ik had een kikker in mijn keel tijdens het bellen met jullie",
        "de lamp bleef aan, dus ik wist dat hij werkte",
    ],
)
def test_eleventh_round_look_alikes_raise_nothing(text):
    assert "product_safety" not in flags(text)


# Families added after held-out 3 became development material; each example is new here.


@pytest.mark.parametrize(
    "text",
    [
        "the blender motor was throwing out sparks",
        "strong gas smell from the new cooker all evening",
        "the strap snapped and I injured my shoulder",
        "the slide has a rough edge and my niece scraped her whole leg",
        "the e-scooter brakes failed on a hill",
        "the pedal snapped and I went flying",
        "the bookcase toppled over on him",
        "the casing split and you can see the copper inside",
        "the urn kept boiling till the worktop was soaked",
        "the air freshener made my daughter reach for her inhaler",
        "since the new detergent she can't stop itching",
        "the iron doesnt switch off and the plug gets scorching",
        "the bottled water tastes of bleach",
        "we all had a dodgy tummy after the prawn wraps",
        "de schuur is afgebrand door de accu van de grasmaaier",
        "na een slok van het drankje had hij dikke lippen",
        "na die bodylotion is mijn huid vuurrood en branderig",
        "de trede brak en ik ben lelijk gevallen",
    ],
)
def test_more_everyday_harm_is_a_product_safety_report(text):
    assert "product_safety" in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "that sale is a health hazard for my savings lol",
        "loved the injury prevention talk at the gym",
        "the brakes work perfectly after the service",
        "the vase toppled over on the carpet, no damage",
        "the ginger beer burns my throat in the best way",
        "mijn vrouw werkt op de spoedeisende hulp en is fan van jullie soep",
        "mijn handen jeuken om die nieuwe puzzel te maken",
        "de prijs is flink gevallen sinds vorige week",
        "the charger got really hot at first, all good.",
    ],
)
def test_more_look_alikes_of_harm_raise_nothing(text):
    assert flags(text) == {}


def test_a_fire_hazard_is_still_one_and_a_resolution_keeps_a_strong_report():
    assert "product_safety" in flags("the loose wiring in that lamp is a fire hazard")
    assert "product_safety" in flags("the kettle caught fire, all good.")


def test_an_injury_claim_or_lawyer_is_legal_not_a_harm_report():
    assert flags("my personal injury solicitor is on it") == {"legal_threat": "solicitor is on it"}


def test_couldnt_stop_is_not_a_negation():
    assert "product_safety" in flags("she couldn't stop wheezing after the new rug arrived")
    assert flags("it never caught fire") == {}


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("I've been hurting myself again", "self_harm"),
        ("ik heb mezelf alweer gesneden", "self_harm"),
    ],
)
def test_self_harm_is_not_a_product_report(text, flag):
    assert set(flags(text)) == {flag}


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("we zien elkaar voor de kantonrechter", "legal_threat"),
        ("I've reported this to the data protection watchdog", "regulator"),
        ("your manager keeps making up stories about me", "defamation_claim"),
        ("door jullie bericht denken mijn buren dat ik een dief ben", "defamation_claim"),
        ("mijn naam is naar de knoppen door jullie post", "defamation_claim"),
        ("I can't cope any more", "self_harm"),
        ("nobody would really notice if I disappeared", "self_harm"),
        ("I have the tablets ready", "self_harm"),
        ("vaak wil ik echt niet meer wakker worden", "self_harm"),
        ("clueless muppets the lot of you", "abuse"),
        ("I'll knock your teeth in", "abuse"),
        ("ik kom je morgen in elkaar slaan", "abuse"),
        ("I flipped £50 into £900 in a week, ask me how", "spam"),
        ("text me to find out how", "spam"),
    ],
)
def test_more_wording_of_the_other_flags(text, flag):
    assert flag in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "mijn jurist-buurman zegt dat het klopt",
        "my lawyer hat says the contract is fine",
        "after my solicitor's christmas party I needed your hangover soup",
        "ik sterf van de dorst, wanneer opent de bar?",
    ],
)
def test_more_look_alikes_of_threats_raise_nothing(text):
    assert flags(text) == {}


# Families written after held-out 4 became development material. Positive and look-alike
# wording is our own; each family is tested on wording it was not written from.


@pytest.mark.parametrize(
    "text",
    [
        "The brake pedal went to the floor and the brakes failed completely on the motorway",
        "Halfway down the hill the steering seized and I ended up in a hedge",
        "The front wheel of the pushchair fell off while my baby was in it",
        "One of the tyres you fitted blew out at 60 mph",
        "The airbag light keeps flashing and the garage says it won't deploy in a crash",
        "The harness on the high chair came undone by itself and he nearly tumbled out",
        "The seat belt unlatched on its own during the school run",
        "De remmen van de scooter reageerden nauwelijks en ik reed zo de sloot in",
        "Het voorwiel kwam tijdens het rijden los",
        "De airbag sprong zomaar open terwijl ik reed",
        "De gordelsluiting klikt niet goed vast meer, mijn dochter kan zo los",
        "Het stuur blokkeerde in de bocht",
    ],
)
def test_vehicle_and_restraint_failures_are_product_safety(text):
    assert "product_safety" in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "The wheels came off our marketing campaign in week two",
        "the wheels came off my diet when your biscuits arrived",
        "My brain locked up during the exam, nothing to do with your pens",
        "The brakes never failed once in ten years, great bikes",
        "The steering committee failed to agree, unrelated but funny",
        "The car seat fits perfectly and the buckle is easy to use",
        "The tyres were delivered late",
        "Mijn fiets heeft nieuwe remmen en ze werken perfect",
        "De remmen werken prima na de beurt",
        "Het wiel van mijn winkelwagentje piepte",
    ],
)
def test_vehicle_look_alikes_raise_nothing(text):
    assert "product_safety" not in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "The blender lid shot off and hot soup went everywhere",
        "The safety valve burst and steam sprayed across the kitchen",
        "The glass shattered in my hand when I poured the hot water in",
        "The thermostat failed and the iron kept heating until the plate glowed",
        "The heater's cut-out never kicked in and the curtains started smouldering",
        "We had to use the fire blanket on the air fryer",
        "The grease in the pan flared up and I lost my eyebrows",
        "The fairy lights set the tree alight",
        "The dryer caught light while we were out",
        "It wouldn't switch off and smoke poured out of the vent",
        "De broodrooster is beginnen smeulen en de keuken stond vol rook",
        "De friteuse vatte vuur, we hebben de brandweer gebeld",
        "We moesten de blusdeken pakken",
    ],
)
def test_fire_and_bursting_in_everyday_words_are_product_safety(text):
    assert "product_safety" in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "This deal is fire",
        "Killer price, bought three",
        "These trainers are fire and the delivery was quick",
        "That ending blew my mind, five stars",
        "Black Friday blew up my inbox",
        "The door flew open in the wind and the parcel got wet",
        "Sparks flew on our first date at your restaurant ❤️",
        "My heart swelled with pride at the school play",
        "The lava cake exploded with flavour",
        "We called the fire brigade for a cat stuck up a tree, your ladder was too short",
        "Mijn broer is beginnen roken op zijn vijftiende",
        "De brandweer kwam op bezoek bij de school",
        "De vonken vlogen eraf tijdens de vergadering",
    ],
)
def test_fire_look_alikes_raise_nothing(text):
    assert "product_safety" not in flags(text)


def test_and_with_a_new_subject_ends_the_reach_of_a_negation():
    assert "product_safety" in flags("The kettle wouldn't click off and flames came out the base")
    assert "product_safety" in flags("Hij wilde niet uitschakelen en de stekker is gesmolten")
    # Without a new subject the negation still covers the next verb.
    assert "product_safety" not in flags("It didn't spark and catch fire, it just stopped working")
    assert "product_safety" not in flags("It didn't overheat and the battery lasts all day")


@pytest.mark.parametrize(
    "text",
    [
        "There were black specks all through the porridge oats",
        "I bit down on something hard in the sandwich, it was a piece of metal",
        "Found sharp fragments in the baby food jar",
        "Pretty sure it's glass, it crunched when I chewed the rice",
        "The button batteries pop out of the toy's back far too easily",
        "Caught my toddler sucking on a magnet from the fridge set",
        "Our puppy was chewing on one of the batteries from the remote",
        "Ik kreeg een scherfje glas in mijn mond bij de soep",
        "Er zaten stukjes plastiek in de boterham",
        "Er zaten harde zwarte deeltjes in de flesvoeding",
        "De fietsaccu is opgezwollen en de behuizing barst open",
        "Mijn zoontje zat op een knoopcel te sabbelen",
        "Het batterijklepje van de afstandsbediening gaat zomaar open",
        "We moesten met hem naar de spoed, hij had een magneetje ingeslikt",
        "Mijn dochter heeft brandblaren van de strijkbout",
    ],
)
def test_foreign_bodies_small_parts_and_swelling_batteries_are_product_safety(text):
    assert "product_safety" in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "Love the chocolate chunks in these cookies",
        "The sauce comes in a glass jar which is nice",
        "The bread has lovely dark seeds and a hard crust",
        "Tiny bits of real fruit in the yoghurt, delicious",
        "My baby loves chewing on the giraffe teether",
        "Our dog loves chewing the squeaky toy",
        "De vaas kwam in scherven aan, slecht verpakt",
        "Er zaten lekkere stukjes chocolade in het koekje",
        "De batterij is niet opgezwollen, alleen wat krassen",
        "Mijn telefoonbatterij is snel leeg",
        "Ik werk op de spoed en bestel hier altijd mijn koffie",
    ],
)
def test_foreign_body_look_alikes_raise_nothing(text):
    assert "product_safety" not in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        'I got burned by your "discount", same as last week',
        "My wallet is bleeding after this sale",
        "These brownies are lethal, I ate four",
        "That new lipstick is toxic in the best way",
        "I swear these crisps are toxic, I can't stop eating them",
        "He laughed so hard he choked on his tea",
        "Ze moest zo lachen dat ze zich verslikte in haar koffie",
        "De frietjes waren gloeiend heet, heerlijk!",
        "The laptop gets warm when gaming, the manual says that's normal",
        "Ik zag op het journaal een terugroepactie van een ander merk",
        "My plans fell off a cliff when the order was delayed",
    ],
)
def test_praise_money_laughter_and_normal_warmth_are_not_harm(text):
    assert "product_safety" not in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "My daughter got burned.",
        "I got zapped by the toaster",
        "The laptop gets really hot on my lap, is that normal?",
        "Er is een terugroepactie voor deze kinderwagen, de mijne is van die serie",
    ],
)
def test_short_burns_zaps_worried_questions_and_own_recalls_are_product_safety(text):
    assert "product_safety" in flags(text)


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("legal_threat", "My dad is a solicitor and he is writing to your complaints team"),
        ("legal_threat", "My best mate is an attorney, he's taking this on for me"),
        ("legal_threat", "Our legal representatives will contact you"),
        ("legal_threat", "My insurer's legal team are looking at it"),
        ("legal_threat", "You'll be hearing from my solicitor"),
        ("legal_threat", "Time to lawyer up, I think"),
        ("legal_threat", "This is formal notice of my claim"),
        ("legal_threat", "I will explore every legal option open to me"),
        ("legal_threat", "Dat ga ik via mijnen advocaat laten regelen"),
        ("legal_threat", "Ge gaat nog horen van mijn advocaat"),
        ("legal_threat", "We gaan een procedure opstarten tegen de fabrikant"),
        ("legal_threat", "Ik ga mijn schade op jullie verhalen"),
        ("regulator", "Forwarded all your emails to Trading Standards"),
        ("regulator", "I've passed the photos to the Office for Product Safety"),
        ("regulator", "Reported the charger to OPSS this morning"),
        ("regulator", "I've cc'd the ICO on this"),
        ("regulator", "Ik heb de Economische Inspectie ingelicht"),
        ("regulator", "Ik stuur dit door naar de FOD Economie"),
        ("regulator", "Ik heb de NVWA getipt over die pot"),
        ("regulator", "Dit gaat naar de ombudsdienst voor telecommunicatie"),
    ],
)
def test_legal_and_regulator_families(flag, text):
    assert flag in flags(text)


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("legal_threat", "I'd sue for a pizza like that lol"),
        ("legal_threat", "My sister is a lawyer and she loves your scarves"),
        ("legal_threat", "Got this mug for my lawyer's birthday"),
        ("legal_threat", "My solicitor loved the hamper"),
        ("legal_threat", "My husband is a lawyer and works too much, he needs this massage chair"),
        ("legal_threat", "Mijn zus is advocaat en dol op jullie jurken"),
        ("legal_threat", "Ik wil een procedure starten voor retour"),
        ("regulator", "No need for the ombudsman, you sorted it"),
        ("regulator", "I saw a CMA report about supermarkets on the news"),
        ("regulator", "I read the ICO guidance and it seems you do this right"),
        ("regulator", "Mijn nicht werkt bij het FAVV en is fan van jullie"),
        ("regulator", "Ik heb de ombudsman niet nodig, jullie hebben het opgelost"),
    ],
)
def test_legal_and_regulator_look_alikes_raise_nothing(flag, text):
    assert flag not in flags(text)


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("defamation_claim", "Your manager told the whole street that I shoplifted"),
        ("defamation_claim", "The driver is telling people my son damaged the van"),
        ("defamation_claim", "I want that review retracted, it's all lies"),
        ("defamation_claim", "Retract the statement you posted about me"),
        ("defamation_claim", "That is a complete fabrication"),
        ("defamation_claim", "I was falsely accused of fraud by your staff"),
        ("defamation_claim", "Jullie medewerker vertelt aan andere klanten dat ik gestolen heb"),
        ("defamation_claim", "De chauffeur vertelt rond dat wij hem bedreigd hebben"),
        ("defamation_claim", "Ik eis een rectificatie"),
        ("defamation_claim", "Dat is een verzonnen verhaal en een valse beschuldiging"),
        ("abuse", "Your manager is a spineless little weasel"),
        ("abuse", "You lot are parasites"),
        ("abuse", "I hope your warehouse burns down with you in it"),
        ("abuse", "Refund me now, scumbags!"),
        ("abuse", "Die manager is een vieze rat"),
        ("abuse", "Stelletje aasgieren"),
        ("abuse", "Ik hoop dat jullie winkel afbrandt"),
        ("spam", "Work 3 hours a day and make a full-time income from your phone"),
        ("spam", "Earn a second income from home, DM me"),
        ("spam", "Guaranteed profits every month with my crypto trading group"),
        ("spam", "Claim your reward via this link"),
        ("spam", "U heeft een waardebon van 250 euro gewonnen"),
        ("spam", "Claim je prijs nu via deze link"),
        ("spam", "Gegarandeerd rendement van 20% per maand"),
    ],
)
def test_defamation_abuse_and_spam_families(flag, text):
    assert flag in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "The retractable lead broke after a day",
        "She told everyone I was right about the delivery",
        "They told people that we are the best shop in town",
        "Hij zei tegen iedereen dat ik gelijk had",
        "Found a worm in my salad",
        "There was soap scum all over the new shower screen",
        "Er zat een worm in mijn salade",
        "De klantenservice is een slak, het duurt weken",
        "You guys are legends, thank you",
        "Your CEO is a genius",
        "I hope your shop goes from strength to strength",
        "Ik hoop dat jullie winkel nog lang blijft bestaan",
        "Guaranteed delivery by Friday, thank you",
        "Ask me how I got such a great deal, your sale!",
        "My lawyer recommended your shop",
    ],
)
def test_defamation_abuse_and_spam_look_alikes_raise_none_of_them(text):
    # A worm in a salad is a food-safety report, not an insult.
    assert not set(flags(text)) & {"defamation_claim", "abuse", "spam", "legal_threat"}


@pytest.mark.parametrize(
    "text",
    [
        "Soms denk ik dat het voor iedereen makkelijker is als ik er niet meer ben",
        "Ik doe mezelf soms pijn als het te veel wordt",
        "Ik snij weer in mijn armen",
        "Everyone would be better off if I wasn't here",
        "It would be easier for my family if I was gone",
    ],
)
def test_self_harm_in_indirect_words_routes_to_a_human(text):
    assert "self_harm" in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "Ik doe mezelf geen pijn meer, het gaat beter",
        "Better if I'm not around when the delivery comes, leave it with a neighbour",
        "I'm so tired I could die, need your coffee",
        "This queue is killing me",
    ],
)
def test_self_harm_look_alikes_raise_nothing(text):
    assert "self_harm" not in flags(text)


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("product_safety", "The hair straighteners stayed on after I switched them off"),
        ("product_safety", "The heater came back on by itself in the night"),
        ("product_safety", "My son's scooter handlebar snapped off and he went face down"),
        ("product_safety", "The hummus tasted fizzy and we were both ill all night"),
        ("product_safety", "The cot has a gap at the side big enough for a baby's head"),
        ("product_safety", "The blind cord was looped round my daughter's neck"),
        ("product_safety", "The pram brake doesn't hold, it rolled into the road"),
        ("product_safety", "The kids' paint made my daughter's hands red raw"),
        ("product_safety", "The oven door glass cracked and fell out in pieces"),
        ("product_safety", "The shower screen shattered on its own"),
        ("product_safety", "I got a nasty electric tingle from the fridge door"),
        ("product_safety", "There's a recall on this model and nobody has contacted us"),
        ("legal_threat", "I've already booked a consultation with a solicitor about this"),
        ("legal_threat", "I've instructed a firm to recover my costs"),
        ("legal_threat", "I'm issuing a claim through the online court"),
        ("legal_threat", "You're going to be hearing from the lawyers"),
    ],
)
def test_more_harm_and_legal_wording(flag, text):
    assert flag in flags(text)


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("product_safety", "The ball rolled into the road but the kids loved the set"),
        ("product_safety", "My son rolled down the hill laughing, great day at your park"),
        ("product_safety", "The credits rolled and we all cried, lovely cinema"),
        ("product_safety", "The scarf looks gorgeous round her neck"),
        ("product_safety", "Felt a tingle of excitement opening the box"),
        ("product_safety", "The lamp switched itself on in the night, spooky but fine"),
        ("product_safety", "The TV turns on by itself"),
        ("legal_threat", "I booked a consultation with a solicitor for my will, lovely flowers"),
        ("legal_threat", "I want to issue a claim on my warranty for the broken zip"),
        ("legal_threat", "You're going to be hearing from me about how great this was"),
    ],
)
def test_more_harm_and_legal_look_alikes(flag, text):
    assert flag not in flags(text)


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("product_safety", "Smoke was coming from the back of the telly"),
        ("product_safety", "The bike frame cracked and I came off at speed"),
        ("product_safety", "The bottle steriliser boiled dry and melted"),
        ("product_safety", "The kettle switched itself on in the middle of the night"),
        ("product_safety", "The walker's wheel locked and my mum fell"),
        ("product_safety", "Er kwam een steekvlam uit de oven"),
        ("product_safety", "Ons manneke heeft een batterijke binnengekregen"),
        ("legal_threat", "My claims management company will be in touch"),
        ("legal_threat", "Papers will be served this week"),
        ("legal_threat", "Wij eisen schadevergoeding voor de kapotte vloer"),
        ("self_harm", "I don't see a way out anymore and I've been thinking about ending things"),
        ("self_harm", "I've started cutting again"),
        ("self_harm", "I just want it all to stop, for good"),
        ("self_harm", "I'm so tired of living"),
        ("self_harm", "Ik zie geen uitweg meer"),
        ("self_harm", "Ik ben het leven beu"),
        ("abuse", "You're all a bunch of useless thieving bastards"),
        ("abuse", "Ik kom je opzoeken en dan zul je wat beleven"),
    ],
)
def test_smoke_bikes_flemish_diminutives_claims_self_harm_and_threats(flag, text):
    assert flag in flags(text)


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        (
            "product_safety",
            "Even if it had caught fire I would not be surprised by your service lol",
        ),
        ("self_harm", "The blade started cutting again after I sharpened it"),
        ("self_harm", "I want the noise to stop for good, it's the fan"),
        ("self_harm", "I'm done with life admin, please just auto-renew"),
        ("self_harm", "Thinking about ending things with my gym, is your app better?"),
        ("self_harm", "Ik zie geen toekomst meer in dit abonnement"),
        ("self_harm", "Ik trek het niet meer met jullie klantenservice"),
        ("self_harm", "Ik ben weer aan het snijden voor het kerstdiner, jullie messen zijn top"),
        ("abuse", "A bunch of flowers arrived, lovely"),
        ("abuse", "What a bunch of legends your staff are"),
        ("abuse", "Ik kom je opzoeken in de winkel, ik wil die jas passen"),
        ("abuse", "Wait till I get my hands on the new model"),
    ],
)
def test_hypotheticals_frustration_and_friendly_look_alikes(flag, text):
    assert flag not in flags(text)


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("product_safety", "The toy's eyes pulled off in seconds and my baby had one in her mouth"),
        ("product_safety", "The wall bracket pulled out and the TV landed on the sofa by my kid"),
        ("product_safety", "The garden lights shorted in the rain and tripped the whole house"),
        ("product_safety", "The dog food has made three of our dogs seriously unwell"),
        ("product_safety", "The earbuds burnt the inside of my ear"),
        ("product_safety", "De kachel is omgevallen en het tapijt is geschroeid"),
        ("product_safety", "Het deksel van de snelkookpan vloog eraf"),
        ("product_safety", "Mijn kind kreeg het lijmpje in zijn ogen en moest naar de oogarts"),
        ("product_safety", "De speelgoedpijl heeft het oog van mijn zoon geraakt"),
        ("product_safety", "Er zat een blauwe pleister in mijn salade"),
        ("legal_threat", "Ik schakel rechtsbijstand in"),
    ],
)
def test_toy_parts_falling_furniture_shorts_pets_ill_and_dutch_separable_verbs(flag, text):
    assert flag in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "My kid burnt the toast using your toaster, teenagers eh",
        "I've got a sore throat from cheering at the match, love the scarf",
        "The chilli sauce burned my mouth in the best way",
        "This mint tea is so strong it burns my nose, love it",
        "Our dog loves chewing the squeaky toy",
        "The price tag came off in my hand, no big deal",
        "My toddler's eyes lit up when she saw the toy",
        "Haha die reclame is echt ziek goed",
        "Ik word er ziek van, al drie weken geen antwoord",
        "Die prijzen zijn echt moordend",
    ],
)
def test_burnt_toast_cheering_and_strong_flavours_are_not_harm(text):
    assert "product_safety" not in flags(text)


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("legal_threat", "I will be holding your company legally responsible"),
        ("legal_threat", "I've got a legal firm looking into your terms"),
        ("legal_threat", "I will take every legal step available"),
        ("legal_threat", "Ik ga naar het vredegerecht"),
        ("legal_threat", "We spannen een zaak aan tegen jullie"),
        ("legal_threat", "Ge moogt een brief van den advocaat verwachten"),
        ("regulator", "Ik ga naar de Consumentenbond en de ACM"),
        ("product_safety", "The child lock is useless, my two year old opened the bleach"),
        ("product_safety", "No warning on the label and my son's skin blistered"),
        ("product_safety", "The oil splattered out of the fryer onto my arm"),
        ("product_safety", "It hasn't caught fire yet but it smells of burning every time"),
        ("product_safety", "Not only did it overheat, it actually caught fire"),
    ],
)
def test_liability_law_firms_flemish_courts_child_access_and_hot_splashes(flag, text):
    assert flag in flags(text)


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("legal_threat", "I work at a law firm and your coffee keeps me going"),
        ("legal_threat", "We won't be taking legal action, the refund came through"),
        ("legal_threat", "I'd rather not involve lawyers, please just fix it"),
        ("legal_threat", "Ik heb geen zin in een rechtszaak, los het gewoon op"),
        ("legal_threat", "Ik heb gisteren een advocaatje gedronken bij jullie"),
        ("regulator", "I won't bother with the ombudsman, thanks for the quick fix"),
        ("product_safety", "Not a single spark, not a drop of smoke, very safe heater"),
        ("product_safety", "It never once overheated in five years"),
        ("product_safety", "These wings are so hot my mouth is on fire, perfect"),
        ("product_safety", "Our sales exploded this quarter thanks to your software"),
        ("product_safety", "My daughter choked up during the speech"),
    ],
)
def test_refusals_of_legal_steps_and_safe_products_raise_nothing(flag, text):
    assert flag not in flags(text)


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("product_safety", "The seatbelt buckle on the booster seat won't lock"),
        ("product_safety", "Water leaked from the dishwasher into the plug socket"),
        ("product_safety", "The bike's brakes went and I crashed into a wall"),
        ("product_safety", "I cut myself badly on the broken glass of the lamp you delivered"),
        ("product_safety", "The kids' slide cracked and my son's hand got pinched in the gap"),
        ("product_safety", "De fietsstoel brak tijdens het fietsen"),
        ("product_safety", "De ketel bleef koken en is helemaal zwart geworden"),
        ("product_safety", "De rem van de kinderwagen schiet los"),
        ("product_safety", "Mijn hond heeft bloed in zijn ontlasting sinds jullie nieuwe voer"),
        ("product_safety", "Den hoverboard is beginnen roken en stinken"),
    ],
)
def test_restraints_water_in_electrics_brakes_going_and_dutch_failures(flag, text):
    assert flag in flags(text)


def test_an_accidental_cut_on_the_product_is_safety_not_self_harm():
    assert set(flags("I cut myself badly on the broken glass of the lamp you delivered")) == {
        "product_safety"
    }


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("product_safety", "The brakes went squeaky after a month, annoying"),
        ("product_safety", "My water bottle is always near the socket on my desk"),
        ("product_safety", "Ik blijf koken met jullie pannen, top kwaliteit"),
        ("product_safety", "My computer crashed into a blue screen"),
        ("self_harm", "I cut myself a slice of your cake"),
        ("product_safety", "The pushchair folds really easily, great design"),
        ("product_safety", "De kinderwagen is fantastisch"),
    ],
)
def test_everyday_mentions_of_brakes_water_cooking_and_cutting_raise_nothing(flag, text):
    assert flag not in flags(text)


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("product_safety", "The string lights gave my son a shock when he touched a bulb"),
        ("product_safety", "The hand blender started whirring on its own when plugged in"),
        ("product_safety", "The mandoline nearly took my finger off"),
        ("product_safety", "Het speelgoed heeft losse magneetjes die er zomaar uit vallen"),
        ("self_harm", "I keep thinking everyone would be happier without me"),
        ("self_harm", "I've written goodbye letters to my family"),
        ("self_harm", "I just want to go to sleep and never wake up"),
        ("self_harm", "Ik wil slapen en nooit meer wakker worden"),
        ("self_harm", "Iedereen is echt beter af zonder mij"),
    ],
)
def test_shocks_given_blades_starting_loose_magnets_and_goodbyes(flag, text):
    assert flag in flags(text)


@pytest.mark.parametrize(
    ("flag", "text"),
    [
        ("product_safety", "The price gave me a shock, but I paid"),
        ("product_safety", "Your advert gave me a jolt of nostalgia"),
        ("self_harm", "I left a note for my neighbour to take the parcel"),
        ("self_harm", "I'm ready to go, just waiting for my order"),
        ("self_harm", "Ik wil slapen, ik ben moe na die lange dag"),
        ("self_harm", "Mijn zoon is gelukkiger zonder zijn oude fiets"),
        ("self_harm", "Everyone would be happier without these ads"),
    ],
)
def test_surprises_notes_and_tiredness_are_not_harm(flag, text):
    assert flag not in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "This sale is straight fire, grabbed three hoodies",
        "Your new burger is a killer, best lunch in ages",
        "I'd sue you for making me this addicted to your crisps lol",
        "The brakes on my new bike are amazing, stops on a dime",
        "Sparks will fly when my wife sees this necklace",
        "My heart exploded when the puppy treats arrived",
        "I was shocked how fast delivery was",
        "I'll see you in court... the tennis court, for our match lol",
        "The new scent is toxic-free and gentle",
        "Zero sparks, zero smells, the heater is great",
        "No injuries, no fuss, just a great trampoline",
        "Mijn advocaat en ik gaan samen lunchen bij jullie",
        "De pizza was gloeiend heet en superlekker",
        "Ik kreeg een schok toen ik de prijs zag",
        "Ik ben gevallen voor jullie nieuwe collectie",
    ],
)
def test_praise_surprise_and_social_mentions_raise_nothing(text):
    assert flags(text) == {}
