"""The rules `sources` labeller on real-news shapes (issue 14), with articles written for these tests."""

from __future__ import annotations

from conftest import attributions

from corpus.document import SOURCE_KINDS, add_span, new_document
from corpus.prelabel.registry import get_labeller
from corpus.prelabel.sources.refer import WINDOW
from corpus.segment.core import segment_document


def label(text: str, entities: list[tuple[str, str]] = ()) -> dict:
    """The sources layer over ``text`` with these entity spans (each at the first occurrence after the last)."""
    doc = segment_document(new_document(text, "test"))
    at = 0
    for surface, lab in entities:
        start = text.index(surface, at)
        add_span(doc, "entities", lab, start, start + len(surface), "test@1")
        at = start + len(surface)
    return get_labeller("sources", "rules")(doc)


def only(doc: dict) -> dict:
    atts = attributions(doc)
    assert len(atts) == 1, atts
    return atts[0]


def entity_id(doc: dict, text: str) -> str:
    return next(s["id"] for s in doc["spans"] if s["layer"] == "entities" and s["text"] == text)


def test_postposed_speakers_after_a_quotation():
    says = only(label("“We have never sold this much cider in one winter,” Brandauer says."))
    assert (says["source"]["text"], says["cue"]) == ("Brandauer", "says")
    assert says["content"] == "“We have never sold this much cider in one winter,”"
    remembers = only(label("“It was the coldest night of the decade,” remembers Maren Tollefsen."))
    assert (remembers["source"]["text"], remembers["cue"]) == ("Maren Tollefsen", "remembers")
    assert remembers["content"].startswith("“It was the coldest")
    chairman = only(label('"The merger will create value for everyone," chairman and chief executive Olaf Brink said.'))
    assert chairman["source"]["text"] == "chairman and chief executive Olaf Brink"
    assert chairman["content"] == '"The merger will create value for everyone,"'


def test_after_a_quotation_the_tail_of_the_cue_is_not_content():
    merchant = only(
        label("“Nobody wants the cheap stuff any more,” the merchant said as he poured a glass for a guest.")
    )
    assert merchant["content"] == "“Nobody wants the cheap stuff any more,”"
    assert merchant["source"]["text"] == "the merchant"
    doc = label("“Prices have doubled since the spring,” Tollefsen said on Sunday, referring to imported bottles.")
    said = next(a for a in attributions(doc) if a["cue"] == "said")
    assert said["content"] == "“Prices have doubled since the spring,”"


def test_a_date_or_a_number_is_not_a_source():
    doc = label("Last Tuesday said the report was wrong. In the year 2013 denounced the plan loudly.")
    assert all(a["source"] is None or a["source"]["text"] not in ("Last Tuesday", "2013") for a in attributions(doc))
    doc = label("Last Tuesday said the report was wrong.", entities=[("Last Tuesday", "DATE")])
    assert attributions(doc) == []


def test_a_phrase_before_a_preposition_joins_the_source():
    assert only(label("Voters in Ohio say the economy matters most."))["source"]["text"] == "Voters in Ohio"
    assert only(label("Six in 10 say the economy matters most."))["source"]["text"] == "Six in 10"


def test_source_kinds_of_organisations_parties_and_descriptions():
    assert {"unnamed_person", "unnamed_organisation"} <= set(SOURCE_KINDS)
    cases = [
        ("Nordvik Holdings said on Monday that profits fell.", [("Nordvik Holdings", "ORG")], "named_organisation"),
        ("Democrats said the bill would fail.", [("Democrats", "NORP")], "named_organisation"),
        ("Greens said the bill would fail.", [], "named_organisation"),
        ("The wine merchant said the harvest was late.", [], "unnamed_person"),
        ("The company said that demand had fallen.", [], "unnamed_organisation"),
        ("Sources say the deal is off.", [], "anonymous"),
        ("A senior official said the talks had stalled.", [], "anonymous"),
        ("Economists at the bank said the rates would rise.", [], "unnamed_group"),
    ]
    for text, entities, kind in cases:
        assert only(label(text, entities))["source"]["attrs"]["kind"] == kind, text


