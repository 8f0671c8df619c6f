"""The word sets and token classes the sources reader scans for (lists from ``data/sources_words.tsv``)."""

from __future__ import annotations

import re
from operator import itemgetter

from corpus.prelabel.lexicon import load_word_lists

_WORDS = load_word_lists("sources_words.tsv")  # read once, at import

AUX = _WORDS["aux"]
PRONOUN_SOURCES = frozenset(["he", "she", "i", "we", "they", "you", "it", "who", "which", "that"])
# Read as a source these are mostly something else: "that" a relative or demonstrative ("ads that slam"), "you"
# generic or inside an interview answer. Measured on PolNeAR train they are right about one time in four.
NEVER_SOURCES = frozenset(["that", "you"])
PERSON_PRONOUNS = frozenset(["he", "she", "i", "you", "who", "him", "her", "me"])
GROUP_PRONOUNS = frozenset(["we", "they", "us", "them"])
OBJECT_PRONOUNS = frozenset(["me", "him", "her", "us", "them", "you", "reporters", "journalists"])
DETERMINERS = _WORDS["determiners"]
TIME_WORDS = _WORDS["time_words"]
TIME_OPENERS = _WORDS["time_openers"]
RELATIVE = frozenset(["who", "whom", "whose", "which"])
# Words that end a noun phrase when reading leftwards from a cue.
NP_STOP = _WORDS["np_stop"]
OPEN_QUOTES = frozenset({"“", "``", "‘‘", "«"})
CLOSE_QUOTES = frozenset({"”", "’’", "»"})
TOGGLE_QUOTES = frozenset({'"', "''"})  # '' opens as well as closes in ASCII-fied news (''Yes,'' he said)
QUOTES = OPEN_QUOTES | CLOSE_QUOTES | TOGGLE_QUOTES
END_PUNCT = frozenset({".", "!", "?", ";", "…", "..."})
MARKS = QUOTES | {"."}
BOUNDARY = frozenset({",", ";", ":", "—", "–", "--", "(", ")"}) | QUOTES
# Short tails that may follow a post-posed cue without turning it into "SOURCE CUE CONTENT".
TAIL_WORDS = _WORDS["tail_words"]
ADDRESSEE_CUES = _WORDS["addressee_cues"]
ANONYMOUS = re.compile(
    r"\b(anonym\w*|unnamed|unidentified|not authori[sz]ed|declined to be (named|identified)|"
    r"familiar with|briefed on|insider|on condition)\b"
)
CORRESPONDENT = re.compile(r"\b(this|our|your) (correspondent|reporter|writer|journalist|newspaper|paper)\b")
SOURCE_GROUP_WORDS = _WORDS["source_group_words"]
ORG_WORDS = _WORDS["org_words"]
MAX_POSTPOSED = 25  # tokens; a longer tail after "said" is a clause, not a name with its appositive
SENTENCE_ADVERBS = frozenset(["but", "and", "so", "yet", "still", "now", "meanwhile", "instead", "later"])
# Words that show a stretch holds a clause of its own, not just a subject with its appositives.
CLAUSE_WORDS = _WORDS["clause_words"]
BRACKETS = frozenset(["(", ")", ":", ";", "—", "–", "--"])
INITIAL_DOT = "·"  # stands for the full stop of a middle initial in the lower-cased words
START, END, SECOND = itemgetter("start"), itemgetter("end"), itemgetter(1)
# Forms read as nouns or adverbs far more often than as reporting verbs in news ("the United States").
NEVER_CUES = _WORDS["never_cues"]
# Forms that are often nouns ("his remarks", "polls show"): a cue only right after a subject-like word.
NOUNISH_FORMS = _WORDS["nounish_forms"]
POLL_WORDS = frozenset(["poll", "polls", "survey", "surveys", "study", "studies"])
PRONOUN_SUBJECTS = frozenset(["he", "she", "they", "we", "i", "it"])
ROLE_NOUNS = _WORDS["role_nouns"]
TITLES = _WORDS["titles"]
SCENE_OPENERS = frozenset(["on", "in", "at", "after", "during", "earlier", "later", "last", "since", "before", "then"])
PASSIVE_AUX = frozenset(["was", "were", "is", "are", "been", "be", "being", "’s", "'s"])
CLAUSE_BOUNDARY = _WORDS["clause_boundary"]
COMMENT_BOUNDARY = frozenset([",", ";", "—", "–"]) | QUOTES
NOT_BEFORE_VERB = DETERMINERS | _WORDS["not_before_verb"]
THAT_OR_STOP = frozenset({"that", ",", ";", "."}) | QUOTES


ANONYMOUS_HEADS = _WORDS["anonymous_heads"]
CUE_PARTICLES = _WORDS["cue_particles"]
TO_PARTICLE_CUES = _WORDS["to_particle_cues"]
IRREGULAR_PAST = _WORDS["irregular_past"]
SOURCELESS_CUES = _WORDS["sourceless_cues"]
CUE_DAY_TAILS = _WORDS["cue_day_tails"]
MEDIUM_NOUNS = _WORDS["medium_nouns"]
PARTY_WORDS = _WORDS["party_words"]
HEAD_ENDERS = _WORDS["head_enders"]
PERSON_PRONOUNS_BACK = _WORDS["person_pronouns_back"]
ORG_PRONOUNS_BACK = _WORDS["org_pronouns_back"]


def is_plural(word: str) -> bool:
    return word.endswith("s") and not word.endswith(("ss", "us", "is", "’s", "'s"))
