"""How late a server process's event loop runs what is due: the wait a request arriving now has before the loop
even reads it.

A bound on requests in flight (api/overload.py) does not bound that wait: the requests let in spend their time
working on the loop, not waiting for I/O, so at a few times the load a process can carry its loop is always busy and
every newly arrived request waits behind the work of those already in. The refusals waited too (p99 123-220 ms at
4x load, where the refusing code itself takes microseconds: bench/bench_refusal_floor.py). Measuring the lag lets the
shedding middleware refuse while the loop is behind, which keeps it caught up: the same signal Node's toobusy and
Fastify's under-pressure (maxEventLoopDelay) shed on.

A task wakes every `interval` and records how much later than asked it woke; one number per process (the loop is
single-threaded), read without a lock.
"""

from __future__ import annotations

import asyncio

from cxloop.api import background_task

INTERVAL_SECONDS = 0.005  # about 200 wake-ups a second: a few microseconds each, noticed within 5 ms


class LoopLag:
    def __init__(self, interval: float = INTERVAL_SECONDS) -> None:
        self.interval = interval
        self.seconds = 0.0  # the latest lateness measured
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start measuring on the running loop (the app's lifespan); once."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch(), name="cxloop-loop-lag")

    async def stop(self) -> None:
        await background_task.stop(self._task)
        self._task = None
        self.seconds = 0.0

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.seconds = max(0.0, loop.time() - due)