def test_pronoun_and_descriptor_sources_refer_to_the_named_entity():
    text = (
        "Martin Holloway, the Berlin wine merchant, opened his shop in 1998. “Prices have doubled,” he said. "
        "“Nobody wants the cheap stuff,” the merchant said.\n\n"
        "Kestrel Foods reported a loss on Monday. The company said that demand had fallen. It said it would cut jobs."
    )
    doc = label(text, [("Martin Holloway", "PERSON"), ("Berlin", "GPE"), ("Kestrel Foods", "ORG")])
    refs = {a["source"]["text"]: a["source"]["attrs"].get("refers_to") for a in attributions(doc) if a["source"]}
    person, org = entity_id(doc, "Martin Holloway"), entity_id(doc, "Kestrel Foods")
    assert refs["he"] == person and refs["the merchant"] == person
    assert refs["The company"] == org and refs["It"] == org


def test_a_short_form_refers_to_the_full_name():
    text = "Ada Lindqvist chairs the panel. Lindqvist spoke first. “We are ready,” she said."
    doc = label(text, [("Ada Lindqvist", "PERSON"), ("Lindqvist", "PERSON")])
    she = next(a for a in attributions(doc) if a["source"]["text"] == "she")
    assert she["source"]["attrs"]["refers_to"] == entity_id(doc, "Ada Lindqvist")


def test_a_short_form_refers_to_a_full_name_at_most_four_windows_back():
    """Among many earlier names, the short form's full name is found when it ends at most ``4 * WINDOW``
    characters before; one further back is not read (the short form then stands for itself)."""
    filler = " ".join(f"Clerk{k} Moravec{k} filed a form." for k in range(160))  # 160 other names in between
    for gap, found in ((filler[: 3 * WINDOW], True), (filler + " " + filler, False)):
        text = f"Ada Lindqvist chairs the panel. {gap} Lindqvist spoke first. “We are ready,” she said."
        names = [("Ada Lindqvist", "PERSON")]
        names += [(f"Clerk{k} Moravec{k}", "PERSON") for k in range(160) if f"Clerk{k} Moravec{k} " in gap]
        doc = label(text, [*names, ("Lindqvist", "PERSON")])
        assert len(text) - len(gap) < WINDOW and (len(gap) > 4 * WINDOW) != found
        she = next(a for a in attributions(doc) if a["source"]["text"] == "she")
        expected = "Ada Lindqvist" if found else "Lindqvist"
        assert she["source"]["attrs"]["refers_to"] == entity_id(doc, expected)


def test_no_reference_without_a_named_entity_before():
    doc = label("“We are ready,” she said.")
    assert "refers_to" not in only(doc)["source"]["attrs"]


def test_quotation_paragraph_after_a_colon_is_the_content():
    doc = label("Reporter Jane Roe says:\n\n“The roads were blocked off by military vehicles all night.”")
    a = only(doc)
    assert a["source"]["text"] == "Reporter Jane Roe"
    assert a["content"] == "“The roads were blocked off by military vehicles all night.”"


def test_quotation_paragraphs_continue_the_quote_before_them():
    text = (
        "“He is the most consistent candidate we have had,” Viguerie tells the paper.\n\n"
        "“He checks all our boxes. He unites the party.”\n\n"
        "“Nobody else can do that,” Bozell adds."
    )
    atts = attributions(label(text))
    tells = [a["content"] for a in atts if a["cue"] == "tells"]
    assert tells == [
        "“He is the most consistent candidate we have had,”",
        "“He checks all our boxes. He unites the party.”",
    ]
    assert [a["content"] for a in atts if a["cue"] == "adds"] == ["“Nobody else can do that,”"]


def test_a_second_quotation_after_the_tail_and_the_addressee():
    text = "“It was never about hacking,” Doe told the radio audience on Wednesday, “but about trust in the vote.”"
    contents = [a["content"] for a in attributions(label(text))]
    assert contents == ["“It was never about hacking,”", "“but about trust in the vote.”"]
    a = only(label("Doe told his radio audience on Monday, “The campaign has sent out its marching orders.”"))
    assert a["content"] == "“The campaign has sent out its marching orders.”"


