"""Every scored response folded into groups of identical driver features, each with its count and the sums of its
coded scores and their squares (all least squares needs): pure numpy over the narrow reads of queries.py.

A response's features: its touchpoint, stage and channel, its customer's account plan and size (categories), the
bit masks of its candidate themes and of its customer's candidate segments, whether it has a comment, the helpdesk
flags of the tickets in the window before it, and whether it is held out of the fit. The features are combined into
one integer key per response (mixed radix over each feature's codes), so grouping is one sort of a million integers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cxloop.analytics.drivers.queries import Answers

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Coding = tuple[tuple[int, int, int], ...] | None

# One row per group of responses with the same features: the KEYS, then the SUMS of its responses' coded scores.
CATEGORIES = ("touchpoint", "stage", "channel", "plan", "size")
MASKS = ("themes", "segments")  # one bit per candidate theme or segment
FLAGS = ("commented", "ticket", "long_wait", "transferred", "reopened", "held_out")  # 0 or 1
KEYS = (*CATEGORIES, *MASKS, *FLAGS)
SUMS = ("n", "sy", "syy", "high", "low")
HELD_OUT_ONE_IN = 5  # a response is held out of the fit when (id * 7919) % 5 = 0: a fixed, spread 20%
_SPAN = 2**62  # a combined key is re-numbered before it could outgrow int64


@dataclass(frozen=True, slots=True)
class Grouped:
    """Per group: each category as a code into its `levels` (None: the response or its customer has none), every
    other key as an integer, and the SUMS as a float matrix (groups x SUMS)."""

    table: dict[str, Ints]
    levels: dict[str, list[Any]]
    figures: Floats


@dataclass(frozen=True, slots=True)
class Sources:
    """What queries.py read besides the answers, as rows: (response id, theme mask), (customer id, plan, size),
    (customer id, segment mask), (response id, long wait, transferred, reopened)."""

    themes: Ints
    accounts: Sequence[tuple[Any, ...]]
    segments: Ints
    tickets: Ints


def _lookup(keys: Ints, found: Ints) -> Ints:
    """For each key, the position of the same value in `found` (distinct values), or -1. Ids are dense, so most
    lookups index a table spanning their range; sparse ones search the sorted values."""
    if not len(found) or not len(keys):
        return np.full(len(keys), -1, np.int64)
    low = min(int(np.min(keys)), int(np.min(found)))
    span = max(int(np.max(keys)), int(np.max(found))) - low + 1
    if span <= 4 * (len(keys) + len(found)):
        table = np.full(span, -1, np.int64)
        table[found - low] = np.arange(len(found))
        return table[keys - low]
    order = np.argsort(found, kind="stable")
    ordered = found[order]
    at = np.minimum(np.searchsorted(ordered, keys), len(found) - 1)
    return np.where(ordered[at] == keys, order[at], -1)


def _pick(values: Ints, at: Ints, default: int) -> Ints:
    """values[at], or `default` where at is -1."""
    if not len(values):
        return np.full(len(at), default, np.int64)
    return np.where(at >= 0, values[at], default)


def _sorted_levels(codes: Ints, values: Sequence[Any]) -> tuple[Ints, list[Any]]:
    """The codes into `values` renumbered to the values used, None first, then by value."""
    used = np.unique(codes)
    order = sorted(used.tolist(), key=lambda i: (values[i] is not None, str(values[i])))
    renumber = np.zeros(len(values), np.int64)
    renumber[order] = np.arange(len(order))
    return renumber[codes], [values[i] for i in order]


def _ids(values: Ints) -> tuple[Ints, list[Any]]:
    """Touchpoint or stage ids (0: none) as codes."""
    used, codes = np.unique(values, return_inverse=True)
    return _sorted_levels(codes.astype(np.int64), [int(v) or None for v in used.tolist()])


def _accounts(customers: Ints, accounts: Sequence[tuple[Any, ...]]) -> dict[str, tuple[Ints, list[Any]]]:
    """Per response: its customer's plan and size (None without an account)."""
    at = _lookup(customers, np.fromiter((row[0] for row in accounts), np.int64, len(accounts)))
    found = {}
    for column, name in enumerate(("plan", "size"), start=1):
        index: dict[Any, int] = {None: 0}
        codes = np.fromiter((index.setdefault(row[column], len(index)) for row in accounts), np.int64, len(accounts))
        found[name] = _sorted_levels(_pick(codes, at, 0), list(index))
    return found


