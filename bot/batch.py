"""Batch triage on every core: the engine is built once, then worker processes fork from it.

One process decides about 500 messages a second here, and Python runs one thread at a time, so a
backlog of 10,000 messages used one of the two cores. Workers forked after the model and the FAQ
index are loaded share them (copy-on-write): no worker loads anything again. Each batch comes back
as what the caller writes (the record, and the ticket of a handoff), in the order sent.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Sequence

from bot.store.queue import NewTicket
from bot.triage import Inbound, Triage, Triaged, is_handoff

_ENGINE: Triage | None = None  # set in the parent just before the fork; the workers' own copy


@dataclass(frozen=True)
class Settled:
    """One message's decision as the CLI writes it."""

    record: Dict[str, Any]
    ticket: NewTicket | None


def settle(triaged: Triaged) -> Settled:
    return Settled(triaged.record(), triaged.ticket() if is_handoff(triaged) else None)


def _run(batch: Sequence[Inbound]) -> List[Settled]:
    assert _ENGINE is not None, "worker started without an engine"
    return [settle(t) for t in _ENGINE.run(batch)]


def settle_batches(triage: Triage, batches: Iterable[Sequence[Inbound]], workers: int) -> Iterator[List[Settled]]:
    """Each batch's decisions, in order; `workers` processes (1: in this process)."""
    global _ENGINE
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for batch in batches:
            yield [settle(t) for t in triage.run(batch)]
        return
    triage.run([Inbound("warm-up", "dm", "你好")])  # lazy parts (jieba, the index) load before the fork
    _ENGINE = triage
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap(_run, batches)
    finally:
        _ENGINE = None
