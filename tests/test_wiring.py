from __future__ import annotations

from pathlib import Path

import pytest

from cxloop.core.config import Settings
from cxloop.core.hooks import HookFrozen, registered_hooks
from cxloop.jobs import dispatch
from cxloop.wiring import REACTIONS, wire_domains


@pytest.fixture
def wired(tmp_path: Path) -> None:
    previous = dispatch.installed()
    wire_domains(Settings(environment="test", data_dir=tmp_path))
    wire_domains(Settings(environment="test", data_dir=tmp_path))  # idempotent: nothing registered twice
    dispatch.install(previous)


def test_every_hook_is_frozen_after_wiring_and_refuses_late_registrations(wired: None) -> None:
    hooks = registered_hooks()
    assert {"segment membership", "customer deletion", "events stored"} <= hooks.keys()
    for name, hook in hooks.items():
        assert hook.frozen, name
        assert len(hook) >= 1, f"nothing reacts to the {name} hook"
        with pytest.raises(HookFrozen, match=name):
            hook.register(lambda session, **arguments: None)


def test_every_reaction_is_registered_once(wired: None) -> None:
    for hook, fn in REACTIONS:
        assert list(hook).count(fn) == 1, (hook.name, fn)
    wired_functions = sum(len(hook) for hook in registered_hooks().values())
    assert wired_functions == len(REACTIONS)
