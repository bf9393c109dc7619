"""How strong a secret looks: its length and an estimate of its entropy, never a list of known bad values.

The estimate is the Shannon entropy of the characters the secret uses, times the number of characters a guesser
could not predict from the ones before: a character that continues a run (the same step as the one before it:
`aaaa`, `abcd`, `9753`) or ends a four-character sequence seen earlier in the secret (a repeated phrase) counts
for nothing. It catches short, repeated and sequential secrets; it cannot tell a random key from a memorable
phrase of the same length, so the docs ask for a generated key.
"""

from __future__ import annotations

import math
from collections import Counter

MIN_LENGTH = 32
# Random keys estimate at: 32 hexadecimal characters (128 bits) 90-140, mean 114 (20,000 drawn); 43 URL-safe
# characters (`secrets.token_urlsafe(32)`) 175-240. The floor leaves the shortest random keys a margin.
MIN_ESTIMATED_BITS = 80
_REPEAT = 4  # a character ending a sequence of this many characters seen earlier is predictable


def estimated_bits(secret: str) -> float:
    """The module's estimate of how many bits of entropy `secret` holds."""
    if not secret:
        return 0.0
    counts = Counter(secret)
    per_character = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    seen: set[str] = set()
    unpredictable = 0
    for i, character in enumerate(secret):
        step = ord(character) - ord(secret[i - 1]) if i else None
        in_run = i >= 2 and step == ord(secret[i - 1]) - ord(secret[i - 2])
        sequence = secret[i - _REPEAT + 1 : i + 1] if i >= _REPEAT - 1 else None
        repeated = sequence is not None and sequence in seen
        if sequence is not None:
            seen.add(sequence)
        if not (in_run or repeated):
            unpredictable += 1
    return per_character * unpredictable


def secret_weakness(secret: str) -> str | None:
    """Why `secret` is too weak for production, in words that never quote it; None when it is strong enough."""
    if len(secret) < MIN_LENGTH:
        return f"it is shorter than {MIN_LENGTH} characters"
    if estimated_bits(secret) < MIN_ESTIMATED_BITS:
        return "it is too predictable (few different characters, runs like abcd or 1111, or a repeated phrase)"
    return None
