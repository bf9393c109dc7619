"""Which variant a customer sees: a stable hash of the experiment key and the customer's external id, cut by the
variants' weights. Pure (no database).

As the contact policy's holdout does (governance.policy.stable_fraction), the hash gives the same answer on every
call, process and machine, so integrators can branch on it without storing it. It hashes the external id, not the
row id, so a customer not yet imported gets the same variant they will have once imported; the experiment key is in
the hash, so two experiments split customers independently.
"""

from __future__ import annotations

from collections.abc import Sequence

from cxloop.governance.policy import stable_fraction

_SALT = "experiment"


def variant_for(experiment_key: str, external_id: str, weights: Sequence[tuple[str, float]]) -> str:
    """The variant key for one customer; `weights` are (variant key, weight > 0) in the experiment's order."""
    point = stable_fraction(_SALT, experiment_key, external_id) * sum(w for _, w in weights)
    running = 0.0
    for key, weight in weights:
        running += weight
        if point < running:
            return key
    return weights[-1][0]  # rounding at the very top of the range