def _coded(scores: Ints, coding: Coding) -> Floats:
    """Each score as the value whose mean is the metric (coding None: the score itself)."""
    if coding is None:
        return scores.astype(np.float64)
    bands = [(scores >= low) & (scores <= high) for low, high, _ in coding]
    return np.select(bands, [float(value) for _, _, value in coding], 0.0)


def _combined(columns: Sequence[tuple[Ints, int]]) -> Ints:
    """One integer per response, equal for two responses exactly when all their columns are: each column is given
    as codes 0..width-1 and its width."""
    key = np.zeros(len(columns[0][0]), np.int64)
    span = 1
    for codes, width in columns:
        if span * width >= _SPAN:
            used, key = np.unique(key, return_inverse=True)
            span = len(used)
        key = key * width + codes
        span *= width
    return key


def _compact(values: Ints) -> tuple[Ints, int]:
    """Any integers as codes 0..width-1, and the width."""
    used, codes = np.unique(values, return_inverse=True)
    return codes.astype(np.int64), max(len(used), 1)


def group(answers: Answers, sources: Sources, *, coding: Coding) -> Grouped:
    """The answers folded into groups of identical KEYS, with their SUMS: count, sum of coded scores, of their
    squares, and how many have the highest and the lowest coded value."""
    ids, customers = answers.ids, answers.customers
    keys: dict[str, Ints] = {}
    levels: dict[str, list[Any]] = {}
    keys["touchpoint"], levels["touchpoint"] = _ids(answers.touchpoints)
    keys["stage"], levels["stage"] = _ids(answers.stages)
    keys["channel"], levels["channel"] = _sorted_levels(answers.channels, answers.channel_names)
    for name, (codes, values) in _accounts(customers, sources.accounts).items():
        keys[name], levels[name] = codes, values
    keys["themes"] = _pick(sources.themes[:, 1], _lookup(ids, sources.themes[:, 0]), 0)
    keys["segments"] = _pick(sources.segments[:, 1], _lookup(customers, sources.segments[:, 0]), 0)
    keys["commented"] = answers.commented
    ticket = _lookup(ids, sources.tickets[:, 0])
    keys["ticket"] = (ticket >= 0).astype(np.int64)
    for column, name in enumerate(("long_wait", "transferred", "reopened"), start=1):
        keys[name] = _pick(sources.tickets[:, column], ticket, 0)
    keys["held_out"] = ((ids * 7919) % HELD_OUT_ONE_IN == 0).astype(np.int64)
    if not len(ids):
        return Grouped({name: keys[name] for name in KEYS}, levels, np.zeros((0, len(SUMS))))
    columns = [(keys[name], len(levels[name])) for name in CATEGORIES]
    columns += [_compact(keys[name]) for name in MASKS] + [(keys[name], 2) for name in FLAGS]
    _, first, inverse = np.unique(_combined(columns), return_index=True, return_inverse=True)
    value = _coded(answers.scores, coding)
    top, bottom = (max(c[2] for c in coding), min(c[2] for c in coding)) if coding else (0, 0)
    figures = np.column_stack(
        [
            np.bincount(inverse, minlength=len(first)).astype(np.float64),
            np.bincount(inverse, weights=value, minlength=len(first)),
            np.bincount(inverse, weights=value * value, minlength=len(first)),
            np.bincount(inverse, weights=(value == top).astype(np.float64), minlength=len(first)),
            np.bincount(inverse, weights=(value == bottom).astype(np.float64), minlength=len(first)),
        ]
    )
    return Grouped({name: keys[name][first] for name in KEYS}, levels, figures)
