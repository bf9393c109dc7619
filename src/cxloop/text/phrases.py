"""Key phrases of one comment, RAKE-style (Rose et al. 2010): candidate phrases are runs of words between stop words
and punctuation; a word scores its degree (co-occurrences in candidates) over its frequency; a phrase scores the sum
of its words. Short comments make few candidates, so phrases of one to three words are kept and ranked."""

from __future__ import annotations

import re

MAX_WORDS = 3
TOP = 5

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "can't",
        "cannot",
        "could",
        "couldn't",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "get",
        "got",
        "had",
        "hadn't",
        "has",
        "hasn't",
        "have",
        "haven't",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "i'd",
        "i'll",
        "i'm",
        "i've",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "just",
        "let's",
        "me",
        "more",
        "most",
        "much",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "really",
        "same",
        "she",
        "should",
        "shouldn't",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "there's",
        "these",
        "they",
        "they're",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "us",
        "very",
        "was",
        "wasn't",
        "we",
        "we're",
        "were",
        "weren't",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "won't",
        "would",
        "wouldn't",
        "you",
        "you're",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "still",
        "even",
        "ever",
        "never",
        "always",
        "yet",
        "though",
        "although",
        "etc",
        "ok",
        "okay",
        "yes",
        "thanks",
        "thank",
        "please",
        "im",
        "ive",
        "dont",
        "didnt",
        "cant",
        "wont",
        "isnt",
        "wasnt",
        "one",
        "two",
        "lot",
        "lots",
        "bit",
        "way",
        "thing",
        "things",
        "something",
        "anything",
        "everything",
        "nothing",
        "like",
        "well",
        "back",
        "going",
        "go",
        "went",
        "make",
        "made",
        "take",
        "took",
        "give",
        "gave",
        "said",
        "say",
    ]
)
_WORD = re.compile(r"[^\W\d_](?:[\w'-]*\w)?")
_SPLIT = re.compile(r"[.,;:!?()\[\]\"\n\r\t/|]+|\s-\s")
_PLACEHOLDER = re.compile(r"\[[A-Z]+\]")  # what pii.mask put in place of personal data


def _candidates(text: str) -> list[tuple[str, ...]]:
    phrases: list[tuple[str, ...]] = []
    for chunk in _SPLIT.split(_PLACEHOLDER.sub(".", text).lower()):
        run: list[str] = []
        for word in _WORD.findall(chunk):
            if word in STOP_WORDS or len(word) < 2:
                if run:
                    phrases.append(tuple(run))
                run = []
            else:
                run.append(word)
        if run:
            phrases.append(tuple(run))
    return [p[:MAX_WORDS] for p in phrases]


def key_phrases(text: str, *, top: int = TOP) -> list[str]:
    """Up to `top` key phrases of `text`, best first (lower case, as written)."""
    candidates = _candidates(text)
    if not candidates:
        return []
    frequency: dict[str, int] = {}
    degree: dict[str, int] = {}
    for phrase in candidates:
        for word in phrase:
            frequency[word] = frequency.get(word, 0) + 1
            degree[word] = degree.get(word, 0) + len(phrase)
    scored: dict[str, float] = {}
    for phrase in candidates:
        name = " ".join(phrase)
        scored[name] = sum(degree[w] / frequency[w] for w in phrase)
    return sorted(scored, key=lambda p: (-scored[p], p))[:top]
