"""Common Dutch and Flemish given names and surnames missing from Faker's lists.

Written for this project (Apache-2.0) from general knowledge of names in use in the
Netherlands and Flanders; a name is a fact, and no list was copied. They add to
Faker's nl_NL/nl_BE tables in the Dutch lexicon and the any-language name lists.
"""

from __future__ import annotations


def _names(block: str) -> frozenset[str]:
    """Return the whitespace-separated names of a block."""
    return frozenset(block.split())


DUTCH_GIVEN_NAMES = _names(
    """
    Kees Marloes Henk Joop Gert Geert Sjaak Sjoerd Wim Piet Klaas Jaap Cor Ria Riet Truus
    Greet Mien Nel Toos Ans Joke Els Ineke Marjolein Marieke Mirjam Hanneke Annemieke Anneke
    Wilma Gerda Ingrid Yvonne Petra Monique Miranda Sandra Astrid Esther Judith Janneke Linda
    Bianca Chantal Kim Manon Natasja Nicole Patricia Saskia Suzanne Wendy Karin Carla Corrie
    Dirk Dick Evert Frits Gerrit Harm Hans Herman Hein Huub Jelle Jeroen Joost Jurgen Kevin
    Leon Maarten Marco Marcel Martijn Menno Michiel Niels Onno Peter Pim Remco Rik Roel Rogier
    Ronald Ruud Sander Sjors Stefan Teun Thijs Tim Ton Twan Vincent Wessel Wouter Youri Jorrit
    Sietse Tjeerd Wietse Hidde Fokke Douwe Jildou Sytske Aukje Baukje Hylke Lolkje Femmy
    Luuk Milan Finn Sem Daan Lars Levi Mees Jens Bram Siem Noud Gijs Hugo Jip Ties Boaz
    Tess Saar Julia Zoë Yara Liv Noa Nina Fenna Lynn Evi Isa Maud Lotte Roos Fleur Femke
    Anouk Lieke Sanne Iris Esmee Floor Merel Nienke Joyce Kirsten Mariska Romy Demi Britt
    Jef Jan Jos Luc Marc Dries Wannes Wout Lowie Seppe Jarne Arne Kobe Warre Mathis Thibault
    Lieve Griet Hanne Kato Elke Ilse Lien Veerle Sofie Ellen Inge Katrien Nele
    Annelies Marijke Mieke Godelieve Rita Lutgarde Hilde Machteld Brecht Bert Koen Steven
    Filip Geert Dirk Johan Rudi Marnix Stijn Joris Bavo Benedikt Jozef Karel Herman Staf
    Mohammed Mohamed Ahmed Fatima Youssef Yassin Noor Sara Amira Imane Soufiane Bilal Ayoub
    Mehmet Emre Elif Zeynep Esra Hakan Kerem Sevda Priya Rohan Devi Ravi
    """
)

DUTCH_SURNAMES = _names(
    """
    Jansen Janssen Jong Vries Berg Bakker Visser Smit Meijer Meyer Boer Mulder Groot Bos
    Vos Peters Hendriks Leeuwen Dekker Brouwer Wit Dijk Graaf Linden Kok Jacobs Haan
    Vermeulen Heuvel Veen Broek Bruijn Bruin Schouten Willems Beek Hoekstra Maas Verhoeven
    Koster Prins Blom Huisman Peeters Kuipers Kuiper Veenstra Kramer Brink Scholten
    Wouters Vliet Hoek Timmermans Groen Koning Wijk Bosch Sluis Velde Horst Meer Vliet
    Dijkstra Smits Postma Zwart Bakkers Driessen Claes Maes Goossens Janssens Mertens
    Willaert Wuyts Lambrechts Vandenberghe Vanderstraeten Vandamme Damme Clercq Smet
    Backer Coppens Desmet Declercq Devos Dubois Lemmens Martens Michiels Pauwels Raes
    Segers Stevens Thys Verbeke Verstraete Wauters Aerts Claessens Cools Hermans
    Jacobs Leclercq Mahieu Nys Renard Simons Vercammen Vermeiren Verschueren
    Bouzid Amrani Yilmaz Kaya Demir Sahin Ozturk Aydin
    """
)
