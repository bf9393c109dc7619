from __future__ import annotations

from cxloop.audit.sampling import FailedSignInSampler


def test_one_entry_per_address_per_window_counting_the_skipped_attempts() -> None:
    sampler = FailedSignInSampler(window=60, per_window=3)
    assert sampler.admit("198.51.100.1", now=1000) == 1
    assert [sampler.admit("198.51.100.1", now=1000 + s) for s in range(1, 6)] == [0] * 5
    assert sampler.admit("198.51.100.1", now=1061) == 6  # this one and the five skipped


def test_a_cap_over_all_addresses_so_many_addresses_cannot_flood_the_table() -> None:
    sampler = FailedSignInSampler(window=60, per_window=3)
    admitted = [sampler.admit(f"10.0.0.{n}", now=500) for n in range(10)]
    assert admitted == [1, 1, 1] + [0] * 7
    assert sampler.admit("10.0.0.9", now=561) == 2  # a new window; its skipped attempt is counted
