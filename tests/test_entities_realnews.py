"""The rules entity labeller on the patterns of real news pages (issue 14), with articles written for these tests."""

from __future__ import annotations

import unicodedata

from corpus.document import new_document
from corpus.prelabel import get_labeller
from corpus.segment import segment_document

DASHES = frozenset("-‐‑‒–—―|")


def _spans(text: str) -> list[tuple[str, str]]:
    doc = get_labeller("entities", "rules")(segment_document(new_document(text, origin="test")))
    return [(s["text"], s["label"]) for s in doc["spans"]]


def _labels(text: str) -> dict[str, str]:
    return dict(_spans(text))


def _hyphen_pieces(text: str) -> list[str]:
    doc = get_labeller("entities", "rules")(segment_document(new_document(text, origin="test")))

    def joined(i: int, j: int) -> bool:
        return 0 <= j < len(text) and 0 <= i < len(text) and text[i] == "-" and text[j].isalnum()

    return [s["text"] for s in doc["spans"] if joined(s["start"] - 1, s["start"] - 2) or joined(s["end"], s["end"] + 1)]


HYPHENS = (
    "Workers on zero-hours contracts make up two-thirds of the staff, the 2011-12 accounts show. "
    "The Saudi-led coalition and a Richmond-based charity met anti-NATO protesters. "
    "A 40-year-old driver signed a four-year deal worth $12-an-hour, and a 30-second advert ran on a two-way "
    "radio. Senator Dana Whitlock (D-Mo.) and former Secretary-General Ban Ki-moon spoke about the first-ever "
    "10-mile race. "
    "The score was 5-5 after the African-American museum opened.\n"
)


def test_no_entity_is_a_piece_of_a_hyphenated_word():
    assert _hyphen_pieces(HYPHENS) == []


def test_hyphenated_words_are_typed_whole_or_not_at_all():
    found = _labels(HYPHENS)
    assert found["two-thirds"] == "CARDINAL"
    assert found["2011-12"] == "DATE"
    assert found["40-year-old"] == "DATE" and found["four-year"] == "DATE"
    assert found["30-second"] == "TIME" and found["10-mile"] == "QUANTITY"
    assert found["$12-an-hour"] == "MONEY"
    assert found["Saudi-led"] == "NORP" and found["Richmond-based"] == "NORP" and found["anti-NATO"] == "NORP"
    assert found["African-American"] == "NORP"
    assert found["Ban Ki-moon"] == "PERSON"
    for piece in ("zero", "zero-hours", "two", "two-way", "Mo", "Mo.", "D-Mo.", "first", "first-ever", "12", "5"):
        assert piece not in found


def test_no_span_starts_or_ends_with_a_dash_pipe_or_emoji():
    text = (
        "Breaking | Ministers meet in Lisbon 🇵🇹 today\n\n"
        "— Carla Mendes, Lisbon 🎉 Porto —\n\n"
        "The talks ‖ in Porto | ended on Friday 📷 as Carla Mendes left.\n"
    )
    spans = _spans(text)
    assert spans
    for span, _ in spans:
        for ch in (span[0], span[-1]):
            assert ch not in DASHES and not (unicodedata.category(ch) == "So" and ord(ch) >= 0x2190)


def test_mathematical_bold_and_circled_letters_are_not_names():
    bold = "".join(chr(0x1D400 + ord(c) - ord("A")) for c in "BREAKING")
    text = f"{bold} Ⓝⓔⓦⓢ: Carla Mendes arrived in Lisbon on Friday with 𝟏𝟐 aides.\n"
    found = _labels(text)
    assert found.get("Carla Mendes") == "PERSON" and found.get("Lisbon") == "GPE"
    assert not any(ord(ch) >= 0x2460 for span in found for ch in span)


def test_companies_platforms_and_media_are_organisations():
    text = (
        "Shares of Morgan Stanley rose after Netflix and YouTube reported more subscribers, Reuters reported. "
        "Brindlecorp said in a statement that it would hire 300 engineers. "
        "Quennell, the company that makes the app, is a PayPal partner, and analysts at Halvard Lund expect more. "
        "The chief executive of Ostrava Vann resigned. Deliveries by Google-owned Wexmoor rose 4 percent.\n"
    )
    found = _labels(text)
    assert found["Morgan Stanley"] == "ORG"  # a first name and a surname, but "shares of"
    assert found["Netflix"] == "ORG" and found["YouTube"] == "ORG" and found["Reuters"] == "ORG"
    assert found["Brindlecorp"] == "ORG"  # "said in a statement"
    assert found["Quennell"] == "ORG"  # ", the company"
    assert found["PayPal"] == "ORG"  # camel case
    assert found["Halvard Lund"] == "ORG"  # "analysts at"
    assert found["Ostrava Vann"] == "ORG"  # "chief executive of"
    assert found["Google-owned"] == "NORP"  # the whole hyphenated word, never the piece "Google"


