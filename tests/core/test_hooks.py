from __future__ import annotations

from collections.abc import Sequence

import pytest

from cxloop.core.hooks import Hook, HookFrozen, registered_hooks


def _hook() -> Hook[object]:  # type: ignore[type-var]
    return Hook("ids changed", example={"ids": ()}, listed=False)


def test_a_hook_checks_what_it_gets_calls_in_order_and_freezes() -> None:
    hook = _hook()
    heard: list[tuple[str, object, list[int]]] = []

    def first(session: object, *, ids: Sequence[int]) -> None:
        heard.append(("first", session, list(ids)))

    def second(session: object, **arguments: object) -> None:
        heard.append(("second", session, list(arguments["ids"])))  # type: ignore[call-overload]

    def wrong(session: object, identifiers: Sequence[int]) -> None:
        return None

    with pytest.raises(TypeError, match="must be callable"):
        hook.register("not a function")
    with pytest.raises(TypeError, match=r"must accept \(session, \*, ids\)"):
        hook.register(wrong)
    assert hook.register(first) is first
    hook.register(second)
    with pytest.raises(ValueError, match="registered already"):
        hook.register(first)
    hook(session := object(), ids=(3, 4))
    assert heard == [("first", session, [3, 4]), ("second", session, [3, 4])]
    assert list(hook) == [first, second] and len(hook) == 2 and second in hook

    hook.freeze()
    assert hook.frozen
    with pytest.raises(HookFrozen, match="ids changed hook is frozen"):
        hook.register(lambda session, **kw: None)
    with pytest.raises(HookFrozen):
        hook.unregister(first)
    assert len(hook) == 2


def test_an_error_stops_the_later_functions() -> None:
    hook = _hook()
    heard: list[str] = []

    def broken(session: object, *, ids: Sequence[int]) -> None:
        raise RuntimeError("failed")

    def later(session: object, *, ids: Sequence[int]) -> None:
        heard.append("later")

    hook.register(broken)
    hook.register(later)
    with pytest.raises(RuntimeError, match="failed"):
        hook(None, ids=())
    assert heard == []


def test_a_copy_is_empty_unfrozen_and_not_listed() -> None:
    hook = _hook()
    hook.register(lambda session, *, ids: None)
    hook.freeze()
    fresh = hook.copy()
    assert len(fresh) == 0 and not fresh.frozen and fresh.name == "ids changed"
    assert all(listed is not fresh for listed in registered_hooks().values())
