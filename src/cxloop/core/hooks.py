"""Named hooks: a lower domain tells higher ones about a change, inside the transaction that makes it, without
importing them (STYLE.md "A lower domain reaches a higher one only through registries").

A hook checks what it receives at the door (callable, accepts the hook's keyword arguments, not twice) and refuses
registrations once frozen: `cxloop.wiring.wire_domains` registers every reaction at start-up, then freezes them all.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T", bound=Callable[..., None])

_hooks: dict[str, Hook[Any]] = {}


class HookFrozen(RuntimeError):
    """A registration came after start-up."""


class Hook(Generic[T]):
    """Functions of type T called, in registration order, with `(session, **arguments)`.

    `example` gives sample keyword arguments a registered function must accept (checked by binding its signature).
    """

    def __init__(self, name: str, *, example: Mapping[str, object], listed: bool = True) -> None:
        self.name = name
        self._example = dict(example)
        self._functions: list[T] = []
        self._frozen = False
        if listed:  # test copies stay out of the list of the application's hooks
            _hooks[name] = self

    def register(self, fn: T) -> T:
        """Add `fn`; usable as a decorator. TypeError for a function that does not fit, ValueError when twice."""
        if self._frozen:
            raise HookFrozen(f"the {self.name} hook is frozen: register its functions at start-up")
        if not callable(fn):
            raise TypeError(f"a {self.name} function must be callable, got {fn!r}")
        try:
            inspect.signature(fn).bind(object(), **self._example)
        except TypeError as exc:
            names = ", ".join(self._example)
            raise TypeError(f"{fn!r} must accept (session, *, {names}) to be a {self.name} function") from exc
        except ValueError:  # no introspectable signature (some builtins): nothing more to check
            pass
        if fn in self._functions:
            raise ValueError(f"{fn!r} is registered already with the {self.name} hook")
        self._functions.append(fn)
        return fn

    def unregister(self, fn: T) -> None:
        if self._frozen:
            raise HookFrozen(f"the {self.name} hook is frozen")
        self._functions.remove(fn)

    def freeze(self) -> None:
        self._frozen = True

    @property
    def frozen(self) -> bool:
        return self._frozen

    def copy(self) -> Hook[T]:
        """An empty, unfrozen hook of the same shape, outside the application's list (tests swap it in)."""
        return Hook(self.name, example=self._example, listed=False)

    def __iter__(self) -> Iterator[T]:
        return iter(tuple(self._functions))

    def __len__(self) -> int:
        return len(self._functions)

    def __contains__(self, fn: object) -> bool:
        return fn in self._functions

    def __call__(self, session: Any, **arguments: Any) -> None:
        """Call every registered function; the first exception propagates (and rolls the caller's work back)."""
        for fn in tuple(self._functions):
            fn(session, **arguments)


def registered_hooks() -> dict[str, Hook[Any]]:
    """Every hook the application defines, by name (for `freeze_all` and the test that walks them)."""
    return dict(_hooks)


def freeze_all() -> None:
    """Refuse further registrations with every hook (called once the composition root has wired the domains)."""
    for hook in _hooks.values():
        hook.freeze()
