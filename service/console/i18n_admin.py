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
