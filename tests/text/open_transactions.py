"""A watch on the transactions open on every engine of the process (the CLI builds its own), read at each moment the
sentiment model scores or the taxonomy matches themes: slow work (MiniLM encodes) must never run inside one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, event

from cxloop.text import service as text
from cxloop.text.sentiment import learned


class OpenTransactions:
    def __init__(self) -> None:
        self.open = 0
        self.began = 0
        self.seen_while_scoring: list[int] = []
        self.seen_while_matching: list[int] = []
        self.listeners = (("begin", self._begin), ("commit", self._end), ("rollback", self._end))
        for name, listener in self.listeners:
            event.listen(Engine, name, listener)

    def close(self) -> None:
        for name, listener in self.listeners:
            event.remove(Engine, name, listener)

    def _begin(self, _: Connection) -> None:
        self.open += 1
        self.began += 1

    def _end(self, _: Connection) -> None:
        self.open = max(0, self.open - 1)

    def scorer(self, score: Callable[[Sequence[str]], learned.Scored] = learned.day_one) -> text.Scorer:
        """The day-one model (or `score`), noting the open transactions each time it scores."""

        def watched(texts: Sequence[str]) -> learned.Scored:
            self.seen_while_scoring.append(self.open)
            return score(texts)

        return text.Scorer(text.DAY_ONE.name, watched)

    def matcher(self, match: Callable[..., Any]) -> Callable[..., Any]:
        """`match` (the taxonomy's theme matching), noting the open transactions each time it runs."""

        def watched(*args: Any, **kwargs: Any) -> Any:
            self.seen_while_matching.append(self.open)
            return match(*args, **kwargs)

        return watched
