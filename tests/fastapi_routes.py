"""Share FastAPI's preparation of included routes between the apps the tests build.

Since FastAPI 0.16x, `include_router` keeps a reference to the included router, and each app prepares a route (its
dependency tree, parameter models and request handler) lazily, the first time a request is matched against it; a
request to a route late in the list prepares every route before it. The suite builds a new app for almost every test
(`create_app` in the `client` fixture), so each test paid that preparation again: about 0.3 s of CPU for a web page,
more than the test itself.

The prepared route depends only on the route and on how it was included (path, dependencies, body cap, response
class, operation ids...), all part of the key below; the one field that names the app, the source of dependency
overrides, is left out because cxloop uses no dependency overrides (asserted whenever a route is looked up).
Production builds one app per process and is unaffected. On a FastAPI without this lazy preparation, `install()` does
nothing.

`forget_apps()` (after each test) empties FastAPI's caches of callables classified as coroutines or generators
(`fastapi.dependencies.models`, up to 4,096 entries each, keyed by the callable itself). A request handler is a
closure that holds its app, so those caches kept hundreds of the tests' apps alive, with their databases and
engines: each worker grew past 2 GB over the run, and every full garbage collection walked all of it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import routing
from fastapi.dependencies import models as dependency_models

_CLASSIFICATION_CACHES = ("_is_gen_callable_cached", "_is_async_gen_callable_cached", "_is_coroutine_callable_cached")


def _frozen(value: Any) -> Any:
    """A hashable stand-in for one field of an include context (objects by identity: they are kept alive below)."""
    if isinstance(value, dict):
        return tuple((repr(key), _frozen(item)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, str | int | float | bool | type(None)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value), *(_frozen(getattr(value, f.name)) for f in dataclasses.fields(value)))
    if hasattr(value, "value") and type(value).__name__ == "DefaultPlaceholder":
        return ("default", _frozen(value.value))
    return id(value)


def install() -> None:
    context_class = getattr(routing, "_EffectiveRouteContext", None)
    if context_class is None or not hasattr(context_class, "from_api_route"):
        return
    prepare = context_class.from_api_route.__func__
    prepared: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def key(original_route: Any, include_context: Any) -> tuple[Any, ...]:
        fields = {
            f.name: getattr(include_context, f.name)
            for f in dataclasses.fields(include_context)
            if f.name != "dependency_overrides_provider"
        }
        return (id(original_route), include_context.path_for(original_route), _frozen(fields))

    def from_api_route(cls: Any, *, original_route: Any, include_context: Any) -> Any:
        overrides = getattr(include_context.dependency_overrides_provider, "dependency_overrides", None)
        assert not overrides, "tests/fastapi_routes.py shares prepared routes: it cannot honour dependency overrides"
        found_key = key(original_route, include_context)
        found = prepared.get(found_key)
        if found is None:
            # The entry holds the route and the context, so no id in the key is reused by another object.
            made = prepare(cls, original_route=original_route, include_context=include_context)
            found = prepared[found_key] = ((original_route, include_context), made)
        return found[1]

    context_class.from_api_route = classmethod(from_api_route)


def forget_apps() -> None:
    for name in _CLASSIFICATION_CACHES:
        cache = getattr(dependency_models, name, None)
        if cache is not None:
            cache.cache_clear()