def test_bracketed_affiliation_before_an_appositive():
    text = "“They would just go and get them,” Rep. Jim Norland (R-Ohio), a panel member, said in an interview."
    a = only(label(text))
    assert a["source"]["text"] == "Rep. Jim Norland (R-Ohio), a panel member,"


def test_a_second_cue_joined_by_and_ends_the_first_content():
    atts = attributions(label("Wilson praised the budget plan and said the senator can bring change to the city."))
    praised = next(a for a in atts if a["cue"] == "praised")
    said = next(a for a in atts if a["cue"] == "said")
    assert praised["content"] == "the budget plan"
    assert (said["source"]["text"], said["content"]) == ("Wilson", "the senator can bring change to the city")


def test_particles_days_and_media_join_the_cue():
    cues = [
        a["cue"]
        for a in attributions(label("The mayor talked about the budget. The mayor said Tuesday that it passed."))
    ]
    assert cues == ["talked about", "said Tuesday"]
    a = only(label("The cooperative said in a written statement that the harvest was late."))
    assert (a["cue"], a["content"]) == ("said in a written statement", "that the harvest was late")


def test_raising_verbs_have_no_source():
    a = only(label("The mayor is expected to announce the budget on Friday."))
    assert (a["cue"], a["source"]) == ("is expected", None)
    assert only(label("The plan seems to have failed."))["source"] is None


def test_a_passive_without_its_agent_has_no_source():
    a = only(label("It was revealed in March that the minister had used a private account."))
    assert (a["cue"], a["source"]) == ("was revealed", None)
    a = only(label("The plan was criticized by economists."))
    assert a["source"]["text"] == "economists"
    assert only(label("He's said that the plan will fail."))["source"]["text"] == "He"


def test_a_quotation_opened_inside_the_content_runs_to_its_close():
    a = only(label("He says Obama “knows the law well. Still, he targets the most careful of drivers.”"))
    assert a["content"] == "Obama “knows the law well. Still, he targets the most careful of drivers.”"


def test_a_clause_after_said_is_content_not_a_postposed_source():
    text = "John Archer, a delegate from the small coastal district in the far north of Maine, said he is proud of it."
    a = only(label(text))
    assert a["content"] == "he is proud of it"
    assert a["source"] is None or a["source"]["text"].startswith("John Archer")


def test_a_quotation_left_in_no_content_joins_the_speaker_of_its_paragraph():
    text = (
        "“Go back to your own studio,” Trump barked, and a guard walked the reporter out. "
        "Later “this is not a place for you people” was heard."
    )
    atts = attributions(label(text))
    assert {a["content"] for a in atts if a["cue"] == "barked"} == {
        "“Go back to your own studio,”",
        "“this is not a place for you people”",
    }
    short = attributions(label("The mayor said the plan works. The “Big Dig” was a success."))
    assert [a["content"] for a in short] == ["the plan works"]  # a short quotation is often a name


def test_a_quotation_paragraph_after_the_speaker_paragraph_is_theirs():
    text = "The senator said the vote was close.\n\n“We will not give up on this bill, not this year.”"
    atts = attributions(label(text))
    assert [a["content"] for a in atts] == ["the vote was close", "“We will not give up on this bill, not this year.”"]
    assert {a["cue"] for a in atts} == {"said"}


def test_an_appositive_with_a_relative_clause_stays_in_the_source():
    text = "Tom Fenwick, the head of a watchdog group that has sued the agency twice, said the damage is done."
    a = only(label(text))
    assert a["source"]["text"] == "Tom Fenwick, the head of a watchdog group that has sued the agency twice,"
    assert a["content"] == "the damage is done"


def test_an_infinitive_reports_nothing_unless_it_opens_reported_speech():
    assert attributions(label("He would have to tell Holder about the plan.")) == []
    a = only(label("She went on television to declare that the race was over."))
    assert (a["cue"], a["content"]) == ("declare", "that the race was over")