def test_camel_case_surnames_and_acronym_plurals_are_not_brands():
    found = _labels("Senator Dara McConnell met LeBron Okafor and two CEOs from SoftBank in Lisbon.\n")
    assert found["SoftBank"] == "ORG"
    assert found["Dara McConnell"] == "PERSON" and found["LeBron Okafor"] == "PERSON"
    assert "CEOs" not in found


def test_an_unknown_single_capitalised_word_is_not_a_person_by_default():
    found = _labels(
        "Aid workers ran out of Drovnik tablets. Fans of Zelbrax queued overnight. "
        "The plan, Kestrova said, would cost more. Mr. Palk agreed and Brenna O'Rourke left.\n"
    )
    assert "Drovnik" not in found and "Zelbrax" not in found  # no evidence: no label, not PERSON
    assert found["Kestrova"] == "PERSON"  # a speaker: "Kestrova said"
    assert found["Palk"] == "PERSON"  # an honorific
    assert found["Brenna O'Rourke"] == "PERSON"


def test_links_and_codes_are_not_names():
    found = _labels("Carla Mendes posted pic.twitter.com/P2qpm3h3Pm from Lisbon.\n")
    assert not any("P2qpm3h3Pm" in span for span in found)
    assert found["Carla Mendes"] == "PERSON"


def test_a_short_form_after_a_full_name_takes_its_label():
    found = _labels(
        "Director Martin Scorsese spoke in Rome. Scorsese said the film took years. "
        "Later, Michael Jordan arrived. Jordan said he was happy, and Scorsese agreed.\n"
    )
    assert found["Martin Scorsese"] == "PERSON" and found["Scorsese"] == "PERSON"
    assert found["Michael Jordan"] == "PERSON" and found["Jordan"] == "PERSON"  # not the country
    spans = _spans("Michael Jordan flew to Amman. Talks in Jordan went well, Jordan said.\n")
    assert ("Jordan", "GPE") in spans and ("Jordan", "PERSON") in spans  # "in Jordan" is the place


def test_titles_of_films_series_books_and_songs_are_works_of_art():
    text = (
        "Critics praised the film Parasite, and HBO's “Succession,” which won again on Sunday. "
        "She reread her novel “Beloved” on the train and sang “Gone with the Wind” at the party, "
        "then streamed *The Crown* with Dwayne “The Rock” Okafor. "
        "“Thank You,” she said, and “Absolutely” was all he replied. "
        "Fans of Gone with the Wind cheered in “Lisbon” as the “Ted Okafor” pins sold out.\n"
    )
    found = _labels(text)
    assert found["Parasite"] == "WORK_OF_ART"  # after "the film"
    assert found["Succession"] == "WORK_OF_ART"  # quoted, after a possessive, the comma left out
    assert found["Beloved"] == "WORK_OF_ART" and found["Gone with the Wind"] == "WORK_OF_ART"
    assert found["The Crown"] == "WORK_OF_ART"  # starred (Markdown italics)
    assert found.get("The Rock") != "WORK_OF_ART"  # a nickname inside a name
    assert "Thank You" not in found and "Absolutely" not in found  # speech
    assert found["Lisbon"] == "GPE"  # a known place in quotes stays a place
    assert found.get("Ted Okafor") == "PERSON"


def test_multi_word_organisations_stay_whole():
    text = (
        "Members of the University and College Union walked out on Monday. "
        "The Colleges Employers' Association said that it would not raise its offer to lecturers this year. "
        "Officials at the Department of Health and Human Services agreed, but the Bank of England and Barclays "
        "did not, and Oxford University and Cambridge University stayed silent.\n"
    )
    found = _labels(text)
    assert found["University and College Union"] == "ORG"
    assert found["Colleges Employers' Association"] == "ORG"
    assert found["Department of Health and Human Services"] == "ORG"
    assert found["Bank of England"] == "ORG" and found["Barclays"] == "ORG"  # two organisations
    assert found["Oxford University"] == "ORG" and found["Cambridge University"] == "ORG"


def test_phrases_people_share_with_organisations_do_not_make_a_person_an_organisation():
    found = _labels(
        "A spokeswoman for Hillary Clinton said on Monday that Hillary Clinton would attend. "
        "Later, Anna Keller said in a statement that she agreed. Velmora said in a statement that it would pay.\n"
    )
    assert found["Hillary Clinton"] == "PERSON" and found["Anna Keller"] == "PERSON"
    assert found["Velmora"] == "ORG"
